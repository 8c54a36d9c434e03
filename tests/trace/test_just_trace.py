"""A real `just bench` traced on Linux: just (a Rust binary) starts each recipe line with `sh -cu`, which
--emulate-sip strips as macOS would; the trace agrees with the prediction."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.trace.model import State, TraceResult
from tests.trace.trace_helpers import LINUX, by_arg

pytestmark = pytest.mark.skipif(not LINUX, reason="real LD_PRELOAD traces run on Linux")

BUSY = "sum(i * i for i in range(2_000_000))"


@pytest.mark.parametrize("emulate_sip", [False, True])
def test_just_recipe_lines(traced: Callable[..., TraceResult], tmp_path: Path, just_dir: Path,
                           emulate_sip: bool) -> None:
    (tmp_path / "justfile").write_text(f'bench:\n    "{sys.executable}" -c "{BUSY}" && true\n')
    env = {**os.environ, "PATH": os.pathsep.join([str(just_dir), "/usr/bin", "/bin"])}
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = traced(["just", "bench"], emulate_sip=emulate_sip, env=env, compare=True)
    finally:
        os.chdir(here)
    assert result.exit_code == 0
    (root,) = result.roots
    assert root.state == State.PROFILED and root.argv == ("just", "bench")
    (shell,) = root.children
    assert shell.argv[:2] == ("sh", "-cu")
    (python,) = by_arg(result, BUSY)
    if emulate_sip:
        assert shell.state == State.STRIPPED
        assert python.state == State.UNPROFILED and python.culprit is shell
    else:
        assert {n.state for n in result.nodes()} == {State.PROFILED}
    assert result.prediction_differences == []
