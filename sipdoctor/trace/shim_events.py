"""The re-injection shims' event lines, which `trace --reinject` reads from the trace directory
($SIPDOCTOR_REINJECT_LOG; the format is documented in native/sipdoctor_shim.c, keep both in sync)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sipdoctor.trace.records import unescape

LOG_NAME = "reinject.log"
OUTCOMES = frozenset({"restored", "present", "skipped", "nothing-saved", "not-found", "exec-failed"})


@dataclass(frozen=True)
class ShimEvent:
    pid: int
    ppid: int
    clock_ns: int
    name: str
    target: str
    outcome: str
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "ppid": self.ppid, "name": self.name, "target": self.target,
                "outcome": self.outcome, "detail": self.detail}

    def sentence(self) -> str:
        what = {"restored": f"restored {self.detail}", "present": "nothing missing",
                "nothing-saved": "nothing saved to restore"}.get(self.outcome, f"{self.outcome}: {self.detail}")
        return f"{self.name} -> {self.target or '?'}: {what}"


def parse_event(line: bytes) -> ShimEvent | None:
    fields = line.rstrip(b"\n").split(b"\t")
    if len(fields) != 8 or fields[0] != b"shim":
        return None
    try:
        pid, ppid, clock = int(fields[1]), int(fields[2]), int(fields[3])
    except ValueError:
        return None
    outcome = unescape(fields[6])
    if outcome not in OUTCOMES:
        return None
    return ShimEvent(pid, ppid, clock, unescape(fields[4]), unescape(fields[5]), outcome, unescape(fields[7]))


def read_events(path: Path) -> list[ShimEvent]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return [e for e in (parse_event(line) for line in data.splitlines()) if e is not None]
