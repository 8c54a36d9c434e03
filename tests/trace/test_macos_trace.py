"""On a real Mac (the macOS CI job): dyld honours the probe in a non-system interpreter, and SIP strips it at
Apple's /bin/sh, so the interpreter started below it is not profiled."""

from __future__ import annotations

import sys

import pytest

from sipdoctor.trace.model import State
from sipdoctor.trace.session import run_trace

pytestmark = pytest.mark.macos
BUSY = "sum(i * i for i in range(1_000_000))"


def test_non_system_interpreter_is_profiled() -> None:
    result = run_trace([sys.executable, "-c", BUSY])
    assert result.exit_code == 0
    assert [n.state for n in result.nodes()] == [State.PROFILED]


def test_bin_sh_strips_and_its_child_is_not_profiled() -> None:
    result = run_trace(["/bin/sh", "-c", f'"{sys.executable}" -c "{BUSY}"; exit 3'])
    assert result.exit_code == 3
    shell = [n for n in result.nodes() if n.exe == "/bin/sh"]
    busy = [n for n in result.nodes() if BUSY in n.argv]
    assert [n.state for n in shell] == [State.STRIPPED]
    assert [n.state for n in busy] == [State.UNPROFILED]
    assert result.coverage.processes_profiled == 0
