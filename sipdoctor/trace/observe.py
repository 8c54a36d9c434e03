"""Watch the process table for the traced command's descendants, including those that never load the probe.

Polls with psutil. On Linux the tracer is a child subreaper (runner.py), so orphans stay below it and are
still found. On macOS the kernel's process events (kqueue_watch.py) also report each fork and exec of a
process already seen, and the observer looks at that process and its children at once, between polls; polling
remains the fallback for everything the events cannot report (docs/macos-facts.md#process-events).

A process that starts and exits between two looks, below a parent that has no probe, is missed, and
`missed_estimate` says how many: on Linux the pids handed out during the run that neither a look nor a
probe record (`account`) accounted for (threads and unrelated processes included, hence an upper bound);
with process events, the forks of watched processes whose child was never seen (a lower bound: forks folded
into one event count once, and a child's forks before it was watched are not reported). Never a claim of
completeness.
"""

from __future__ import annotations

import os
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import psutil

from sipdoctor.trace.kqueue_watch import ProcEvent, ProcEvents, platform_events
from sipdoctor.trace.records import probe_clock_ns

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
    first_seen_ns: int
    """records.probe_clock_ns() at the poll that first saw it."""
    name: str = ""
    """The kernel's short name, for an image whose executable could not be read (a zombie)."""


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


def start_key(proc: psutil.Process) -> int:
    """The start time as the probe records it: clock ticks after boot (Linux), microseconds (macOS).

    Linux reads the kernel's tick count itself (/proc/PID/stat field 22): psutil's create_time() adds the boot
    time in wall-clock seconds, which a VM's clock adjustments move by a second between two reads, and a key
    off by 100 ticks splits one process into two nodes."""
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{proc.pid}/stat").read_text()
            return int(stat.rsplit(")", 1)[1].split()[19])  # after the name: field 3 onwards
        except (OSError, IndexError, ValueError):
            pass  # gone, or an unexpected format: psutil raises the right error below
    if sys.platform == "darwin":
        return round(proc.create_time() * 1_000_000)
    return round((proc.create_time() - psutil.boot_time()) * os.sysconf("SC_CLK_TCK"))


def read_secure(pid: int) -> bool | None:
    try:
        data = Path(f"/proc/{pid}/auxv").read_bytes()
    except OSError:
        return None
    width = struct.calcsize("@L")
    words = struct.unpack(f"@{len(data) // width}L", data[: len(data) // width * width])
    pairs = dict(zip(words[::2], words[1::2], strict=True)) if len(words) % 2 == 0 else {}
    return bool(pairs.get(AT_SECURE)) if pairs else None


def _thread_ids(proc: psutil.Process) -> list[int]:
    try:
        return [t.id for t in proc.threads()]
    except psutil.Error:
        return []


def last_pid() -> int | None:
    try:
        return int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    except (OSError, ValueError):
        return None


class Observer:
    """Polls the process table and follows process events; call poll() and wait_events() in turn, then
    finish(), then read `processes`."""

    def __init__(self, inject_var: str, *, tracer_pid: int | None = None,
                 events: ProcEvents | Literal["platform"] | None = "platform") -> None:
        """Create before starting the command: every pid alive now is known to be outside the tree.

        events: the kernel's process events ("platform": kqueue on macOS, none elsewhere; None: poll only)."""
        self.root_pid = -1
        self.inject_var = inject_var
        self.tracer_pid = os.getpid() if tracer_pid is None else tracer_pid
        self.processes: dict[Key, ObservedProcess] = {}
        self._members: dict[int, tuple[psutil.Process, Key]] = {}
        self._outsiders: dict[int, int] = dict.fromkeys(psutil.pids(), -1)
        """pid -> its parent when last looked at, for processes outside the tree (-1: there before us)."""
        self._seen_ids: set[int] = set()
        self._first_pid = last_pid()
        self._final_pid: int | None = None
        self._events = platform_events() if events == "platform" else events
        self._children_seen: Counter[int] = Counter()
        """pid -> how many children joined the tree below it."""
        self._children_at_fork: dict[int, int] = {}
        """pid -> _children_seen[pid] when its last fork event was handled."""
        self._unseen_forks = 0

    def start(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self._outsiders.pop(root_pid, None)
        self.poll()

    def poll(self) -> None:
        alive = psutil.pids()
        alive_set = set(alive)
        self._outsiders = {pid: ppid for pid, ppid in self._outsiders.items() if pid in alive_set}
        for pid in set(self._members) - alive_set:
            del self._members[pid]
        for pid in list(self._members):
            self._refresh(pid)
        grew = True
        while grew:  # a child listed before its parent joins on the next pass
            before = len(self._members)
            for pid in alive:
                if pid not in self._members and self._may_join(pid):
                    self._consider(pid)
            grew = len(self._members) > before

    def _may_join(self, pid: int) -> bool:
        ppid = self._outsiders.get(pid)
        return ppid is None or ppid in self._members or ppid == self.tracer_pid

    def alive_pids(self) -> list[int]:
        return list(self._members)

    def wait_events(self, seconds: float) -> float:
        """Spend up to seconds on process events, looking at each process as its event arrives; return the
        time still to wait some other way (all of it when there is no event source)."""
        if self._events is None:
            return seconds
        deadline = time.monotonic() + seconds
        while True:
            for event in self._events.wait(max(0.0, deadline - time.monotonic())):
                self._on_event(event)
            if time.monotonic() >= deadline:
                return 0.0

    def finish(self) -> None:
        self.poll()
        self._final_pid = last_pid()
        if self._events is not None:
            self.wait_events(0)
            self._events.close()

    def account(self, pids: Iterable[int]) -> None:
        """Processes known from the probe's records: never missed, however short they were."""
        first, final = self._first_pid, self._final_pid
        if first is not None and final is not None and final >= first:
            self._seen_ids.update(pid for pid in pids if first < pid <= final)

    @property
    def missed_estimate(self) -> int | None:
        if self._events is not None:
            return self._unseen_forks
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
            key = (pid, start_key(proc))
        except psutil.Error:
            return
        self._seen_ids.add(pid)
        in_tree = pid == self.root_pid or ppid in self._members or ppid == self.tracer_pid
        if not in_tree:
            self._outsiders[pid] = ppid
            return
        self._outsiders.pop(pid, None)
        self._members[pid] = (proc, key)
        self._seen_ids.update(_thread_ids(proc))  # a thread takes a pid too: not a missed process
        self._children_seen[ppid] += 1
        self.processes.setdefault(key, ObservedProcess(pid, key[1], ppid))
        if self._events is not None:
            self._events.watch(pid)  # before the look, so an exec after the look is reported
        self._refresh(pid)

    def _on_event(self, event: ProcEvent) -> None:
        if event.pid not in self._members:
            return
        if event.execed or event.exited:
            self._refresh(event.pid)  # the new image; at exit, the last CPU reading if still readable
        if event.forked:
            self._on_fork(event.pid)

    def _on_fork(self, pid: int) -> None:
        """Take the new children (the event does not say which: docs/macos-facts.md#process-events); a fork that left no
        child we had not seen before ran and exited unseen, or was re-parented before we looked."""
        children = self._events.children(pid) if self._events else []
        for child in children:
            if child not in self._members:
                self._consider(child)
        if self._children_seen[pid] == self._children_at_fork.get(pid, 0):
            self._unseen_forks += 1
        self._children_at_fork[pid] = self._children_seen[pid]

    def _refresh(self, pid: int) -> None:
        proc, key = self._members[pid]
        observed = self.processes[key]
        try:
            with proc.oneshot():
                observed.cpu_seconds = _cpu(proc)
                self._note_threads(proc)
                self._note_image(proc, observed)
        except psutil.Error:
            return

    def _note_image(self, proc: psutil.Process, observed: ObservedProcess) -> None:
        """Start a new image when the executable changed (an exec).

        Arguments alone change when a program retitles itself (node's process.title), so they do not make a
        new image, except for a copy of the parent seen between fork and exec: that copy becomes the program
        it exec'd (python -> python has the same executable)."""
        exe = _exe(proc) or ""
        argv = tuple(_safe(proc.cmdline, list[str]()))
        last = observed.images[-1] if observed.images else None
        if last is None or (exe and exe != last.exe):
            observed.images.append(self._image(proc, exe, argv, observed.cpu_seconds))
        elif argv != last.argv and (not last.argv or self._is_parent_copy(observed, last)):
            observed.images[-1] = self._image(proc, exe, argv, last.cpu_at_first_sight)

    def _is_parent_copy(self, observed: ObservedProcess, image: ObservedImage) -> bool:
        parent = self._members.get(observed.ppid)
        images = self.processes[parent[1]].images if parent else []
        return any((i.exe, i.argv) == (image.exe, image.argv) for i in images)

    def _image(self, proc: psutil.Process, exe: str, argv: tuple[str, ...], cpu: float) -> ObservedImage:
        environ = _safe(proc.environ, None)
        has_var = None if not environ else self.inject_var in environ
        secure = read_secure(proc.pid) if sys.platform.startswith("linux") else None
        name = _safe(proc.name, "")
        return ObservedImage(exe, argv, has_var, secure, cpu, probe_clock_ns(), name)

    def _note_threads(self, proc: psutil.Process) -> None:
        if sys.platform.startswith("linux"):
            self._seen_ids.update(t.id for t in _safe(proc.threads, list[Any]()))


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _exe(proc: psutil.Process) -> str | None:
    """The executable now (psutil caches Process.exe(), which would hide an exec)."""
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/{proc.pid}/exe")
        except OSError:
            return None
    return _safe(lambda: psutil.Process(proc.pid).exe(), "") or None


def _safe(call: Callable[[], T], default: T) -> T:
    try:
        return call()
    except (psutil.Error, OSError):
        return default
