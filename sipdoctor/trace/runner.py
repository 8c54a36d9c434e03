"""Start the command with the probe injected, pass its stdio through, forward signals, keep watch, return
its exit status.

The command inherits sipdoctor's stdin, stdout and stderr (posix_spawn, no pipes). While it runs, the signals
in FORWARDED are blocked here and collected with sigtimedwait, which doubles as the polling clock: a signal
from the terminal (si_code SI_KERNEL) already reached the command, which shares our process group; one sent
to sipdoctor alone (kill) is passed on. On Linux the tracer becomes a child subreaper
(prctl(PR_SET_CHILD_SUBREAPER)), so orphaned descendants are re-parented to it, stay visible to the observer,
and are reaped here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from sipdoctor.errors import InputError
from sipdoctor.trace.build import check_insertable
from sipdoctor.trace.emulate import EMULATE_ENV, write_protected_list
from sipdoctor.trace.observe import Observer, start_key
from sipdoctor.trace.records import RECORDS_NAME, probe_clock_ns

TRACE_DIR_ENV = "SIPDOCTOR_TRACE_DIR"  # native/sipdoctor_probe.c TRACE_DIR_VAR
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
SI_KERNEL = 0x80  # <asm-generic/siginfo.h>: sent by the kernel, e.g. Ctrl-C on the terminal
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
POLL_SECONDS = 0.01
POLL_MAX_SECONDS = 0.1
POLL_GROWTH = 1.1
"""The process table is looked at every 10 ms at first, then 10% less often at each look up to every 100 ms
(reached after about half a second): the probe's records describe every process that loaded it, so polling only
names the ones that did not (a static binary, a stripped child), and a look costs about a millisecond of CPU."""
ORPHAN_GRACE_SECONDS = 2.0


def inject_var() -> str:
    return "DYLD_INSERT_LIBRARIES" if sys.platform == "darwin" else "LD_PRELOAD"


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int
    """The command's exit status; 128 + N when a signal N ended it (the shell convention)."""
    trace_dir: Path
    observer: Observer
    root_pid: int
    root_start: int
    """The command's process start time, as the probe records it (observe.start_key)."""
    program: str
    """argv[0] resolved on PATH: what was executed."""
    spawn_ns: int
    tracer_pid: int


def traced_environment(base: Mapping[str, str], probe: Path, trace_dir: Path, emulate_list: Path | None) -> dict[
        str, str]:
    env = dict(base)
    var = inject_var()
    env[var] = f"{probe}:{env[var]}" if env.get(var) else str(probe)
    env[TRACE_DIR_ENV] = str(trace_dir)
    if emulate_list is not None:
        env[EMULATE_ENV] = str(emulate_list)
    else:
        env.pop(EMULATE_ENV, None)
    return env


def resolve_program(argv: Sequence[str], env: Mapping[str, str]) -> str:
    if not argv:
        raise InputError("no command to trace: give one after `--`, or use --sample")
    found = shutil.which(argv[0], path=env.get("PATH", os.defpath))
    if found is None:
        raise InputError(f"command not found or not executable: {argv[0]}")
    return os.path.abspath(found)


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


MEMORY_DIR_MIN_FREE = 256 << 20  # a container's /dev/shm (64 MB by default in Docker) could fill up: records lost
TRACE_DIR_PREFIX = "sipdoctor-trace-"
STALE_TRACE_SECONDS = 2 * 24 * 3600
TRACE_DIR_MAX = 512  # bytes the probe keeps for the directory (native/sipdoctor_probe.c TRACE_DIR_MAX)


def memory_backed_dir(env: Mapping[str, str]) -> str | None:
    """Linux: where a trace directory lives in memory ($XDG_RUNTIME_DIR, else /dev/shm; both tmpfs). Every
    traced process appends its records there, and a tmpfs append skips ext4's journal: ~1.5 us less per
    record in a new process (bench/bench_trace.py), a fifth of the probe's cost on a fork+exec loop."""
    if not sys.platform.startswith("linux"):
        return None
    for candidate in (env.get("XDG_RUNTIME_DIR", ""), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            with contextlib.suppress(OSError):
                usage = os.statvfs(candidate)
                if usage.f_bavail * usage.f_frsize >= MEMORY_DIR_MIN_FREE:
                    return candidate
    return None


def remove_stale_trace_dirs(parent: Path, now: float | None = None) -> None:
    """A trace whose tracer was killed (SIGKILL, a crash) leaves its directory behind, in memory on Linux:
    remove this user's that nothing has written to for STALE_TRACE_SECONDS. Errors are ignored: another
    sipdoctor may be removing the same one."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            if not entry.name.startswith(TRACE_DIR_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
                records = Path(entry.path) / RECORDS_NAME
                last = max(entry.stat(follow_symlinks=False).st_mtime,
                           records.stat().st_mtime if records.exists() else 0.0)
                if now - last > STALE_TRACE_SECONDS:
                    shutil.rmtree(entry.path, ignore_errors=True)


def make_trace_dir(env: Mapping[str, str] | None = None) -> Path:
    """A private directory (mode 0700) with an empty records.log: the probe appends to it, never creates it.
    In memory where Linux offers it, else the temporary directory; in /tmp when that path is too long for
    the probe."""
    parent = memory_backed_dir(os.environ if env is None else env)
    remove_stale_trace_dirs(Path(parent or tempfile.gettempdir()))
    trace_dir = Path(tempfile.mkdtemp(prefix=TRACE_DIR_PREFIX, dir=parent))
    if len(os.fsencode(trace_dir)) >= TRACE_DIR_MAX:
        trace_dir.rmdir()
        trace_dir = Path(tempfile.mkdtemp(prefix=TRACE_DIR_PREFIX, dir="/tmp"))
    check_insertable(trace_dir)
    (trace_dir / RECORDS_NAME).touch(mode=0o600)
    return trace_dir


EnvHook = Callable[[dict[str, str], Path], dict[str, str]]
"""Changes the traced command's environment, given the trace directory (trace --reinject)."""


def run_traced(argv: Sequence[str], probe: Path, *, emulate_sip: bool = False,
               base_env: Mapping[str, str] | None = None, stdout_fd: int | None = None,
               env_hook: EnvHook | None = None) -> RunOutcome:
    """Run argv to completion under the probe; the caller reads the records and removes trace_dir.
    With stdout_fd, the command's standard output goes there (a JSON report owns sipdoctor's stdout)."""
    trace_dir = make_trace_dir()
    try:
        emulate_list = write_protected_list(trace_dir) if emulate_sip else None
        env = traced_environment(os.environ if base_env is None else base_env, probe, trace_dir, emulate_list)
        program = resolve_program(argv, env)
        if env_hook is not None:
            env = env_hook(env, trace_dir)
    except BaseException:  # a command that cannot be found leaves no records directory behind
        shutil.rmtree(trace_dir, ignore_errors=True)
        raise
    become_subreaper()
    observer = Observer(inject_var())
    with SignalGate() as gate:
        spawn_ns = probe_clock_ns()
        try:
            actions = [(os.POSIX_SPAWN_DUP2, stdout_fd, 1)] if stdout_fd is not None else []
            pid = os.posix_spawn(program, list(argv), env, setsigmask=(), file_actions=actions,
                                 setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, *FORWARDED))
        except OSError as exc:
            shutil.rmtree(trace_dir, ignore_errors=True)
            raise InputError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
        root_start = start_key(psutil.Process(pid))  # not reaped yet, so always readable
        observer.start(pid)
        exit_code = _supervise(pid, observer, gate)
    return RunOutcome(exit_code, trace_dir, observer, pid, root_start, program, spawn_ns, os.getpid())


class SignalGate:
    """Holds the signals meant for the command while it runs and hands them over one poll at a time.

    Linux: the signals are blocked and read with sigtimedwait, which tells a terminal's signal (SI_KERNEL:
    the command, in our process group, got it too) from one sent to sipdoctor alone. Elsewhere (macOS has no
    sigtimedwait) handlers collect them: Ctrl-C and Ctrl-\\ from the terminal reach the command directly, so
    those two are only noted, the others are passed on.
    """

    def __init__(self) -> None:
        self._timed = hasattr(signal, "sigtimedwait")
        self._pending: list[int] = []
        self._saved: dict[int, object] = {}
        self._old_mask: set[int] = set()

    def __enter__(self) -> SignalGate:
        if self._timed:
            self._old_mask = set(signal.pthread_sigmask(signal.SIG_BLOCK, {*FORWARDED, signal.SIGCHLD}))
        else:
            for signo in FORWARDED:
                self._saved[signo] = signal.signal(signo, lambda n, _f: self._pending.append(n))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timed:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)
        for signo, handler in self._saved.items():
            signal.signal(signo, handler)  # type: ignore[arg-type]

    def wait(self, timeout: float) -> list[int]:
        """Signals to pass to the command, after waiting up to timeout (less when one arrives)."""
        if sys.platform != "linux" or not self._timed:
            time.sleep(timeout)
            pending, self._pending = self._pending, []
            return [n for n in pending if n not in (signal.SIGINT, signal.SIGQUIT)]
        info = signal.sigtimedwait({signal.SIGCHLD, *FORWARDED}, timeout)
        if info is None or info.si_signo == signal.SIGCHLD or info.si_code == SI_KERNEL:
            return []
        return [info.si_signo]


def _supervise(pid: int, observer: Observer, gate: SignalGate) -> int:
    """Poll, forward signals and reap orphans until the command exits; return its exit code."""
    interval = POLL_SECONDS
    while True:
        observer.poll()
        for signo in gate.wait(observer.wait_events(interval)):
            _forward(pid, signo)
        interval = min(POLL_MAX_SECONDS, interval * POLL_GROWTH)
        _reap_orphans(pid, observer)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            _outlive(pid, observer, gate)
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code


def _outlive(root: int, observer: Observer, gate: SignalGate) -> None:
    """Keep watching descendants that outlive the command (orphans re-parented to us) for a grace period."""
    deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
    while time.monotonic() < deadline:
        observer.poll()
        _reap_orphans(root, observer)
        if not [p for p in observer.alive_pids() if p != root]:
            break
        for signo in gate.wait(observer.wait_events(POLL_SECONDS)):
            for pid in observer.alive_pids():
                _forward(pid, signo)
    observer.finish()
    _reap_orphans(root, observer)


def _forward(pid: int, signo: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signo)


def _reap_orphans(root: int, observer: Observer) -> None:
    """Collect zombies re-parented to us (subreaper); only pids in the tree, never someone else's child."""
    for pid in observer.alive_pids():
        if pid == root:
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
