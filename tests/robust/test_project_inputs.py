"""`check` on hostile project files: each gets a finding or note naming the file, never a traceback or a hang."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.robust.conftest import as_nobody, run_cli


def check_json(cli, project: Path) -> dict:
    result = cli("check", project, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def check_as_nobody(project: Path) -> dict:
    """`check --format json` as user nobody; the parent has run it once first, so that every module the child
    needs is imported (nobody cannot read this interpreter's standard library under /root)."""
    from sipdoctor.cli import main

    def job() -> dict:
        import os

        os.environ["XDG_CONFIG_HOME"] = str(project.parent / "config")  # the test's own home is private
        os.environ["XDG_CACHE_HOME"] = str(project.parent / "cache")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["check", str(project), "--format", "json", "--fail-on", "never"])
        return {"code": code, "out": out.getvalue(), "err": err.getvalue()}

    result = as_nobody(job)
    assert isinstance(result, dict)
    return result


def warm_up(project: Path) -> None:
    from sipdoctor.cli import main

    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        main(["check", str(project), "--format", "json"])


@pytest.mark.parametrize("locked", [".github", ".github/workflows", ".venv", "node_modules"])
def test_a_directory_check_cannot_enter_is_named_not_a_crash(public_tmp: Path, locked: str) -> None:
    project = public_tmp / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text("jobs: {}\n")
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / "node_modules" / ".bin").mkdir(parents=True)
    (project / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}')
    warm_up(project)
    (project / locked).chmod(0o000)
    result = check_as_nobody(project)
    assert result["code"] == 0, result["err"]
    data = json.loads(result["out"])
    assert any(f"/{locked}" in p["file"] for p in data["problems"]), data["problems"]
