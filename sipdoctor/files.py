"""Reading user files safely: never open a FIFO or device, name the file in every error."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(OSError):
    """A file that is not a readable regular file; the message says why, naming the path."""


def check_regular(path: Path) -> os.stat_result:
    """stat() the path (following links) and refuse anything but a regular file, without opening it."""
    try:
        st = path.stat()
    except FileNotFoundError:
        kind = "broken symbolic link" if path.is_symlink() else "no such file"
        raise UnreadableFile(f"{path}: {kind}") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise UnreadableFile(f"{path}: symbolic link loop") from None
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableFile(f"{path}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableFile(f"{path}: not a regular file (FIFO, socket or device); not opened")
    return st


def read_text(path: Path, *, limit: int = 4 * 1024 * 1024) -> str:
    """The whole text of a regular UTF-8 file of at most `limit` bytes."""
    st = check_regular(path)
    if st.st_size > limit:
        raise UnreadableFile(f"{path}: too large ({st.st_size} bytes; the limit is {limit})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark some editors write
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
