"""Shebang lines: what the kernel runs for a `#!` file, and what `/usr/bin/env` then looks up.

Only the first bytes are read: Linux reads BINPRM_BUF_SIZE (256) bytes, xnu's exec_shell_imgact IMG_SHSIZE (512).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SHEBANG_READ = 512
ENV_FLAGS_WITH_VALUE = {"-u", "--unset", "-C", "--chdir", "-P"}


@dataclass(frozen=True)
class Shebang:
    interpreter: str  # the path the kernel executes
    args: tuple[str, ...]  # words after it on the line
    env_name: str | None = None  # X in `#!/usr/bin/env X`: looked up on PATH by env
    env_args: tuple[str, ...] = ()  # arguments env passes to X

    @property
    def line(self) -> str:
        return "#!" + " ".join((self.interpreter, *self.args))


def _env_command(args: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The program env runs and its arguments, skipping env's options and NAME=value assignments.

    The line is already split on whitespace (as `env -S` would split it), so -S needs no work of its own.
    """
    words = list(args)
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-S") and len(word) > 2:  # -S"node --flag": the rest was split on whitespace
            words[index:index + 1] = word[2:].split()
            continue
        elif word in ENV_FLAGS_WITH_VALUE:
            index += 1
        elif not (word.startswith("-") or "=" in word):
            return word, tuple(words[index + 1:])
        index += 1
    return None, ()


def parse_shebang(head: bytes) -> Shebang | None:
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].split(b"\0", 1)[0].rstrip(b"\r")  # the kernel reads C strings
    words = line.decode("utf-8", "surrogateescape").split()
    if not words:
        return None
    interpreter, args = words[0], tuple(words[1:])
    if os.path.basename(interpreter) == "env":
        name, env_args = _env_command(args)
        return Shebang(interpreter, args, name, env_args)
    return Shebang(interpreter, args)


def read_shebang(path: str) -> Shebang | None:
    """The shebang of a regular file, reading only its first bytes; None if there is none or it is unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        if not _is_regular(fd):
            return None
        return parse_shebang(os.read(fd, SHEBANG_READ))
    except OSError:
        return None
    finally:
        os.close(fd)


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)
