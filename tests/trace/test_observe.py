"""The observer's handling of process events, driven on Linux by a stand-in for the macOS kqueue source.

Only the event source is faked (the Mac boundary): the processes are real, and the stand-in lists children
from the real process table. The test posts the event kqueue would have posted once the process has really
forked or exec'd, with no poll in between, so only the event can have made the observer look.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from sipdoctor.trace.kqueue_watch import ProcEvent
from sipdoctor.trace.observe import ObservedProcess, Observer, last_pid

VAR = "LD_PRELOAD"


class FakeEvents:
    """Events posted by the test; children and liveness from the real process table."""

    def __init__(self) -> None:
        self.watched: list[int] = []
        self.pending: list[ProcEvent] = []
        self.closed = False

    def post(self, event: ProcEvent) -> None:
        self.pending.append(event)

    def watch(self, pid: int) -> bool:
        self.watched.append(pid)
        return psutil.pid_exists(pid)

    def wait(self, timeout: float) -> list[ProcEvent]:
        events, self.pending = self.pending, []
        return events

    def children(self, pid: int) -> list[int]:
        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except psutil.NoSuchProcess:
            return []

    def close(self) -> None:
        self.closed = True


@contextmanager
def shell(script: str) -> Iterator[subprocess.Popen[str]]:
    """/bin/sh running script in its own process group, fed lines on stdin, answering on stdout."""
    proc = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def say(proc: subprocess.Popen[str], line: str = "go") -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def hear(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the process never got there"
        time.sleep(0.005)


def runs(pid: int, program: str) -> Callable[[], bool]:
    return lambda: Path(os.readlink(f"/proc/{pid}/exe")).name == program


def observed(observer: Observer, pid: int) -> ObservedProcess | None:
    return next((p for p in observer.processes.values() if p.pid == pid), None)


@pytest.fixture
def events() -> FakeEvents:
    return FakeEvents()


def test_a_fork_event_brings_in_the_child_and_watches_it(events: FakeEvents) -> None:
    observer = Observer(VAR, events=events)
    with shell('read go; sleep 30 & echo "$!"; read done') as sh:
        observer.start(sh.pid)
        say(sh)
        child = int(hear(sh))
        wait_until(runs(child, "sleep"))
        assert observed(observer, child) is None
        events.post(ProcEvent(sh.pid, forked=True))
        assert observer.wait_events(0) == 0.0
        seen = observed(observer, child)
        assert seen is not None and seen.ppid == sh.pid
        assert [Path(i.exe).name for i in seen.images] == ["sleep"]
        assert seen.images[0].argv == ("sleep", "30")
        assert events.watched == [sh.pid, child]
    assert observer.missed_estimate == 0


def test_an_exec_event_records_the_new_image(events: FakeEvents) -> None:
    observer = Observer(VAR, events=events)
    with shell("read go; exec sleep 30") as sh:
        observer.start(sh.pid)
        say(sh)
        wait_until(runs(sh.pid, "sleep"))
        root = observed(observer, sh.pid)
        assert root is not None and len(root.images) == 1
        events.post(ProcEvent(sh.pid, execed=True))
        observer.wait_events(0)
        assert [Path(i.exe).name for i in root.images] == [Path(os.path.realpath("/bin/sh")).name, "sleep"]
        assert root.images[1].env_has_var is False


def test_a_fork_whose_child_was_never_seen_is_counted_as_missed(events: FakeEvents) -> None:
    observer = Observer(VAR, events=events)
    with shell('read a; /bin/true; echo ran; read b; sleep 30 & echo "$!"; read c') as sh:
        observer.start(sh.pid)
        say(sh)
        assert hear(sh) == "ran"  # /bin/true has run and been reaped
        events.post(ProcEvent(sh.pid, forked=True))
        observer.wait_events(0)
        assert observer.missed_estimate == 1
        say(sh)
        child = int(hear(sh))
        observer.poll()  # polling sees this child first: its fork event then finds nothing new, yet it was seen
        assert observed(observer, child) is not None
        events.post(ProcEvent(sh.pid, forked=True))
        observer.wait_events(0)
        assert observer.missed_estimate == 1


def test_events_of_processes_outside_the_tree_are_ignored(events: FakeEvents) -> None:
    with shell('sleep 30 & echo "$!"; read go') as other:
        stranger = int(hear(other))
        observer = Observer(VAR, events=events)  # other and its child were there before: outside the tree
        with shell("read go") as sh:
            observer.start(sh.pid)
            events.post(ProcEvent(other.pid, forked=True))
            observer.wait_events(0)
            assert {p.pid for p in observer.processes.values()} == {sh.pid}
            assert stranger not in events.watched
    assert observer.missed_estimate == 0


def test_finish_reads_the_last_events_and_closes_the_source(events: FakeEvents) -> None:
    observer = Observer(VAR, events=events)
    with shell("read go") as sh:
        observer.start(sh.pid)
        events.post(ProcEvent(sh.pid, forked=True))
        observer.finish()
    assert events.closed and events.pending == []
    assert observer.missed_estimate == 1


def test_without_an_event_source_the_wait_is_left_to_the_caller() -> None:
    observer = Observer(VAR, events=None)
    assert observer.wait_events(0.25) == 0.25
    observer.finish()
    assert isinstance(observer.missed_estimate, int)  # Linux: the pid counter bound


@pytest.mark.skipif(sys.platform == "darwin", reason="the platform source is kqueue there")
def test_linux_has_no_platform_event_source() -> None:
    observer = Observer(VAR)
    assert observer.wait_events(0.5) == 0.5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pid counter bound is Linux's")
def test_processes_known_from_the_records_are_never_counted_missed() -> None:
    before = last_pid()
    observer = Observer(VAR, events=None)
    with shell("read go; for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; echo done; read x") as sh:
        observer.start(sh.pid)
        say(sh)
        hear(sh)
        observer.finish()
    after = last_pid()
    assert before is not None and after is not None
    assert (observer.missed_estimate or 0) >= 10  # looked at only before and after: ten /bin/true unseen
    observer.account(range(before, after + 1))  # as if every one of them had written a probe record
    assert observer.missed_estimate == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/PID/stat is Linux's")
def test_the_start_key_is_the_kernels_tick_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """psutil's create_time() goes through the wall-clock boot time, which a VM's clock adjustment can move by
    a second between reads: the key must not move with it (it would split one process into two nodes)."""
    from sipdoctor.trace.observe import start_key

    proc = psutil.Process()
    expected = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    real_boot_time = psutil.boot_time()
    monkeypatch.setattr(psutil, "boot_time", lambda: real_boot_time + 1.0)
    assert start_key(proc) == expected
