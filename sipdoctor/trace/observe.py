"""Watch the process table for the traced command's descendants, including those that never load the probe.

Polls with psutil. On Linux the tracer is a child subreaper (runner.py), so orphans stay below it and are
still found. A process that starts and exits between two polls, below a parent that has no probe, is missed:
`missed_upper_bound` says how many pids were handed out during the run that the tracer never accounted for
(Linux only; it counts threads and unrelated processes too, hence an upper bound, never a claim of
completeness). On macOS the pid counter is not readable and the bound is None.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")
AT_SECURE = 23  # <elf.h>: getauxval(AT_SECURE) != 0 means secure-execution mode (ld.so(8))
Key = tuple[int, int]


@dataclass
class ObservedImage:
    """One executable seen running in one process."""

    exe: str
    argv: tuple[str, ...]
    env_has_var: bool | None
    """None when the environment could not be read (macOS restricted processes, exited processes)."""
    secure: bool | None
    """Linux AT_SECURE from /proc/<pid>/auxv: the loader ran this image in secure-execution mode."""
    cpu_at_first_sight: float


@dataclass
class ObservedProcess:
    pid: int
    start: int
    ppid: int
    images: list[ObservedImage] = field(default_factory=list)
    cpu_seconds: float = 0.0
    """User + system CPU of the process (all its images) at the last poll."""

    @property
    def key(self) -> Key:
        return (self.pid, self.start)


def start_key(create_time: float) -> int:
    """The start time as the probe records it: clock ticks after boot (Linux), microseconds (macOS)."""
    if sys.platform == "darwin":
        return round(create_time * 1_000_000)
    return round((create_time - psutil.boot_time()) * os.sysconf("SC_CLK_TCK"))


def read_secure(pid: int) -> bool | None:
    try:
        data = Path(f"/proc/{pid}/auxv").read_bytes()
    except OSError:
        return None
    width = struct.calcsize("@L")
    words = struct.unpack(f"@{len(data) // width}L", data[: len(data) // width * width])
    pairs = dict(zip(words[::2], words[1::2], strict=True)) if len(words) % 2 == 0 else {}
    return bool(pairs.get(AT_SECURE)) if pairs else None


def last_pid() -> int | None:
    try:
        return int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    except (OSError, ValueError):
        return None


class Observer:
    """Polls the process table; call poll() repeatedly, then read `processes`."""

    def __init__(self, root_pid: int, inject_var: str, *, tracer_pid: int | None = None) -> None:
        self.root_pid = root_pid
        self.inject_var = inject_var
        self.tracer_pid = os.getpid() if tracer_pid is None else tracer_pid
        self.processes: dict[Key, ObservedProcess] = {}
        self._members: dict[int, tuple[psutil.Process, Key]] = {}
        self._outsiders: set[int] = set(psutil.pids()) - {root_pid}
        self._seen_ids: set[int] = set()
        self._first_pid = last_pid()
        self._final_pid: int | None = None

    def poll(self) -> None:
        alive = psutil.pids()
        self._outsiders &= set(alive)
        for pid in alive:
            if pid in self._members:
                self._refresh(pid)
            elif pid not in self._outsiders:
                self._consider(pid)
        gone = set(self._members) - set(alive)
        for pid in gone:
            del self._members[pid]

    def finish(self) -> None:
        self.poll()
        self._final_pid = last_pid()

    @property
    def missed_upper_bound(self) -> int | None:
        if self._first_pid is None or self._final_pid is None:
            return None
        allocated = self._final_pid - self._first_pid
        if allocated < 0:  # the pid counter wrapped around
            return None
        return max(0, allocated - len(self._seen_ids))

    def _consider(self, pid: int) -> None:
        """A pid not seen before: take it when its parent is in the tree (or is us, the subreaper)."""
        try:
            proc = psutil.Process(pid)
            ppid = proc.ppid()
            key = (pid, start_key(proc.create_time()))
        except psutil.Error:
            return
        self._seen_ids.add(pid)
        in_tree = pid == self.root_pid or ppid in self._members or ppid == self.tracer_pid
        if not in_tree:
            self._outsiders.add(pid)
            return
        self._members[pid] = (proc, key)
        self.processes.setdefault(key, ObservedProcess(pid, key[1], ppid))
        self._refresh(pid)

    def _refresh(self, pid: int) -> None:
        proc, key = self._members[pid]
        observed = self.processes[key]
        try:
            with proc.oneshot():
                observed.cpu_seconds = _cpu(proc)
                self._note_threads(proc)
                exe = _exe(proc)
                if exe is not None and (not observed.images or observed.images[-1].exe != exe):
                    observed.images.append(self._image(proc, exe, observed.cpu_seconds))
        except psutil.Error:
            return

    def _image(self, proc: psutil.Process, exe: str, cpu: float) -> ObservedImage:
        argv = tuple(_safe(proc.cmdline, []))
        environ = _safe(proc.environ, None)
        has_var = None if not environ else self.inject_var in environ
        secure = read_secure(proc.pid) if sys.platform.startswith("linux") else None
        return ObservedImage(exe, argv, has_var, secure, cpu)

    def _note_threads(self, proc: psutil.Process) -> None:
        if sys.platform.startswith("linux"):
            self._seen_ids.update(t.id for t in _safe(proc.threads, []))


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _exe(proc: psutil.Process) -> str | None:
    exe = _safe(proc.exe, "")
    return exe or None


def _safe(call: Callable[[], T], default: T) -> T:
    try:
        return call()
    except (psutil.Error, OSError):
        return default
