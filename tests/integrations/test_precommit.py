"""The pre-commit hook, run by pre-commit itself (`pre-commit try-repo`) on a sample project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integrations.conftest import PACKAGE_CACHES

pytestmark = pytest.mark.slow
MAKEFILE = "SHELL := /bin/sh\n\nbench:\n\tpython3 bench.py > out.txt\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **PACKAGE_CACHES, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "SKIP": ""}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "sipdoctor", "--color",
                           "never", *args], cwd=project, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_the_hook_fails_on_a_makefile_that_hides_the_benchmark_and_skips_other_files(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "README.md").write_text("# sample\n")
    git(project, "add", "README.md")

    skipped = try_repo(project, tmp_path / "pre-commit-home", "--files", "README.md")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout

    (project / "Makefile").write_text(MAKEFILE)
    git(project, "add", "Makefile")
    failed = try_repo(project, tmp_path / "pre-commit-home", "--files", "Makefile")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "CHN001" in failed.stdout and "/bin/sh" in failed.stdout
    assert "(target macos)" in failed.stdout
