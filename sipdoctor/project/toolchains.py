"""Installed toolchains and where (Homebrew, uv, pyenv, nvm, fnm, Volta, mise, asdf, rustup, corepack).

Locations are the installers' defaults, overridden by their environment variables (PYENV_ROOT, NVM_DIR,
VOLTA_HOME, ASDF_DATA_DIR, MISE_DATA_DIR, FNM_DIR, RUSTUP_HOME/CARGO_HOME), plus a PATH lookup of the tool.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sipdoctor.binaries import resolve_command
from sipdoctor.macos_paths import is_protected_path
from sipdoctor.system import System

if TYPE_CHECKING:
    from sipdoctor.chains.context import Judge

HOMEBREW_PREFIXES = ("/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew")
HOME_DIRS = {
    "pyenv": ("PYENV_ROOT", "~/.pyenv", "bin/pyenv"),
    "nvm": ("NVM_DIR", "~/.nvm", "nvm.sh"),
    "fnm": ("FNM_DIR", "~/.local/share/fnm", "fnm"),
    "volta": ("VOLTA_HOME", "~/.volta", "bin/volta"),
    "mise": ("MISE_DATA_DIR", "~/.local/share/mise", "shims"),
    "asdf": ("ASDF_DATA_DIR", "~/.asdf", "shims"),
    "rustup": ("CARGO_HOME", "~/.cargo", "bin/rustup"),
    "uv": ("UV_INSTALL_DIR", "~/.local/bin", "uv"),
}
ON_PATH = ("uv", "pyenv", "fnm", "volta", "mise", "asdf", "rustup", "corepack", "brew")
SHELLS = ("bash", "zsh", "dash")


def _expand(spec: str, home: str) -> str:
    return spec.replace("~", home, 1) if spec.startswith("~") else spec


def collect_toolchains(system: System, judge: Judge | None = None) -> dict[str, Any]:
    """What is installed where; PATH lookups go through the judge's PathIndex when one is given."""
    resolve = judge.resolve if judge is not None else resolve_command
    home = system.env.get("HOME") or os.path.expanduser("~")
    path = system.env.get("PATH", os.defpath)
    found: dict[str, Any] = {}
    for name, (variable, default, marker) in HOME_DIRS.items():
        root = _expand(system.env.get(variable) or default, home)
        marker_path = os.path.join(root, marker)
        found[name] = {"installed": os.path.exists(marker_path), "root": root,
                       "path": marker_path if os.path.exists(marker_path) else None}
    for name in ON_PATH:
        matches = resolve(name, path)
        entry = found.setdefault(name, {"installed": False, "root": None, "path": None})
        if matches:
            entry.update(installed=True, path=entry["path"] or matches[0], on_path=matches[0])
    brew = next((p for p in HOMEBREW_PREFIXES if os.path.exists(os.path.join(p, "bin", "brew"))), None)
    found["homebrew"] = {"installed": brew is not None, "root": brew,
                         "path": os.path.join(brew, "bin", "brew") if brew else None}
    found["non_system_shells"] = _non_system_shells(path, brew, resolve)
    return found


def _non_system_shells(path: str, brew: str | None, resolve: Callable[[str, str], list[str]]) -> list[str]:
    extra = os.pathsep.join(os.path.join(p, "bin") for p in ([brew] if brew else []))
    out: list[str] = []
    for shell in SHELLS:
        for candidate in resolve(shell, f"{path}{os.pathsep}{extra}" if extra else path):
            if not is_protected_path(candidate) and candidate not in out:
                out.append(candidate)
    return out
