"""Where the output goes wrong: closed or full streams, crash reports, file names that are not UTF-8."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.robust.conftest import HANG_GUARD


def sipdoctor_shell(shell_redirects: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """sipdoctor ARGS with shell redirections (`>&-`, `>/dev/full`) that a Python Popen cannot express."""
    command = " ".join([f"'{sys.executable}'", "-m", "sipdoctor", *args, shell_redirects])
    return subprocess.run(["sh", "-c", command], capture_output=True, cwd=cwd, timeout=HANG_GUARD, check=False)


@pytest.mark.parametrize(("redirect", "code", "message"), [
    (">&-", 2, b"standard output is closed"),
    (">/dev/full", 2, b"No space left on device"),
    ("-f json >/dev/full", 2, b"No space left on device"),
    ("2>&- >/dev/null", 0, b""),
])
def test_a_closed_or_full_output_is_one_line_not_a_crash(tmp_path: Path, redirect: str, code: int,
                                                         message: bytes) -> None:
    if not os.path.exists("/dev/full") and "full" in redirect:
        pytest.skip("no /dev/full here")
    done = sipdoctor_shell(redirect, "check", str(tmp_path), "--fail-on", "never", cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr
    assert len(done.stderr.splitlines()) <= 1


def test_two_crash_reports_in_the_same_second_are_both_kept(isolated_dirs: Path) -> None:
    from sipdoctor.crash import write_report

    first = write_report(RuntimeError("one"), ["check"])
    second = write_report(RuntimeError("two"), ["check"])
    assert isinstance(first, Path) and isinstance(second, Path) and first != second
    assert "one" in first.read_text() and "two" in second.read_text()


def test_json_stays_valid_utf8_for_a_project_path_that_is_not(cli, tmp_path: Path) -> None:
    project = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff"))
    project.mkdir()
    (project / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}')
    (project / os.fsdecode(b"run\xfe")).write_text("")
    done = subprocess.run([sys.executable, "-m", "sipdoctor", "check", os.fsencode(project), "-f", "json",
                           "--fail-on", "never"], capture_output=True, timeout=HANG_GUARD, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8: raises on a raw 0xff byte
    assert any("bad\ufffd" in c["file"] for c in data["commands"])
