"""Look at a file safely before judging it: stat first, never open a FIFO or device, read only the first bytes."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

HEAD_BYTES = 512
SF_RESTRICTED = 0x00080000  # xnu bsd/sys/stat.h; stat.SF_RESTRICTED exists only from Python 3.13
OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)

INPUT_PROBLEMS = frozenset({
    "name-not-utf8", "missing", "broken-symlink", "symlink-loop", "is-directory", "not-regular-file",
    "unreadable", "empty-file",
})
"""Reason codes that mean "this is not a file sipdoctor can judge": exit 2 when the user named it."""

FILE_TYPES = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device"}


class BadInput(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FileFacts:
    path: str  # absolute, as named (symlinks not resolved)
    real_path: str  # symlinks resolved: what the kernel executes
    mode: int
    size: int
    device: int
    inode: int
    mtime_ns: int
    st_flags: int | None  # BSD file flags (macOS only)

    @property
    def sf_restricted(self) -> bool:
        return self.st_flags is not None and bool(self.st_flags & SF_RESTRICTED)

    @property
    def identity(self) -> tuple[int, int, int, int]:
        return (self.device, self.inode, self.size, self.mtime_ns)


def display_path(path: str) -> str:
    """A printable form of a path whose name may not be valid UTF-8 (undecodable bytes become U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise BadInput("broken-symlink", f"broken symlink: {os.readlink(path)} does not exist") from None
        raise BadInput("missing", "no such file") from None
    except ValueError:  # os.stat refuses a path with a NUL byte (a script or project file can hold one)
        raise BadInput("unreadable", "the path contains a NUL byte") from None
    except NotADirectoryError:
        raise BadInput("missing", "no such file (a component of the path is not a directory)") from None
    except PermissionError:
        raise BadInput("unreadable", "permission denied while looking up the file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BadInput("symlink-loop", "symlink loop: too many levels of symbolic links") from None
        raise BadInput("unreadable", exc.strerror or str(exc)) from None


def inspect(path: str) -> FileFacts:
    """Stat the file and refuse everything that is not a non-empty regular file; never opens anything."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("name-not-utf8", "the file name is not valid UTF-8, so it cannot be reported "
                                        "exactly; rename it") from None
    st = _stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise BadInput("is-directory", "is a directory, not an executable")
    if not stat.S_ISREG(st.st_mode):
        kind = FILE_TYPES.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise BadInput("not-regular-file", f"is {kind}; sipdoctor does not open it")
    if st.st_size == 0:
        raise BadInput("empty-file", "the file is empty")
    return FileFacts(
        path=os.path.abspath(path), real_path=os.path.realpath(path), mode=st.st_mode,
        size=st.st_size, device=st.st_dev, inode=st.st_ino, mtime_ns=st.st_mtime_ns,
        st_flags=getattr(st, "st_flags", None),
    )


def open_regular(facts: FileFacts) -> int:
    """A read-only descriptor, non-blocking in case the file was swapped for a FIFO after `inspect`."""
    try:
        fd = os.open(facts.path, OPEN_FLAGS)
    except PermissionError:
        raise BadInput("unreadable", "permission denied: cannot read the file") from None
    except OSError as exc:
        raise BadInput("unreadable", exc.strerror or str(exc)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BadInput("not-regular-file", "changed into something other than a regular file")
    return fd


def read_head(fd: int) -> bytes:
    return os.pread(fd, HEAD_BYTES, 0)
