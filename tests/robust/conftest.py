"""Helpers for the bad-input and fault tests (docs/bad-inputs.md lists what they cover)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

HANG_GUARD = 120
"""Seconds after which a run counts as hung: a guard against a hang, far above any normal run (not a timing)."""


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)

    def clean(self) -> Run:
        """No traceback, no internal error: the shape every bad input must keep."""
        assert "Traceback" not in self.stderr, self.stderr
        assert self.exit_code != 3, self.stderr
        return self


def run_cli(*args: str | os.PathLike[str], env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: int | None = subprocess.DEVNULL, timeout: float = HANG_GUARD) -> Run:
    """`sipdoctor ARGS` as a new process (what a user runs), killed as hung after `timeout` seconds."""
    done = subprocess.run([sys.executable, "-m", "sipdoctor", *map(str, args)], capture_output=True,
                          env=env, cwd=cwd, stdin=stdin, timeout=timeout, check=False)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def as_nobody(job: Callable[[], object]) -> object:
    """Run `job` in a child process as user nobody (root reads everything) and return its JSON-able result."""
    if os.geteuid() != 0:
        return job()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            result = job()
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else None


@pytest.fixture
def public_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory user nobody can enter (pytest's own tmp_path is private to root)."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="sipdoctor-bad-"))
    path.chmod(0o755)
    yield path
    import shutil

    for sub in path.rglob("*"):
        if sub.is_dir() and not sub.is_symlink():
            sub.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)
