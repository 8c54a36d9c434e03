"""The wheel built from the files of a fresh clone installs into a new virtual environment and works there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integrations.conftest import PACKAGE_CACHES

pytestmark = pytest.mark.slow
MAKEFILE = "SHELL := /bin/sh\n\nbench:\n\tpython3 bench.py > out.txt\n"


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, check=False,
                          **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from the files `git clone` of this working tree would have (tracked and new, not ignored)."""
    if shutil.which("git") is None or run("git", "-C", REPO, "rev-parse", "--git-dir").returncode:
        pytest.skip("not a git checkout")
    clone = tmp_path_factory.mktemp("clone")
    files = run("git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    for name in filter(None, files.split("\0")):
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    dist = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", dist, clone,
                env={**os.environ, **PACKAGE_CACHES})
    assert built.returncode == 0, built.stderr
    (path,) = dist.glob("sipdoctor-*.whl")
    return path


def test_the_wheel_carries_the_rules_the_probe_source_the_data_and_the_licence(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = {p.name for p in (REPO / "rules").glob("*.yml")}
    assert rules and {f"sipdoctor/_rules/{name}" for name in rules} <= names
    native = {p.name for p in (REPO / "native").iterdir() if p.is_file()}
    assert {f"sipdoctor/_native/{name}" for name in native} <= names
    assert "sipdoctor/data/macos-system-binaries.tsv" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text and "Project-URL: Homepage, https://" in text


def install(wheel: Path, tmp_path: Path) -> Path:
    """`uv tool install WHEEL` (the README's line; uv is a test extra), else `pip install WHEEL` in a new venv.
    Either way a new environment holding the wheel and its dependencies only."""
    uv = shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    if uv:
        env = {**os.environ, **PACKAGE_CACHES, "UV_TOOL_DIR": str(tmp_path / "tools"),
               "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
        installed = run(uv, "tool", "install", "--python", sys.executable, wheel, env=env)
        assert installed.returncode == 0, installed.stderr
        return tmp_path / "bin" / "sipdoctor"
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    installed = run(venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", wheel,
                    env={**os.environ, **PACKAGE_CACHES})
    assert installed.returncode == 0, installed.stderr
    return venv / "bin" / "sipdoctor"


def test_a_new_venv_with_only_the_wheel_runs_check_and_trace_sample(wheel: Path, tmp_path: Path) -> None:
    sipdoctor = install(wheel, tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Makefile").write_text(MAKEFILE)
    env = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    check = run(sipdoctor, "check", project, "--target", "macos", cwd=tmp_path, env=env)
    assert check.returncode == 1, check.stderr
    assert "CHN001" in check.stdout and "/bin/sh" in check.stdout
    if sys.platform == "linux":
        trace = run(sipdoctor, "trace", "--sample", cwd=tmp_path, env=env)
        assert trace.returncode == 0, trace.stderr
        assert "Coverage:" in trace.stderr and "[profiled]" in trace.stderr
        assert (tmp_path / "cache").is_dir()  # the probe was compiled from the wheel's own C source
