"""Bad input: every case gives `unknown` with a clear reason, exit 2 as the explicit TARGET, and never hangs."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, judge_file
from sipdoctor.binaries.fileinfo import INPUT_PROBLEMS
from sipdoctor.model import Verdict
from tests.conftest import write_executable

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def never_hang() -> Iterator[None]:
    """A FIFO opened for reading would block forever: fail the test instead of hanging the suite."""
    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("judging blocked")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _make(kind: str, tmp_path: Path) -> str:
    path = tmp_path / kind
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken-symlink":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "symlink-loop":
        path.symlink_to(tmp_path / "loop-b")
        (tmp_path / "loop-b").symlink_to(path)
    elif kind == "empty":
        path.touch(mode=0o755)
    elif kind == "missing":
        pass
    elif kind == "non-utf8":
        raw = os.fsencode(tmp_path) + b"/bench-\xff\xfe"
        with open(raw, "wb") as out:
            out.write(b"#!/bin/sh\n")
        return os.fsdecode(raw)
    return str(path)


CASES = {
    "directory": "is-directory", "fifo": "not-regular-file", "broken-symlink": "broken-symlink",
    "symlink-loop": "symlink-loop", "empty": "empty-file", "missing": "missing", "non-utf8": "name-not-utf8",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_file_is_unknown_with_a_reason(kind: str, tmp_path: Path) -> None:
    report = judge_file(_make(kind, tmp_path), Assumptions("linux"))
    assert report.verdict == Verdict.UNKNOWN
    assert [reason.code for reason in report.reasons] == [CASES[kind]]
    assert CASES[kind] in INPUT_PROBLEMS
    json.dumps(report.to_json())  # printable even for a non-UTF-8 name


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("fmt", ["json", "human"])
def test_explicit_bad_target_exits_2(kind: str, fmt: str, tmp_path: Path, explain_cli: Cli) -> None:
    code, out, err = explain_cli(_make(kind, tmp_path), "--format", fmt, "--no-cache")
    assert code == 2
    assert out == ""
    assert "error:" in err and "Traceback" not in err


def test_unknown_command_name_exits_2(explain_cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    code, _, err = explain_cli("no-such-command", "--no-cache")
    assert code == 2 and "not found on PATH" in err


def test_unreadable_file_is_unknown(tmp_path: Path) -> None:
    """Checked as an unprivileged user (root reads everything): fork, drop to nobody, judge, report back."""
    secret = write_executable(tmp_path / "secret", "#!/bin/sh\n")
    secret.chmod(0o100)
    tmp_path.chmod(0o755)
    if os.geteuid() != 0:
        report = judge_file(str(secret), Assumptions("linux"))
        assert [r.code for r in report.reasons] == ["unreadable"]
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            report = judge_file(str(secret), Assumptions("linux"))
            os.write(write_end, json.dumps(report.to_json()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = json.loads(pipe.read() or b"{}")
    os.waitpid(pid, 0)
    assert data.get("verdict") == "unknown"
    assert [r["code"] for r in data["reasons"]] == ["unreadable"]


def test_an_unknown_format_is_a_verdict_not_an_input_error(tmp_path: Path, explain_cli: Cli) -> None:
    data_file = tmp_path / "data.bin"
    data_file.write_bytes(b"\x00\x01 not a program")
    code, out, _ = explain_cli(data_file, "--format", "json", "--no-cache", "--target", "linux")
    assert code == 0
    assert json.loads(out)["reasons"][0]["code"] == "unknown-format"
