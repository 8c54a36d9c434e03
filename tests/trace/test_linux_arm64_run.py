"""The probe's inline arm64 system calls, run for real under qemu-user: the probe linked into a static
aarch64 program (musl, built with zig) records its load, a vfork child's exec (and its failure, errno from the
raw system call) and its exit. The arm64 CI job runs the whole suite natively as well."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sipdoctor.trace.build import SOURCE_NAME, source_dir
from sipdoctor.trace.records import RECORDS_NAME, read_records
from tests.trace.trace_helpers import LINUX

pytest.importorskip("ziglang")
QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
pytestmark = pytest.mark.skipif(not (LINUX and QEMU), reason="needs qemu-user for aarch64 (.ci/run installs it)")
PROGRAM = Path(__file__).parent / "programs" / "vfork_exec_arm64.c"


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import sys

    output = tmp_path_factory.mktemp("arm64") / "vfork_exec"
    argv = [sys.executable, "-m", "ziglang", "cc", "-target", "aarch64-linux-musl", "-static", "-O2", "-Wall",
            "-o", str(output), str(PROGRAM), str(source_dir() / SOURCE_NAME)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return output


def run(program: Path, trace_dir: Path, target: str) -> int:
    assert QEMU is not None
    env = {"SIPDOCTOR_TRACE_DIR": str(trace_dir), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([QEMU, str(program), target], env=env, timeout=120, check=False)
    return done.returncode


def test_records_from_arm64_system_calls(program: Path, tmp_path: Path) -> None:
    trace_dir = tmp_path / "trace"
    trace_dir.mkdir()
    (trace_dir / RECORDS_NAME).touch()
    assert run(program, trace_dir, "/bin/true") == 3  # the child's status 0, plus 3
    parsed = read_records(trace_dir)
    load, exec_, exit_ = parsed.records
    assert parsed.malformed == 0 and [r.kind for r in parsed.records] == ["load", "exec", "exit"]
    assert load.argv == (str(program), "/bin/true")  # musl: read from /proc/self/cmdline
    assert exec_.path == "/bin/true" and exec_.argv == ("true", "from-arm64") and exec_.ppid == load.pid
    assert exit_.pid == load.pid and exit_.cpu_us >= load.cpu_us and exit_.mono_ns > load.mono_ns > 0


def test_a_failed_exec_keeps_its_errno(program: Path, tmp_path: Path) -> None:
    trace_dir = tmp_path / "trace"
    trace_dir.mkdir()
    (trace_dir / RECORDS_NAME).touch()
    assert run(program, trace_dir, str(tmp_path / "missing")) == 127 + 3  # the child's _exit(127)
    failed = [r for r in read_records(trace_dir).records if r.kind == "execfail"]
    assert [r.errno for r in failed] == [2]  # ENOENT, from the raw execve
