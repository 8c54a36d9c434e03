"""Everything collectors may touch of the machine, passed in so that tests hand in recorded data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandNotFound(Exception):
    """The program to run does not exist or cannot be executed."""


Runner = Callable[[Sequence[str]], CommandResult]


def run_command(argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
    """Run a short query command (csrutil, codesign...) with no stdin; never raises on exit status."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, errors="replace",
            stdin=subprocess.DEVNULL, timeout=timeout, check=False,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise CommandNotFound(f"{argv[0]}: {exc.strerror or exc}") from exc
    except OSError as exc:  # ENOEXEC and friends: not a runnable program
        raise CommandNotFound(f"{argv[0]}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandNotFound(f"{argv[0]}: no answer after {timeout:g} seconds") from exc
    return CommandResult(tuple(argv), done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class System:
    """The host as the collectors see it."""

    platform: str  # "macos" or "linux" (other POSIX systems report as "linux" for the loader facts)
    env: Mapping[str, str] = field(default_factory=dict)
    run: Runner = run_command
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def real(cls) -> System:
        return cls(platform=host_platform(), env=dict(os.environ), run=run_command, cwd=Path.cwd())

    @property
    def in_ci(self) -> bool:
        value = self.env.get("CI", "").strip().lower()
        return value not in ("", "0", "false", "no") or self.env.get("GITHUB_ACTIONS") == "true"

    def which(self, name: str, path: str | None = None) -> str | None:
        return shutil.which(name, path=self.env.get("PATH", os.defpath) if path is None else path)


def host_platform() -> str:
    return "macos" if sys.platform == "darwin" else "linux"
