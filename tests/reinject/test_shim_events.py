"""The shims' event lines as `trace --reinject` reads them, and how they attach to the traced tree."""

from __future__ import annotations

from pathlib import Path

from sipdoctor.trace.model import Node, TraceResult
from sipdoctor.trace.session import attach_shim_events
from sipdoctor.trace.shim_events import ShimEvent, parse_event, read_events


def test_parse_and_reject() -> None:
    event = parse_event(b"shim\t10\t9\t500\tnode\t/usr/bin/node\tskipped\tarchitecture: a\\x09b\n")
    assert event == ShimEvent(10, 9, 500, "node", "/usr/bin/node", "skipped", "architecture: a\tb")
    assert event.sentence() == "node -> /usr/bin/node: skipped: architecture: a\tb"
    assert parse_event(b"shim\t10\t9\t500\tnode\t/x\tweird\t\n") is None  # unknown outcome
    assert parse_event(b"load\t1\t2\t3\n") is None
    assert parse_event(b"shim\tx\t9\t500\tnode\t/x\trestored\tA\n") is None


def test_read_events_skips_torn_and_foreign_lines(tmp_path: Path) -> None:
    log = tmp_path / "reinject.log"
    log.write_bytes(b"shim\t1\t0\t5\tpython3\t/v/python3\trestored\tDYLD_A\ngarbage\nshim\t2\t")
    assert [e.pid for e in read_events(log)] == [1]
    assert read_events(tmp_path / "missing.log") == []


def _node(pid: int, exe: str, t_ns: int, *, loaded: bool) -> Node:
    return Node(pid, 1, 1, exe, (exe,), loaded, None, t_ns)


def test_events_attach_to_the_image_after_the_shim() -> None:
    sh = _node(5, "/bin/sh", 10, loaded=False)
    shim = _node(6, "/cache/shim/k/dirs/s/node", 20, loaded=False)
    real = _node(6, "/usr/bin/node", 40, loaded=True)
    sh.children.append(shim)
    shim.children.append(real)
    result = TraceResult(["npm"], 0, [sh], None)
    event = ShimEvent(6, 5, 30, "node", "/usr/bin/node", "restored", "DYLD_INSERT_LIBRARIES")
    attach_shim_events(result, [event])
    assert real.shim is event and shim.shim is None
    assert shim.is_shim and not real.is_shim and not sh.is_shim
