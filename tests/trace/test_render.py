"""Renderers over a real emulated trace: the CodSpeed-style tree, ASCII fallback, JSON, GitHub annotations."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.commands.trace import trace_findings
from sipdoctor.render.trace import render_github, render_trace, trace_json
from sipdoctor.trace.compare import differences, predicted_states
from sipdoctor.trace.model import TraceResult
from tests.trace.trace_helpers import LINUX


def plain(renderable: object) -> str:
    from rich.console import Console

    console = Console(no_color=True, width=200, record=True, file=io.StringIO())
    console.print(renderable, crop=False)
    return console.export_text()


pytestmark = pytest.mark.skipif(not LINUX, reason="renders a real Linux trace")
BUSY = "sum(i * i for i in range(2_000_000))"


@pytest.fixture
def result(traced: Callable[..., TraceResult]) -> TraceResult:
    return traced(["/bin/bash", "-c", f'"{sys.executable}" -c "{BUSY}"; exit 4'], emulate_sip=True)


def test_emoji_tree(result: TraceResult) -> None:
    text = plain(render_trace(result, trace_findings(result), ascii_only=False))
    lines = text.splitlines()
    assert lines[0].startswith("🔒 /bin/bash -c")
    assert lines[1].startswith("│     /bin/bash is a SIP-protected macOS system binary")
    assert re.match(rf"[└├]──    {re.escape(os.path.basename(sys.executable))} -c", lines[2])  # no marker
    assert re.search(r"Coverage: 0 of \d processes profiled; 0% of CPU time", text)
    assert "TRC001  100% of the CPU time ran where the profiler cannot see it" in text
    assert "Cause: /bin/bash" in text and "Fix: Keep macOS's protected binaries out" in text


def test_ascii_tree(result: TraceResult) -> None:
    text = plain(render_trace(result, ascii_only=True))
    assert text.isascii()
    assert "[stripped] /bin/bash -c" in text
    assert f"`-- [not profiled] {os.path.basename(sys.executable)} -c" in text


def test_json_is_serialisable_and_complete(result: TraceResult) -> None:
    data = json.loads(json.dumps(trace_json(result, trace_findings(result))))
    assert data["exit_code"] == 4
    assert [f["rule"] for f in data["findings"]][:1] == ["TRC001"]  # TRC002 may follow (missed processes)
    states = [p["state"] for p in data["processes"]]
    assert states[0] == "stripped" and set(states[1:]) == {"unprofiled"}  # a busy machine may see the child twice
    bash, python = data["processes"]
    assert python["pid"] == bash["pid"] or python["ppid"] == bash["pid"]
    assert python["cause"].startswith("the variable was removed by /bin/bash")
    assert python["cpu_seconds"] > 0 and bash["cause"]


def test_github_annotations(result: TraceResult) -> None:
    lines = render_github(result, trace_findings(result)).splitlines()
    # `%` is escaped in a workflow command's property value
    assert lines[0].startswith("::warning title=TRC001 100%25 of the CPU time ran where the profiler cannot see it::")
    assert lines[-1].startswith("::notice title=sipdoctor trace::Coverage: 0 of ")


def test_prediction_differences_are_named(traced: Callable[..., TraceResult]) -> None:
    """Predicted on the host's rules (no emulation), /bin/bash is profiled; traced under --emulate-sip it
    strips: the comparison must say so."""
    result = traced(["/bin/bash", "-c", f'"{sys.executable}" -c "{BUSY}"; true'], emulate_sip=True)
    predicted = predicted_states(result.command, "linux", os.environ, Path.cwd())
    assert predicted is not None
    found = differences(predicted, result.nodes())
    bash = os.path.realpath("/bin/bash") + ": predicted profiled, traced "
    # traced "stripped", or "not-profiled or stripped" when a look caught bash's fork child before its exec
    assert any(line.startswith(bash) and "stripped" in line.removeprefix(bash).split(" or ") for line in found), found
    result.prediction_differences = found
    assert "The trace differs from the prediction" in plain(render_trace(result, ascii_only=True))


def test_an_unknown_prediction_is_not_contradicted(traced: Callable[..., TraceResult]) -> None:
    result = traced([sys.executable, "-c", "pass"])
    exe = os.path.realpath(result.roots[0].exe)
    assert differences({exe: {"unknown"}}, result.nodes()) == []
    assert differences({exe: {"stripped"}}, result.nodes()) == [f"{exe}: predicted stripped, traced profiled"]


def test_a_narrow_terminal_keeps_one_line_per_process(result: TraceResult) -> None:
    """A row longer than the terminal is cut with an ellipsis instead of pushing its CPU column onto a line of
    its own."""
    from rich.console import Console

    console = Console(no_color=True, width=40, record=True, file=io.StringIO())
    console.print(render_trace(result, ascii_only=True, width=40), crop=False)
    lines = console.export_text().splitlines()
    bash = lines[0]
    child = next(line for line in lines if line.startswith("`-- [not profiled]"))
    assert bash.startswith("[stripped] /bin/bash") and "..." in bash and bash.endswith("%")
    assert child.endswith("%") and "..." in child  # its CPU column on the same line
    assert len(bash) <= 40 and len(child) <= 40
