"""`sipdoctor check --fix` on a project: the edits applied, the check run again, nothing left to fix."""

from __future__ import annotations

import json
from pathlib import Path

from tests.rules.conftest import TOOLCHAIN_HOMES, host_path

JUSTFILE = "build:\n    echo build\n\nbench: build\n    python3 bench.py && echo done\n"


def test_check_fix_end_to_end(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "justfile").write_text(JUSTFILE)
    bin_dir = toolchain("bash", "python3")
    monkeypatch.setenv("PATH", host_path(bin_dir))
    monkeypatch.setenv("HOME", str(project))
    for variable in TOOLCHAIN_HOMES:
        monkeypatch.delenv(variable, raising=False)
    result = cli("check", project, "--target", "macos", "--format", "json", "--fix")
    setting = f"set shell := ['{bin_dir / 'bash'}', '-cu']"
    assert f"sipdoctor: fixed: add the line {setting!r} at the top of justfile" in result.stderr
    assert (project / "justfile").read_text() == f"{setting}\n{JUSTFILE}"
    remaining = json.loads(result.stdout)["findings"]
    assert not [f for f in remaining if f["rule"] == "CHN001"] and result.exit_code == 0
    again = cli("check", project, "--target", "macos", "--fix")
    assert "0 file edits applied" in again.stderr and (project / "justfile").read_text() == f"{setting}\n{JUSTFILE}"
