"""Careful reads for collectors: only regular files, only the first bytes, never a FIFO or device."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_TEXT_BYTES = 8 << 20
"""The largest project file read whole (package.json, Makefile...); a larger one is a problem naming its size,
never silently cut short (a cut package.json reads as malformed JSON)."""
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


class Unreadable(Exception):
    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(path, line, message)


def read_text(path: str, limit: int = MAX_TEXT_BYTES, *, head: bool = False) -> str:
    """A regular file as text, never opening a FIFO or device; raises Unreadable (with the reason) otherwise.

    The whole file, which must be at most `limit` bytes and hold no NUL byte (binary garbage is not a
    project file); with `head`, only its first `limit` bytes, NUL bytes kept (a shebang script's start). A
    leading UTF-8 byte-order mark is dropped (editors on Windows write one); undecodable bytes become U+FFFD.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:
        raise Unreadable(path, f"cannot open: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(path, "not a regular file (FIFO, device or directory): not read")
        if not head and info.st_size > limit:
            raise Unreadable(path, f"too large to read: {info.st_size:,} bytes (sipdoctor reads such a file up "
                                   f"to {limit:,} bytes)")
        data = _read_up_to(fd, limit)
    except OSError as exc:
        raise Unreadable(path, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    text = data.decode("utf-8", "replace").removeprefix(BOM)
    if not head and "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise Unreadable(path, "holds a NUL byte: a binary file, not text; not read", line)
    return text


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def is_regular(path: str) -> bool:
    """lstat-free check that follows symlinks but never opens the file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
