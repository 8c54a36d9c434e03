"""Everything collectors may touch of the machine, passed in so that tests hand in recorded data."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandNotFound(Exception):
    """The program to run does not exist or cannot be executed."""


Runner = Callable[[Sequence[str]], CommandResult]


OUTPUT_LIMIT = 1 << 20


def run_bounded(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
    """Run a program with no stdin, its output in temporary files, in a process group of its own.

    It gets `timeout` seconds (then subprocess.TimeoutExpired); either way nothing it started outlives the call
    (the whole group is killed), and a background child that keeps its output open never delays the answer:
    the call returns when the program itself exits.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, env=None if env is None else dict(env))
        try:
            code = proc.wait(timeout)
        finally:
            _kill_group(proc)
        out.seek(0)
        err.seek(0)
        return CommandResult(tuple(argv), code, out.read(OUTPUT_LIMIT).decode("utf-8", "replace"),
                             err.read(OUTPUT_LIMIT).decode("utf-8", "replace"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    import signal

    with contextlib.suppress(OSError):  # the group is already empty
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_command(argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
    """Run a short query command (csrutil, codesign...) with no stdin; never raises on exit status."""
    try:
        return run_bounded(argv, timeout)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise CommandNotFound(f"{argv[0]}: {exc.strerror or exc}") from exc
    except OSError as exc:  # ENOEXEC and friends: not a runnable program
        raise CommandNotFound(f"{argv[0]}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandNotFound(f"{argv[0]}: no answer after {timeout:g} seconds") from exc


def secure_execution_mode() -> bool | None:
    """getauxval(AT_SECURE) of this process: glibc's secure-execution mode (ld.so(8)), None off glibc."""
    import ctypes
    import ctypes.util

    at_secure = 23  # <elf.h> AT_SECURE
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        getauxval = libc.getauxval
    except (OSError, AttributeError):
        return None
    getauxval.restype = ctypes.c_ulong
    getauxval.argtypes = [ctypes.c_ulong]
    return bool(getauxval(at_secure))


def read_active_config() -> int | None:
    """The running kernel's CSR configuration (csr_get_active_config, xnu bsd/sys/csr.h; decoded in
    sipdoctor.sip.active_config), or None where it cannot be read (not macOS, call failed)."""
    import ctypes

    if sys.platform != "darwin":
        return None
    try:
        libsystem = ctypes.CDLL("/usr/lib/libSystem.B.dylib")  # served from the dyld shared cache on macOS 11+
        config = ctypes.c_uint32(0)
        if libsystem.csr_get_active_config(ctypes.byref(config)) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return int(config.value)


@dataclass(frozen=True)
class System:
    """The host as the collectors see it."""

    platform: str  # "macos" or "linux" (other POSIX systems report as "linux" for the loader facts)
    env: Mapping[str, str] = field(default_factory=dict)
    run: Runner = run_command
    cwd: Path = field(default_factory=Path.cwd)
    fs_root: Path = Path("/")
    read_csr_config: Callable[[], int | None] = read_active_config
    secure_execution: Callable[[], bool | None] = secure_execution_mode

    @classmethod
    def real(cls) -> System:
        return cls(platform=host_platform(), env=dict(os.environ), run=run_command, cwd=Path.cwd())

    @property
    def in_ci(self) -> bool:
        value = self.env.get("CI", "").strip().lower()
        return value not in ("", "0", "false", "no") or self.env.get("GITHUB_ACTIONS") == "true"

    def which(self, name: str, path: str | None = None) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", os.defpath) if path is None else path)


def host_platform() -> str:
    return "macos" if sys.platform == "darwin" else "linux"



CACHE_ENV = "SIPDOCTOR_CACHE_DIR"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """sipdoctor's cache directory: $SIPDOCTOR_CACHE_DIR, else the per-user cache directory (platformdirs)."""
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sipdoctor"))
