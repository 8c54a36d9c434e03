"""Careful reads for collectors: only regular files, only the first bytes, never a FIFO or device."""

from __future__ import annotations

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


class Unreadable(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(path, None, message)


def read_text(path: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The start of a regular file as text; raises Unreadable (with the reason) for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise Unreadable(path, f"cannot open: {exc.strerror}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable(path, "not a regular file (FIFO, device or directory): not read")
        data = os.read(fd, limit)
    except OSError as exc:
        raise Unreadable(path, f"cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace")


def is_regular(path: str) -> bool:
    """lstat-free check that follows symlinks but never opens the file."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
