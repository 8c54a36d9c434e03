"""Progress goes to standard error, only on a terminal, only for human output, never in CI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading

import pytest

from sipdoctor.commands.progress import progress

SHOW = ("import threading\nfrom sipdoctor.commands.progress import progress\n"
        "with progress('Compiling the probe library...', delay=0):\n    threading.Event().wait(1.0)\n")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_spinner_appears_when_standard_error_is_a_terminal() -> None:
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_PROGRESS")}
    try:
        done = subprocess.run([sys.executable, "-c", SHOW], stderr=follower, stdout=subprocess.PIPE, env=env,
                              timeout=60, check=False)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty's other end is closed: everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0 and done.stdout == b""
    assert b"Compiling the probe library" in shown


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("case", ["machine format", "piped", "ci"])
def test_no_spinner_for_machine_formats_pipes_or_ci(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    terminal = Terminal() if case != "piped" else io.StringIO()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    if case == "ci":
        monkeypatch.setenv("CI", "true")
    with progress("Working...", enabled=case != "machine format", delay=0):
        threading.Event().wait(0.3)
    assert terminal.getvalue() == ""
