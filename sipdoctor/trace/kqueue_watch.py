"""Process events from the kernel, so the observer looks at a fork or exec when it happens instead of at the
next poll. macOS: kqueue EVFILT_PROC. Elsewhere there is no such source and polling does all the work (on
Linux the tracer is a subreaper instead, runner.py).

What kqueue can and cannot do (docs/macos-facts.md#process-events; xnu bsd/sys/event.h,
bsd/kern/kern_event.c filt_procattach/filt_procprocess, tag xnu-11417.101.15):
- NOTE_FORK, NOTE_EXEC and NOTE_EXIT attach to any pid we can see, without privileges; EV_CLEAR is forced, so
  several forks between two reads arrive as one event.
- NOTE_FORK does not carry the child's pid: the children are listed afterwards (libproc proc_listchildpids),
  and a child that has already exited is gone for good.
- NOTE_TRACK (follow forks in the kernel) is ENOTSUP since 10.5: each new pid is registered by hand, and what
  it does before that (fork, exec, exit) is not reported.
- posix_spawn posts NOTE_FORK to the parent and NOTE_EXEC to the child, which has exec'd before it can be
  registered: its first image is read from the process table (proc_pidpath, via psutil).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProcEvent:
    """What one watched process did since the last read (several forks may be folded into one event)."""

    pid: int
    forked: bool = False
    execed: bool = False
    exited: bool = False


class ProcEvents(Protocol):
    """The kernel's process events: the system boundary the observer takes as a parameter."""

    def watch(self, pid: int) -> bool:
        """Report this pid's forks, execs and exit from now on; False when it is gone already."""
        ...

    def wait(self, timeout: float) -> list[ProcEvent]:
        """The events pending, after waiting up to timeout seconds for the first one."""
        ...

    def children(self, pid: int) -> list[int]:
        """The pids whose parent is pid now (empty when pid is gone)."""
        ...

    def close(self) -> None:
        ...


def platform_events() -> ProcEvents | None:
    """The host's event source: kqueue on macOS, none elsewhere."""
    if sys.platform == "darwin":
        return KqueueEvents()
    return None


if sys.platform == "darwin":
    import ctypes
    import select

    WATCHED = select.KQ_NOTE_FORK | select.KQ_NOTE_EXEC | select.KQ_NOTE_EXIT
    MAX_EVENTS = 256
    MAX_CHILDREN = 4096

    class KqueueEvents:
        """EVFILT_PROC on each watched pid; children from libproc proc_listchildpids (macOS 10.7+)."""

        def __init__(self) -> None:
            self._kq = select.kqueue()
            self._libproc = ctypes.CDLL("/usr/lib/libSystem.B.dylib", use_errno=True)  # has libproc
            self._libproc.proc_listchildpids.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
            self._libproc.proc_listchildpids.restype = ctypes.c_int

        def watch(self, pid: int) -> bool:
            change = select.kevent(pid, select.KQ_FILTER_PROC, select.KQ_EV_ADD | select.KQ_EV_CLEAR, WATCHED)
            try:
                self._kq.control([change], 0, 0)
            except OSError:  # ESRCH: exited already
                return False
            return True

        def wait(self, timeout: float) -> list[ProcEvent]:
            return [_event(kev) for kev in self._kq.control(None, MAX_EVENTS, max(0.0, timeout))]

        def children(self, pid: int) -> list[int]:
            """proc_listchildpids returns a count of pids, not of bytes (Libc darwin/libproc.c)."""
            buffer = (ctypes.c_int * MAX_CHILDREN)()
            count = self._libproc.proc_listchildpids(pid, buffer, ctypes.sizeof(buffer))
            return [p for p in buffer[: max(0, count)] if p > 0]

        def close(self) -> None:
            self._kq.close()

    def _event(kev: select.kevent) -> ProcEvent:
        flags = kev.fflags
        return ProcEvent(int(kev.ident), forked=bool(flags & select.KQ_NOTE_FORK),
                         execed=bool(flags & select.KQ_NOTE_EXEC), exited=bool(flags & select.KQ_NOTE_EXIT))
