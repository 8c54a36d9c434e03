"""PATH lookup as execvp(3) and env(1) do it: every match in PATH order; the first one wins."""

from __future__ import annotations

import os
import stat


def _is_executable_file(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) and os.access(path, os.X_OK)


def resolve_command(name: str, env_path: str) -> list[str]:
    """Every executable named `name` on env_path, in order (duplicates once); a name with a slash is a path."""
    if "/" in name:
        return [os.path.abspath(name)] if _is_executable_file(name) else []
    matches: list[str] = []
    for directory in env_path.split(os.pathsep):
        candidate = os.path.join(directory or ".", name)  # an empty entry means the current directory
        candidate = os.path.abspath(candidate)
        if candidate not in matches and _is_executable_file(candidate):
            matches.append(candidate)
    return matches
