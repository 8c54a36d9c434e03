"""How a fix names a program in a file that other machines run: never by a path of the checking machine.

The one place that chooses those paths (a model of the machine the command runs on can replace `resolve` and
`path`). A program inside the project is named by its project-relative path (`node_modules/vitest/vitest.mjs`,
the package's `bin` entry); a program outside it only by its bare name, and only when that name finds the same
program first on the judged machine's PATH (the file's runner looks it up there, as `command -v` would). Else
there is no portable name, and the fix is a command for the person to type on their own machine instead of an
edit. Why a name is looked up on PATH by each runner: docs/fix-plan.md, "Portable fixes".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from sipdoctor.binaries import resolve_command

Resolve = Callable[[str, str], list[str]]


def portable_name(program: str, path: str, resolve: Resolve = resolve_command) -> str | None:
    """The bare name that finds `program` first on PATH, else None."""
    if not os.path.isabs(program):
        return program
    name = os.path.basename(program)
    found = resolve(name, path)
    return name if found and os.path.realpath(found[0]) == os.path.realpath(program) else None


def portable_shell(shells: Sequence[str], path: str, resolve: Resolve = resolve_command) -> str | None:
    """The first shell outside the system directories that a bare name reaches on PATH (`bash`)."""
    return next((name for name in (portable_name(s, path, resolve) for s in shells) if name), None)


def portable_argv(argv: Sequence[str], root: str | None, path: str,
                  resolve: Resolve = resolve_command) -> list[str] | None:
    """`argv` (paths under the project already relative) with its program by bare name; None when a path of
    this machine outside the project would remain."""
    if not argv:
        return None
    program = portable_name(argv[0], path, resolve)
    if program is None:
        return None
    rest = list(argv[1:])
    if any(os.path.isabs(a) and not (root and a.startswith(root.rstrip(os.sep) + os.sep)) for a in rest):
        return None
    return [program, *rest]
