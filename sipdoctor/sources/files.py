"""Reading the user's files safely: only regular files, never a FIFO or device, and every error names the file."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

MAX_TEXT_BYTES = 1 << 20
"""Project files bigger than this are read only this far (a 1 MiB package.json is already unusual)."""


@dataclass(frozen=True)
class Problem:
    """Something found while scanning that the user should know about; the scan goes on."""

    file: str
    line: int | None
    message: str

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}

    def note(self) -> str:
        """`file:line: message` (just `file: message` without a line), as a prediction's note."""
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class Unreadable(OSError):
    """A file that could not be read as text; `str()` is `path: reason`, `problem` the same as a Problem."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    @property
    def problem(self) -> Problem:
        return Problem(self.path, None, self.reason)


def read_text(path: str | os.PathLike[str], limit: int = MAX_TEXT_BYTES, *, whole: bool = False) -> str:
    """The text of a regular file, never opening anything else; raises Unreadable with the reason.

    By default the first `limit` bytes, undecodable bytes replaced (enough to find scripts and settings).
    With `whole`, the file must fit in `limit` and be UTF-8: for files parsed strictly or edited in place.
    """
    _check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise Unreadable(path, f"cannot open: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            raise Unreadable(path, NOT_REGULAR)
        if whole and st.st_size > limit:
            raise Unreadable(path, f"too large ({st.st_size} bytes; the limit is {limit})")
        data = _read_up_to(fd, limit)
    except OSError as exc:
        if isinstance(exc, Unreadable):
            raise
        raise Unreadable(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if not whole:
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


NOT_REGULAR = "not a regular file (FIFO, device or directory): not read"


def _check_regular(path: str | os.PathLike[str]) -> None:
    """stat() the path (following links) and refuse anything but a regular file, without opening it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise Unreadable(path, "broken symbolic link" if os.path.islink(path) else "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable(path, "symbolic link loop") from None
        raise Unreadable(path, f"cannot open: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise Unreadable(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable(path, NOT_REGULAR)


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def is_regular(path: str) -> bool:
    """Whether the path (links followed) is a regular file; never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
