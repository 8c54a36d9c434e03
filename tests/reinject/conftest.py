"""Fixtures for the re-injection tests: the shim and hook built once per session, shim directories, a target
program that prints its environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.reinject.build import build_hook, build_shim
from sipdoctor.reinject.shimdir import make_shim_dir
from tests.conftest import write_executable
from tests.trace.conftest import compile_c, probe, trace_dir, traced, zig_cache  # noqa: F401  (shared fixtures)

SHOW_ENV = """import os, sys
sys.stdout.buffer.write(b"\\0".join(k + b"=" + v for k, v in sorted(os.environb.items())))
"""


@pytest.fixture(scope="session")
def native_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native-cache")


@pytest.fixture(scope="session")
def shim(native_cache: Path) -> Path:
    return build_shim(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(native_cache)})


@pytest.fixture(scope="session")
def hook(native_cache: Path) -> Path:
    return build_hook(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(native_cache)})


@pytest.fixture
def shim_dir(shim: Path) -> Callable[..., Path]:
    def make(*names: str) -> Path:
        return make_shim_dir(shim, names)

    return make


@pytest.fixture
def showenv(tmp_path: Path) -> Path:
    """A directory with `showenv`: prints its environment, NUL-separated, sorted."""
    directory = tmp_path / "real-bin"
    directory.mkdir()
    write_executable(directory / "showenv", f"#!{sys.executable}\n{SHOW_ENV}")
    return directory


def parse_env(out: bytes) -> dict[bytes, bytes]:
    return dict(entry.split(b"=", 1) for entry in out.split(b"\0") if entry)
