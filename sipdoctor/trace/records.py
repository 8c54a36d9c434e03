"""Parse the probe's records ($SIPDOCTOR_TRACE_DIR/records.log; the format is documented in
native/sipdoctor_probe.c, keep both in sync)."""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORDS_NAME = "records.log"  # native/sipdoctor_probe.c RECORDS_NAME
KINDS = frozenset({"load", "fork", "exec", "execfail", "spawn", "exit"})
_ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")


@dataclass(frozen=True)
class Record:
    """One event written by the probe in one process."""

    kind: str
    pid: int
    ppid: int
    start: int
    cpu_us: int
    mono_ns: int
    """The probe's clock: CLOCK_BOOTTIME on Linux, monotonic on macOS (probe_clock_ns)."""
    has_var: bool = False
    path: str = ""
    """exe for load, the program about to run for exec and spawn."""
    execfn: str = ""
    argv: tuple[str, ...] = ()
    argc: int = 0
    child_pid: int = 0
    child_start: int = 0
    errno: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.start)

    def with_times(self, **starts: int) -> Record:
        """A copy with `start` and/or `child_start` set: dataclasses.replace costs ~4 us a record, and a trace
        of a process-heavy benchmark has tens of thousands."""
        unknown = set(starts) - {"start", "child_start"}
        if unknown:
            raise TypeError(f"with_times() sets start and child_start, not {', '.join(sorted(unknown))}")
        copy = object.__new__(Record)
        copy.__dict__.update(self.__dict__, **starts)
        return copy


@dataclass
class ParseResult:
    records: list[Record] = field(default_factory=list)
    malformed: int = 0
    """Lines that could not be parsed: a torn or foreign write. The concurrency test expects zero."""
    incomplete: str | None = None
    """Why records may be missing (read_records), else None."""


def unescape(raw: bytes) -> str:
    if b"\\" not in raw:  # most fields: no escape to undo
        return os.fsdecode(raw)
    return os.fsdecode(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw))


def _argv(fields: list[bytes]) -> tuple[int, tuple[str, ...]]:
    argc = int(fields[0]) if fields else 0
    return argc, tuple(unescape(f) for f in fields[1:])


@functools.lru_cache(maxsize=4096)
def _resolved(execfn: str) -> str:
    """The executable of a load record that left it to the tracer: on Linux the probe records an absolute
    exec'd path unresolved, because resolving it there costs more than the rest of the record."""
    return os.path.realpath(execfn) if execfn.startswith("/") else execfn


def parse_line(line: bytes) -> Record:
    """Parse one record; ValueError when it is not a well-formed record."""
    fields = line.split(b"\t")
    kind = fields[0].decode("ascii")
    if kind not in KINDS or len(fields) < 6:
        raise ValueError(f"not a probe record: {line[:80]!r}")
    pid, ppid, start, cpu_us, mono_ns = (int(f) for f in fields[1:6])
    return Record(kind, pid, ppid, start, cpu_us, mono_ns, **_details(kind, fields[6:]))


def _details(kind: str, rest: list[bytes]) -> dict[str, Any]:
    """The fields after the common ones, by kind (one Record built per line: a parse is per process event)."""
    if kind == "load":
        argc, argv = _argv(rest[3:])
        execfn = unescape(rest[2])
        return {"has_var": rest[0] == b"1", "path": unescape(rest[1]) or _resolved(execfn), "execfn": execfn,
                "argc": argc, "argv": argv}
    if kind == "exec":
        argc, argv = _argv(rest[2:])
        return {"has_var": rest[0] == b"1", "path": unescape(rest[1]), "argc": argc, "argv": argv}
    if kind == "spawn":
        argc, argv = _argv(rest[4:])
        return {"has_var": rest[0] == b"1", "child_pid": int(rest[1]), "child_start": int(rest[2]),
                "path": unescape(rest[3]), "argc": argc, "argv": argv}
    if kind == "execfail":
        return {"errno": int(rest[0])}
    return {}


def parse_lines(lines: Iterable[bytes]) -> ParseResult:
    result = ParseResult()
    for line in lines:
        if not line.endswith(b"\n"):
            result.malformed += 1  # a record is always written whole, newline included
            continue
        try:
            result.records.append(parse_line(line[:-1]))
        except (ValueError, IndexError, UnicodeDecodeError):
            result.malformed += 1
    return result


def read_records(trace_dir: Path) -> ParseResult:
    """The records, and why they may be incomplete: the directory removed or replaced during the run, or its
    file system full (the probe cannot report a failed write from inside the traced process)."""
    path = trace_dir / RECORDS_NAME
    try:
        data = path.read_bytes()
    except OSError as exc:
        gone = isinstance(exc, (FileNotFoundError, NotADirectoryError))
        why = "was removed or replaced during the run" if gone else f"could not be read ({exc.strerror or exc})"
        result = ParseResult()
        result.incomplete = f"the records directory {trace_dir} {why}"
        return result
    result = parse_lines(data.splitlines(keepends=True))
    try:
        full = os.statvfs(trace_dir).f_bavail == 0
    except OSError:
        full = False
    if full:
        result.incomplete = f"the file system of the records directory {trace_dir} is full"
    return result


def by_process(records: Iterable[Record]) -> Iterator[tuple[tuple[int, int], list[Record]]]:
    """Records grouped per (pid, start), each group in the order the process wrote them."""
    groups: dict[tuple[int, int], list[Record]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    yield from groups.items()


def probe_clock_ns() -> int:
    """Now, on the probe's clock (native/sipdoctor_probe.c clock_ns)."""
    if sys.platform.startswith("linux"):
        return time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    return time.monotonic_ns()


def assign_starts(records: Sequence[Record], known: Mapping[int, Sequence[int]], ticks_per_second: int
                  ) -> list[Record]:
    """Fill in the start times the probe leaves unknown (-1 on Linux, where reading them costs a cold /proc
    access per process).

    A process started no later than its first record, so a record belongs to the latest known process with its
    pid that started by then (known: start times seen by the tracer, in the probe's unit, clock ticks). A pid
    never seen gets one synthetic start per run of records, a new run beginning after an exit record (pid
    reuse)."""
    def tick(ns: int) -> int:
        return ns * ticks_per_second // 1_000_000_000

    def known_start(pid: int, ns: int) -> int | None:
        candidates = [s for s in known.get(pid, ()) if s <= tick(ns) + 1]
        return max(candidates) if candidates else None

    runs: dict[int, list[tuple[int, int]]] = {}  # pid -> [(first clock_ns, start)]
    starts: dict[int, int] = {}  # id(record) -> start
    for pid, group in _unknown_by_pid(records).items():
        run_start: int | None = None
        for rec in group:
            if run_start is None:
                run_start = known_start(pid, rec.mono_ns)
                run_start = tick(rec.mono_ns) if run_start is None else run_start
                runs.setdefault(pid, []).append((rec.mono_ns, run_start))
            starts[id(rec)] = run_start
            if rec.kind == "exit":
                run_start = None
    out = []
    for rec in records:
        if id(rec) in starts:
            rec = rec.with_times(start=starts[id(rec)])
        if rec.kind == "spawn" and rec.child_start < 0:
            child = known_start(rec.child_pid, rec.mono_ns)
            nearest = min(runs.get(rec.child_pid, []), key=lambda run: abs(run[0] - rec.mono_ns), default=None)
            fallback = nearest[1] if nearest else tick(rec.mono_ns)
            rec = rec.with_times(child_start=child if child is not None else fallback)
        out.append(rec)
    return out


def _unknown_by_pid(records: Sequence[Record]) -> dict[int, list[Record]]:
    groups: dict[int, list[Record]] = {}
    for rec in sorted((r for r in records if r.start < 0), key=lambda r: r.mono_ns):
        groups.setdefault(rec.pid, []).append(rec)
    return groups
