"""End-to-end traces of real processes on Linux: real LD_PRELOAD, with and without --emulate-sip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sipdoctor.trace.model import State, TraceResult
from tests.trace.trace_helpers import LINUX, by_arg, find

pytestmark = pytest.mark.skipif(not LINUX, reason="real LD_PRELOAD traces run on Linux")

Traced = Callable[..., TraceResult]
BUSY = "sum(i * i for i in range(2_000_000))"  # long enough for the poller to see the process


def test_direct_interpreter_is_profiled(traced: Traced) -> None:
    result = traced([sys.executable, "-c", BUSY])
    (root,) = result.roots
    assert root.state == State.PROFILED and root.pid > 0
    assert root.cpu_seconds > 0
    assert result.coverage.processes_profiled == result.coverage.processes_total == 1
    assert result.malformed_records == 0


@pytest.mark.parametrize("status", [0, 3, 42])
def test_exit_status_passes_through(traced: Traced, status: int) -> None:
    assert traced(["/bin/sh", "-c", f"exit {status}"]).exit_code == status


def test_death_by_signal_becomes_128_plus_n(traced: Traced) -> None:
    result = traced([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])
    assert result.exit_code == 128 + 15


def test_bash_c_profiled_without_emulation(traced: Traced) -> None:
    result = traced(["/bin/bash", "-c", f'"{sys.executable}" -c "{BUSY}"; true'])
    assert {n.state for n in result.nodes()} == {State.PROFILED}
    assert by_arg(result, BUSY)


def test_bash_c_strips_under_emulated_sip(traced: Traced) -> None:
    result = traced(["/bin/bash", "-c", f'"{sys.executable}" -c "{BUSY}"; true'], emulate_sip=True)
    bash = result.roots[0]
    assert bash.state == State.STRIPPED and "SIP" in (bash.cause or "")
    # on a busy machine the tracer can see the child twice (in the process table before its exec, and after):
    # every sighting is unprofiled and blamed on bash
    children = by_arg(result, BUSY)
    assert children and all(c.state == State.UNPROFILED and c.culprit is bash for c in children), children
    assert any(c in bash.children for c in children)
    assert result.coverage.processes_profiled == 0


def test_exec_from_bash_c_is_the_same_process(traced: Traced) -> None:
    result = traced(["/bin/bash", "-c", f'exec "{sys.executable}" -c "{BUSY}"'], emulate_sip=True)
    bash = result.roots[0]
    (child,) = by_arg(result, BUSY)
    assert child.pid == bash.pid and child in bash.children and child.state == State.UNPROFILED


@pytest.fixture(scope="session")
def static_parent(compile_c: Callable[..., Path]) -> Path:
    try:
        return compile_c("runner", "-static", suffix="-static")  # the same parent, statically linked
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot link statically here (libc.a missing?): {exc.stderr.decode()[-200:]}")


def test_static_binary_is_ignored_and_its_dynamic_child_profiled(traced: Traced, static_parent: Path,
                                                                 compile_c: Callable[..., Path]) -> None:
    spin = compile_c("spin")
    result = traced([static_parent, spin])
    root = result.roots[0]
    assert root.exe == str(static_parent) and root.state == State.IGNORED
    assert "statically linked" in (root.cause or "")
    (child,) = find(result, lambda n: n.exe == str(spin))
    assert child.state == State.PROFILED and child in root.children


@pytest.fixture
def setuid_runner(compile_c: Callable[..., Path]) -> Iterator[Path]:
    """A dynamic program, setuid to `nobody`. Run by root, real uid 0 differs from effective uid 65534, so the
    kernel sets AT_SECURE: ld.so(8) secure-execution mode, the same as a setuid binary run by a user."""
    if os.geteuid() != 0:
        pytest.skip("needs root to chown a file to another user")
    public = Path(tempfile.mkdtemp(prefix="sipdoctor-setuid-"))
    try:
        public.chmod(0o755)
        target = public / "runner"
        shutil.copy(compile_c("runner"), target)
        os.chown(target, 65534, 65534)
        target.chmod(0o4755)
        if not os.stat(target).st_mode & 0o4000:
            pytest.skip("this filesystem does not keep the setuid bit")
        yield target
    finally:
        shutil.rmtree(public)


def test_setuid_binary_strips_and_its_child_is_unprofiled(traced: Traced, setuid_runner: Path) -> None:
    check = subprocess.run([setuid_runner, "/usr/bin/id", "-u"], capture_output=True, text=True, check=False)
    if check.stdout.strip() != "65534":
        pytest.skip(f"setuid did not take effect here (nosuid mount?): {check.stdout!r}")
    result = traced([setuid_runner, "/bin/sleep", "0.3"])
    root = result.roots[0]
    assert root.state == State.STRIPPED and "setuid" in (root.cause or "")
    sleeps = find(result, lambda n: "sleep" in n.exe)
    assert len(sleeps) == 1, [(n.exe, n.argv, n.state) for n in result.nodes()]
    child = sleeps[0]
    assert child.state == State.UNPROFILED and child.culprit is root


def test_a_thousand_concurrent_processes_lose_no_record(traced: Traced) -> None:
    big = "y" * 3000  # records of about 3 KB: torn writes would show as malformed lines
    script = f'i=0; while [ $i -lt 1000 ]; do /bin/true {big} & i=$((i+1)); done; wait'
    result = traced(["/bin/sh", "-c", script])
    assert result.exit_code == 0
    assert result.malformed_records == 0
    trues = find(result, lambda n: n.exe.endswith("/true"))
    assert len(trues) == 1000
    assert all(n.state == State.PROFILED and n.argv == ("/bin/true", big) for n in trues)
    assert len({n.pid for n in trues}) == 1000


def test_orphans_stay_in_the_tree(traced: Traced) -> None:
    """The command exits while its grandchild still runs: the subreaper keeps it below us and in the tree."""
    result = traced(["/bin/sh", "-c", f'("{sys.executable}" -c "{BUSY}" &) ; exit 0'], emulate_sip=True)
    assert result.exit_code == 0
    assert by_arg(result, BUSY), [n.argv for n in result.nodes()]
