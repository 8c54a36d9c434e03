"""On a real Mac (the macOS CI job): kqueue EVFILT_PROC lets the observer see children that polling alone
misses. The observer is driven as runner.py drives it, but with no poll between start and finish, so polling
alone can only see what existed at those two moments; everything else comes from the kernel's events."""

from __future__ import annotations

import subprocess
import time

import pytest

from sipdoctor.trace.kqueue_watch import ProcEvents, platform_events
from sipdoctor.trace.observe import ObservedProcess, Observer

pytestmark = pytest.mark.macos
SLEEPS = "for i in 1 2 3 4 5; do /bin/sleep 0.2; done"


def observe(script: str, events: ProcEvents | None) -> tuple[Observer, int]:
    observer = Observer("DYLD_INSERT_LIBRARIES", events=events)
    proc = subprocess.Popen(["/bin/sh", "-c", script])
    observer.start(proc.pid)
    while proc.poll() is None:
        time.sleep(observer.wait_events(0.05))
    observer.finish()
    return observer, proc.pid


def children_running(observer: Observer, root: int, exe: str) -> list[ObservedProcess]:
    return [p for p in observer.processes.values() if p.ppid == root and any(i.exe == exe for i in p.images)]


def test_the_platform_source_is_kqueue() -> None:
    events = platform_events()
    assert events is not None
    events.close()


def test_kqueue_sees_children_that_polling_misses() -> None:
    with_events, root = observe(SLEEPS, platform_events())
    polled, polled_root = observe(SLEEPS, None)
    seen = children_running(with_events, root, "/bin/sleep")
    assert len(seen) == 5
    assert len(seen) > len(children_running(polled, polled_root, "/bin/sleep"))
    assert with_events.missed_estimate == 0
    assert all(s.images[-1].argv == ("/bin/sleep", "0.2") for s in seen)


def test_kqueue_sees_the_exec_of_a_watched_process() -> None:
    observer, root = observe("/bin/sleep 0.2; exec /bin/sleep 0.3", platform_events())
    (shell,) = [p for p in observer.processes.values() if p.pid == root]
    assert shell.images[-1].exe == "/bin/sleep"
    assert shell.images[-1].argv == ("/bin/sleep", "0.3")
    assert len(shell.images) >= 2
    assert len(children_running(observer, root, "/bin/sleep")) == 1


def test_short_lived_children_are_seen_or_counted_as_missed() -> None:
    observer, root = observe("for i in 1 2 3 4 5 6 7 8 9 10; do /usr/bin/true; done", platform_events())
    children = [p for p in observer.processes.values() if p.ppid == root]
    assert observer.missed_estimate is not None
    assert len(children) + observer.missed_estimate >= 1
