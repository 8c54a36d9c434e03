"""Parse the probe's records ($SIPDOCTOR_TRACE_DIR/records.log; the format is documented in
native/sipdoctor_probe.c, keep both in sync)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def truncated(self) -> bool:
        return len(self.argv) < self.argc


@dataclass
class ParseResult:
    records: list[Record] = field(default_factory=list)
    malformed: int = 0
    """Lines that could not be parsed: a torn or foreign write. The concurrency test expects zero."""


def unescape(raw: bytes) -> str:
    return os.fsdecode(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw))


def _argv(fields: list[bytes]) -> tuple[int, tuple[str, ...]]:
    argc = int(fields[0]) if fields else 0
    return argc, tuple(unescape(f) for f in fields[1:])


def parse_line(line: bytes) -> Record:
    """Parse one record; ValueError when it is not a well-formed record."""
    fields = line.split(b"\t")
    kind = fields[0].decode("ascii")
    if kind not in KINDS or len(fields) < 6:
        raise ValueError(f"not a probe record: {line[:80]!r}")
    head = dict(zip(("pid", "ppid", "start", "cpu_us", "mono_ns"), (int(f) for f in fields[1:6]), strict=True))
    rest = fields[6:]
    if kind == "load":
        argc, argv = _argv(rest[3:])
        return Record(kind, **head, has_var=rest[0] == b"1", path=unescape(rest[1]), execfn=unescape(rest[2]),
                      argc=argc, argv=argv)
    if kind == "exec":
        argc, argv = _argv(rest[2:])
        return Record(kind, **head, has_var=rest[0] == b"1", path=unescape(rest[1]), argc=argc, argv=argv)
    if kind == "spawn":
        argc, argv = _argv(rest[4:])
        return Record(kind, **head, has_var=rest[0] == b"1", child_pid=int(rest[1]), child_start=int(rest[2]),
                      path=unescape(rest[3]), argc=argc, argv=argv)
    if kind == "execfail":
        return Record(kind, **head, errno=int(rest[0]))
    return Record(kind, **head)


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
    path = trace_dir / RECORDS_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ParseResult()
    return parse_lines(data.splitlines(keepends=True))


def by_process(records: Iterable[Record]) -> Iterator[tuple[tuple[int, int], list[Record]]]:
    """Records grouped per (pid, start), each group in the order the process wrote them."""
    groups: dict[tuple[int, int], list[Record]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    yield from groups.items()
