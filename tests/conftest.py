"""Shared test set-up: an isolated home for config/cache, the `macos` marker, and the CLI runner."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
CSRUTIL_FIXTURES = sorted((FIXTURES / "csrutil").glob("*.txt"))
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
"""Read once at import: the autouse fixture below removes CI from each test's environment (the CLI's CI
behaviour is tested explicitly), but a missing toolchain must still fail a CI run rather than skip."""


def _keep_tool_caches_out_of_home() -> None:
    """npm, pip and zig write caches under HOME: the tests point them at their own cache root, once per process
    (xdist workers inherit it), and give the session the id that tests/downloads.py stamps failures with."""
    import uuid

    from tests.downloads import SESSION_VAR, cache_root

    root = cache_root()
    os.environ.setdefault(SESSION_VAR, uuid.uuid4().hex)
    for variable, folder in (("npm_config_cache", "npm-cache"), ("PIP_CACHE_DIR", "pip-cache"),
                             ("ZIG_GLOBAL_CACHE_DIR", "zig-cache")):
        os.environ.setdefault(variable, str(root / folder))


_keep_tool_caches_out_of_home()

NETWORK_SIGNS = ("toolchains.", "yarn1_bin(", "vitest_project", "_download(")
"""What in a test or its fixtures means it may download (tests/downloads.py)."""


def _downloads(item: pytest.Item) -> bool:
    import inspect

    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for definitions in (info.name2fixturedefs.values() if info else ()):
        functions.extend(d.func for d in definitions)
    for function in functions:
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            continue
        if any(sign in source for sign in NETWORK_SIGNS):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _downloads(item):
            item.add_marker(pytest.mark.network)
    if sys.platform == "darwin":
        return
    skip = pytest.mark.skip(reason="needs a real Mac (runs in the macOS CI job)")
    for item in items:
        if item.get_closest_marker("macos") is not None:  # not `in item.keywords`: a parameter id "macos" is one
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the user's config, rules and cache out of the tests (platformdirs follows XDG on Linux)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("SIPDOCTOR_CSRUTIL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    for var in ("CI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(var, raising=False)
    return home


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the real CLI entry point in-process: `cli("check", "--format", "json")`."""
    from sipdoctor.cli import main

    def run(*args: str | os.PathLike[str]) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def write_executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def csrutil_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Point SIPDOCTOR_CSRUTIL at a script that prints the given text (and exits with the given status)."""

    def make(text: str, *, status: int = 0) -> Path:
        recorded = tmp_path / f"recorded-{abs(hash(text))}.txt"
        recorded.write_text(text)
        script = write_executable(
            tmp_path / f"csrutil-{abs(hash(text))}", f'#!/bin/sh\ncat "{recorded}"\nexit {status}\n'
        )
        monkeypatch.setenv("SIPDOCTOR_CSRUTIL", str(script))
        return script

    return make


@pytest.fixture(scope="session")
def just_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only `just` (the real one, from the rust-just test extra) for a test's PATH."""
    import shutil

    real = shutil.which("just", path=os.path.dirname(sys.executable)) or shutil.which("just")
    assert real, "`just` is missing: install the test extras (pip install -e '.[test]' brings rust-just)"
    directory = tmp_path_factory.mktemp("just-bin")
    (directory / "just").symlink_to(os.path.realpath(real))
    return directory
