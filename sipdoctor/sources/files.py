"""Reading the user's files safely: only regular files, never a FIFO or device, and every error names the file."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

MAX_TEXT_BYTES = 8 << 20
"""The most read of a file: a file read `whole` (package.json, Makefile...) that is larger is a problem naming
its size, never silently cut short (a cut package.json would read as malformed JSON)."""
BOM = "\ufeff"


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

    def __init__(self, path: str | os.PathLike[str], reason: str, line: int | None = None) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
        self.line = line

    @property
    def problem(self) -> Problem:
        return Problem(self.path, self.line, self.reason)


def read_text(path: str | os.PathLike[str], limit: int = MAX_TEXT_BYTES, *, whole: bool = False) -> str:
    """The text of a regular file, never opening anything else; raises Unreadable with the reason.

    By default the first `limit` bytes, undecodable bytes replaced (enough to find scripts and settings).
    With `whole`, the file must fit in `limit`, be UTF-8 and hold no NUL byte (binary garbage is no project
    file; the line of the first NUL is given): for files parsed or edited in place. A leading UTF-8
    byte-order mark (some Windows editors write one) is dropped either way.
    """
    _check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise Unreadable(path, f"cannot open: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            raise Unreadable(path, NOT_REGULAR)
        if whole and st.st_size > limit:
            raise Unreadable(path, f"too large to read: {st.st_size:,} bytes (sipdoctor reads such a file up to "
                                   f"{limit:,} bytes)")
        data = _read_up_to(fd, limit)
    except OSError as exc:
        if isinstance(exc, Unreadable):
            raise
        raise Unreadable(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if not whole:
        return data.decode("utf-8", "replace").removeprefix(BOM)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable(path, "UTF-16 text (a byte-order mark says so): save it as UTF-8")
    try:
        text = data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        raise Unreadable(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise Unreadable(path, "holds a NUL byte: a binary file, not text; not read", line)
    return text


NOT_REGULAR = "not a regular file (FIFO, device or directory): not read"


def _check_regular(path: str | os.PathLike[str]) -> None:
    """stat() the path (following links) and refuse anything but a regular file, without opening it."""
    try:
        st = os.stat(path)
    except ValueError:
        raise Unreadable(path, "the path holds a NUL byte") from None
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
