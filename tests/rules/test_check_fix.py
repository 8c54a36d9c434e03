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
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "json", "--fix")
    setting = f"set shell := ['{bin_dir / 'bash'}', '-cu']"
    assert f"sipdoctor: fixed: add the line {setting!r} at the top of justfile" in result.stderr
    assert (project / "justfile").read_text() == f"{setting}\n{JUSTFILE}"
    remaining = json.loads(result.stdout)["findings"]
    assert not [f for f in remaining if f["rule"] == "CHN001"] and result.exit_code == 0
    again = cli("check", project, "--target", "macos", "--machine", "host", "--fix")
    assert "0 file edits applied" in again.stderr and (project / "justfile").read_text() == f"{setting}\n{JUSTFILE}"


def test_check_fix_on_an_npm_project_leaves_only_what_a_file_cannot_fix(cli, monkeypatch, tmp_path: Path,
                                                                       toolchain) -> None:
    """The script-shell line and the direct call of vitest are written; npm's own `#!/usr/bin/env node` is
    left to the command line (its fix is a `run_instead`, not a file edit)."""
    from tests.chains import toolchains
    from tests.rules.conftest import chain_findings, link_node_modules

    project = tmp_path / "npm"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "bench", "private": True,
                                                      "scripts": toolchains.BENCH_SCRIPTS}, indent=2) + "\n")
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    monkeypatch.setenv("PATH", host_path(bin_dir))
    monkeypatch.setenv("HOME", str(project))
    for variable in TOOLCHAIN_HOMES:
        monkeypatch.delenv(variable, raising=False)
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "json", "--fix",
                 "--fail-on", "never")
    assert result.stderr.count("sipdoctor: fixed:") == 2, result.stderr
    assert (project / ".npmrc").read_text() == f"script-shell={bin_dir / 'bash'}\n"
    left = [f for f in chain_findings(json.loads(result.stdout)) if f["evidence"]["command"] == "npm run bench"]
    assert left and all(not r["edit"] for f in left for r in f["remediations"])
    assert any(r["run_instead"] for f in left for r in f["remediations"])
