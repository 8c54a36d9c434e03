"""Executable files under a project and the interpreter each starts, reading only their first bytes.

Walks the project without following directory symlinks, skips what the top-level .gitignore ignores (simple
patterns) and the insides of node_modules and virtual environments, but always looks in node_modules/.bin and
.venv/bin. FIFOs and devices are never opened; symlink loops and unreadable entries become problems.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sipdoctor.binaries.script import read_shebang
from sipdoctor.sources.files import Problem, Unreadable, read_text

ALWAYS_SKIP = {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".mypy_cache", ".ruff_cache"}
ALWAYS_SCAN = ("node_modules/.bin", ".venv/bin", "venv/bin")
OPAQUE = {"node_modules", ".venv", "venv"}
MAX_ENTRIES = 200_000


@dataclass
class ScriptScan:
    executables: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    visited: int = 0


def gitignore_patterns(root: Path) -> list[str]:
    try:
        text = read_text(str(root / ".gitignore"), 65536)
    except Unreadable:
        return []
    return [line.strip().rstrip("/") for line in text.splitlines()
            if line.strip() and not line.startswith(("#", "!"))]


def ignore_matcher(patterns: list[str]) -> Callable[[str], object] | None:
    """One compiled regex for all the patterns, as fnmatch would match each (None: nothing is ignored)."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(p.lstrip("/")) for p in patterns)).match


def scan_scripts(root: Path) -> ScriptScan:
    scan = ScriptScan()
    ignored = ignore_matcher(gitignore_patterns(root))
    # (directory, its path relative to root with a trailing slash): relative paths by concatenation, as
    # os.path.relpath on every entry was half the walk's time on a large tree; missing ones are skipped below
    pending = [(str(root), "")] + [(str(root / extra), extra + "/") for extra in ALWAYS_SCAN]
    seen: set[str] = set()
    while pending and scan.visited < MAX_ENTRIES:
        directory, prefix = pending.pop()
        if directory in seen:
            continue
        seen.add(directory)
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            scan.problems.append(Problem(directory, None, f"cannot list: {exc.strerror}"))
            continue
        for entry in entries:
            scan.visited += 1
            name = entry.name
            if name in ALWAYS_SKIP or (ignored is not None and (ignored(name) or ignored(prefix + name))):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name not in OPAQUE:
                    pending.append((entry.path, prefix + name + "/"))
                continue
            _consider(entry, scan, read_shebang)
    return scan


BROKEN_SYMLINK = "broken symlink"


def _consider(entry: os.DirEntry[str], scan: ScriptScan, read_shebang: Any) -> None:
    try:
        info = os.stat(entry.path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            scan.problems.append(Problem(entry.path, None, "symlink loop: not followed"))
        elif entry.is_symlink():
            scan.problems.append(Problem(entry.path, None, BROKEN_SYMLINK))
        return
    if not stat.S_ISREG(info.st_mode):
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
            scan.problems.append(Problem(entry.path, None, "FIFO or device: never opened"))
        return
    if not info.st_mode & 0o111:
        return
    shebang = read_shebang(entry.path)
    scan.executables.append({
        "path": entry.path,
        "symlink_to": os.path.realpath(entry.path) if entry.is_symlink() else None,
        "shebang": shebang.line if shebang else None,
        "interpreter": shebang.interpreter if shebang else None,
        "env_name": shebang.env_name if shebang else None,
    })
