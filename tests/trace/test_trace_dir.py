"""Where a trace keeps its records: a private directory, in memory on Linux, removed afterwards."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from sipdoctor.trace.records import RECORDS_NAME
from sipdoctor.trace.runner import make_trace_dir, memory_backed_dir
from tests.trace.trace_helpers import LINUX


@pytest.mark.skipif(not LINUX, reason="tmpfs trace directories are a Linux choice")
def test_runtime_dir_first_then_dev_shm(tmp_path: Path) -> None:
    runtime = tmp_path / "run-user"
    runtime.mkdir()
    assert memory_backed_dir({"XDG_RUNTIME_DIR": str(runtime)}) == str(runtime)
    assert memory_backed_dir({"XDG_RUNTIME_DIR": str(tmp_path / "missing")}) in ("/dev/shm", None)


def test_a_trace_directory_is_private_and_holds_an_empty_log(tmp_path: Path) -> None:
    trace_dir = make_trace_dir({"XDG_RUNTIME_DIR": str(tmp_path)})
    try:
        if LINUX:
            assert trace_dir.parent == tmp_path
        assert stat.S_IMODE(trace_dir.stat().st_mode) == 0o700
        assert (trace_dir / RECORDS_NAME).read_bytes() == b""
    finally:
        shutil.rmtree(trace_dir)


@pytest.mark.skipif(not LINUX, reason="tmpfs trace directories are a Linux choice")
def test_a_nearly_full_memory_filesystem_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's small /dev/shm could fill up mid-trace and lose records: the disk is safer then."""
    import os

    class Full:
        f_bavail, f_frsize = 1000, 4096  # 4 MB free

    monkeypatch.setattr(os, "statvfs", lambda path: Full())
    assert memory_backed_dir({"XDG_RUNTIME_DIR": str(tmp_path)}) is None


def test_stale_trace_directories_of_this_user_are_removed(tmp_path: Path) -> None:
    import os
    import time

    from sipdoctor.trace.runner import STALE_TRACE_SECONDS, remove_stale_trace_dirs

    old, fresh, other = tmp_path / "sipdoctor-trace-old", tmp_path / "sipdoctor-trace-new", tmp_path / "keep-me"
    for directory in (old, fresh, other):
        directory.mkdir()
        (directory / RECORDS_NAME).write_text("")
    long_ago = time.time() - STALE_TRACE_SECONDS - 60
    for path in (old, old / RECORDS_NAME, other, other / RECORDS_NAME):
        os.utime(path, (long_ago, long_ago))
    remove_stale_trace_dirs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep-me", "sipdoctor-trace-new"]
