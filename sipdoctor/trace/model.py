"""What a trace produces: one node per image (an executable run by one process), its state and CPU time, and
the result with its coverage. Built by tree.py; rendered by sipdoctor/render/trace.py."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sipdoctor.trace.shim_events import ShimEvent

Key = tuple[int, int]
"""(pid, start time): a reused pid never merges two processes."""


class State(enum.StrEnum):
    PROFILED = "profiled"
    STRIPPED = "stripped"
    IGNORED = "ignored"
    LOAD_FAILS = "load-fails"
    UNPROFILED = "unprofiled"


@dataclass
class Node:
    pid: int
    start: int
    ppid: int
    exe: str
    argv: tuple[str, ...]
    loaded: bool
    """The probe ran in this image."""
    has_var: bool | None
    """The injection variable was in the environment this image started with (None: unknown)."""
    t_ns: int
    """When the image began, on the probe's clock (records.probe_clock_ns); places children under the right
    image of their parent."""
    execfn: str = ""
    """For an image that loaded the probe: the path its exec was given (AT_EXECFN), e.g. a script's path."""
    cpu_start_us: int | None = None
    cpu_end_us: int | None = None
    secure: bool | None = None
    from_fork: bool = False
    state: State = State.PROFILED
    cause: str | None = None
    culprit: Node | None = None
    """For unprofiled nodes: the stripped ancestor that removed the variable."""
    cpu_seconds: float = 0.0
    children: list[Node] = field(default_factory=list)
    shim: ShimEvent | None = None
    """trace --reinject: what the re-injection shim did just before this image (same pid)."""
    is_shim: bool = False
    """trace --reinject: this image is the re-injection shim itself (it execs the real program in place)."""

    @property
    def key(self) -> Key:
        return (self.pid, self.start)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


# --------------------------------------------------------------------------------------------------
# Records -> processes


# --------------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class Coverage:
    processes_profiled: int
    processes_total: int
    cpu_profiled: float
    cpu_total: float

    @property
    def cpu_profiled_fraction(self) -> float | None:
        return self.cpu_profiled / self.cpu_total if self.cpu_total > 0 else None


@dataclass
class TraceResult:
    command: list[str]
    exit_code: int
    roots: list[Node]
    missed_estimate: int | None
    malformed_records: int = 0
    emulate_sip: bool = False
    skipped: list[str] = field(default_factory=list)
    """--sample: shapes not run because their tools are missing here."""
    prediction_differences: list[str] | None = None
    """Where the trace contradicts the prediction (compare.py); None when no prediction was made."""
    incomplete: str | None = None
    """Why the records may be incomplete (the directory removed or full); processes without a record are then
    not proof of a stripped or failed load."""
    shim_events: list[ShimEvent] | None = None
    """trace --reinject: every re-injection shim event, in time order; None without --reinject."""
    reinject_notes: list[str] = field(default_factory=list)
    """trace --reinject: what `sipdoctor run` said it covers and cannot cover for this command."""

    def nodes(self) -> list[Node]:
        return [n for root in self.roots for n in root.walk()]

    @property
    def coverage(self) -> Coverage:
        nodes = self.nodes()
        profiled = [n for n in nodes if n.state == State.PROFILED]
        return Coverage(len(profiled), len(nodes), sum(n.cpu_seconds for n in profiled),
                        sum(n.cpu_seconds for n in nodes))

    def blind_spots(self) -> list[tuple[Node, float]]:
        """Each node that hid work from the profiler (stripped, or unprofiled without a stripped ancestor),
        with the CPU seconds hidden below and in it, largest first."""
        hidden: dict[int, tuple[Node, float]] = {}
        for node in self.nodes():
            if node.state == State.PROFILED:
                continue
            owner = node.culprit or node
            seen = hidden.get(id(owner), (owner, 0.0))
            hidden[id(owner)] = (owner, seen[1] + node.cpu_seconds)
        return sorted(hidden.values(), key=lambda item: -item[1])
