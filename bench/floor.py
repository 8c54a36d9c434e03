"""The floor for `check` on large inputs, run as a new process like `check` itself.

Imports what any such command needs (`import typer, rich, yaml, psutil, platformdirs`), then does the least any
tool must do to find the executables under the given roots and the interpreters they start: an os.scandir
walk (not following directory symlinks, skipping .git and, with --skip-node-modules, the insides of
node_modules), a stat of each file for its executable bit, and a read of the first 512 bytes of each executable.
Prints the number of files and executables.

    python bench/floor.py [--skip-node-modules] ROOT...
"""

from __future__ import annotations

import os
import stat
import sys

import platformdirs  # noqa: F401
import psutil  # noqa: F401
import rich  # noqa: F401
import typer  # noqa: F401
import yaml  # noqa: F401


def walk(roots: list[str], skip_node_modules: bool) -> tuple[int, int]:
    files = executables = 0
    pending = list(roots)
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != ".git" and not (skip_node_modules and entry.name == "node_modules"):
                    pending.append(entry.path)
                continue
            files += 1
            try:
                info = os.stat(entry.path)
                if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
                    executables += 1
                    with open(entry.path, "rb") as head:
                        head.read(512)
            except OSError:
                pass
    return files, executables


if __name__ == "__main__":
    skip = "--skip-node-modules" in sys.argv
    print(*walk([a for a in sys.argv[1:] if a != "--skip-node-modules"], skip))
