"""Python virtual environments in the project: pyvenv.cfg `home`, and what bin/python really runs.

A venv's bin/python is a symlink (or copy) of the interpreter it was made from (venv docs, "How venvs work"):
a venv made from /usr/bin/python3 runs Apple's python, so the kernel executes a protected binary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sipdoctor.chains.context import Judge
from sipdoctor.chains.execchain import real_path
from sipdoctor.sources.files import Unreadable, read_text

VENV_NAMES = (".venv", "venv", "env", ".env")


def find_venvs(directory: Path) -> list[Path]:
    return [directory / n for n in VENV_NAMES if os.path.isfile(directory / n / "pyvenv.cfg")]


def venv_facts(venv: Path, judge: Judge, env_path: str) -> dict[str, Any]:
    config = _pyvenv_cfg(venv / "pyvenv.cfg")
    facts: dict[str, Any] = {"path": str(venv), "home": config.get("home"), "version": config.get("version")
                             or config.get("version_info"), "interpreters": []}
    for name in ("python", "python3"):
        candidate = venv / "bin" / name
        if not os.path.lexists(candidate):
            continue
        target = real_path(str(candidate))
        verdict, reasons = judge.verdict(target, env_path)
        facts["interpreters"].append({
            "path": str(candidate), "runs": target, "symlink": candidate.is_symlink(),
            "verdict": verdict.value, "reasons": [r.to_json() for r in reasons],
        })
    return facts


def _pyvenv_cfg(path: Path) -> dict[str, str]:
    try:
        text = read_text(str(path), 65536)
    except Unreadable:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}
