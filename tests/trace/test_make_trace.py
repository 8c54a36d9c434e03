"""A real GNU make running a .ONESHELL recipe, traced under --emulate-sip: make starts one /bin/sh for the whole
recipe, which macOS would strip; the trace agrees with the prediction, and a prediction without that shell is
reported as a difference."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.trace.compare import differences, macos_protects, predicted_states
from sipdoctor.trace.emulate import protected_paths
from sipdoctor.trace.model import State, TraceResult
from tests.trace.trace_helpers import LINUX, by_arg

MAKE = shutil.which("make")
pytestmark = [pytest.mark.skipif(not LINUX, reason="real LD_PRELOAD traces run on Linux"),
              pytest.mark.skipif(MAKE is None, reason="no make on this host")]

BUSY = "sum(i * i for i in range(2_000_000))"


@pytest.fixture
def project_env(tmp_path: Path) -> dict[str, str]:
    """`make bench` with make copied out of /usr/bin (a program macOS does not ship, so only the shell is
    protected). The third line's `-` must be removed by make, or sh fails on `-true` and make with it."""
    assert MAKE is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy2(MAKE, bin_dir / "make")
    (tmp_path / "Makefile").write_text(f'.ONESHELL:\nbench:\n\t@echo start\n\t"{sys.executable}" -c "{BUSY}"\n'
                                       "\t-true\n")
    return {**os.environ, "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])}


@pytest.fixture
def oneshell_trace(traced: Callable[..., TraceResult], tmp_path: Path, project_env: dict[str, str],
                   monkeypatch: pytest.MonkeyPatch) -> TraceResult:
    monkeypatch.chdir(tmp_path)
    return traced(["make", "bench"], emulate_sip=True, env=project_env, compare=True)


def test_oneshell_trace_agrees_with_the_prediction(oneshell_trace: TraceResult) -> None:
    result = oneshell_trace
    assert result.exit_code == 0
    (make,) = result.roots
    assert make.state == State.PROFILED and make.argv == ("make", "bench")
    shells = [n for n in make.children if n.argv[:2] == ("/bin/sh", "-c")]
    assert len(shells) == 1 and shells[0].state == State.STRIPPED
    assert shells[0].argv[2].splitlines() == ["echo start", f'"{sys.executable}" -c "{BUSY}"', "true"]
    (python,) = by_arg(result, BUSY)
    assert python.state == State.UNPROFILED and python.culprit is shells[0]
    assert result.prediction_differences == []


def test_a_protected_process_missing_from_the_prediction_is_a_difference(oneshell_trace: TraceResult,
                                                                         project_env: dict[str, str]) -> None:
    predicted = predicted_states(oneshell_trace.command, "macos", project_env, Path.cwd())
    assert predicted is not None
    shell = os.path.realpath("/bin/sh")
    without_shell = {exe: states for exe, states in predicted.items() if exe != shell}
    nodes = oneshell_trace.nodes()
    assert differences(without_shell, nodes) == []  # looking only at predicted programs, they seem to agree
    protected = macos_protects(frozenset(protected_paths()), "linux")
    assert differences(without_shell, nodes, protected) == [
        f"{shell}: traced stripped, a binary macOS protects that the prediction does not include"]
