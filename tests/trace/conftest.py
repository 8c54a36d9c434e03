"""Fixtures for the trace tests: the probe built once per session, C test programs, a traced-run helper."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from sipdoctor.trace.build import build_probe
from sipdoctor.trace.model import TraceResult
from sipdoctor.trace.records import RECORDS_NAME
from sipdoctor.trace.session import run_trace

PROGRAMS = Path(__file__).parent / "programs"


@pytest.fixture(scope="session")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("probe-cache")
    return build_probe(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(cache)})


@pytest.fixture(scope="session")
def zig_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kept between runs in pytest's cache (zig's first compile is slow); builds are keyed by source hash."""
    try:
        return Path(request.config.cache.mkdir("sipdoctor-zig-probe"))
    except AttributeError:  # -p no:cacheprovider
        return tmp_path_factory.mktemp("zig")


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    """A trace directory as the tracer makes it: private, with an empty records.log for the probe to append to."""
    directory = tmp_path / "trace"
    directory.mkdir(mode=0o700)
    (directory / RECORDS_NAME).touch(mode=0o600)
    return directory


@pytest.fixture(scope="session")
def compile_c(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Compile tests/trace/programs/NAME.c (extra flags allowed) into a session directory."""
    out_dir = tmp_path_factory.mktemp("cprogs")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")

    def build(name: str, *flags: str, suffix: str = "") -> Path:
        target = out_dir / f"{name}{suffix}"
        if not target.exists():
            subprocess.run([cc, "-O1", "-Wall", "-pthread", "-o", str(target), str(PROGRAMS / f"{name}.c"), *flags],
                           check=True, capture_output=True)
        return target

    return build


@pytest.fixture
def traced(probe: Path) -> Callable[..., TraceResult]:
    def run(argv: Sequence[str], *, emulate_sip: bool = False, env: dict[str, str] | None = None,
            compare: bool = False) -> TraceResult:
        return run_trace([str(a) for a in argv], emulate_sip=emulate_sip, probe=probe, env=env, compare=compare)

    return run
