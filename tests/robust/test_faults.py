"""Faults of the machine around sipdoctor: a blocking cache file, hanging helpers, unwritable directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, write_executable
from tests.robust.conftest import run_cli

ENABLED = FIXTURES / "csrutil" / "enabled.txt"


def still_running(marker: str) -> bool:
    done = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return any(marker in line and "ps -eo" not in line for line in done.stdout.splitlines())


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_fifo_or_device_in_place_of_the_verdict_cache_does_not_block(tmp_path: Path, kind: str) -> None:
    cache = tmp_path / "cache" / "sipdoctor"
    cache.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(cache / "verdicts.json")
    else:
        (cache / "verdicts.json").symlink_to("/dev/zero")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = run_cli("check", tmp_path, "--fail-on", "never", env=env).clean()
    assert run.exit_code == 0
    assert run_cli("explain", sys.executable, env=env).clean().exit_code in (0, 1)


def test_a_csrutil_stand_in_that_hangs_is_stopped_with_its_children(tmp_path: Path) -> None:
    from sipdoctor.system import CommandNotFound, run_command

    marker = f"sleep 1000{uuid.uuid4().int % 1000}"
    stand_in = write_executable(tmp_path / "csrutil", f"#!/bin/sh\n{marker.replace('sleep ', 'sleep ')} &\n"
                                                      f"{marker}\n")
    with pytest.raises(CommandNotFound, match="no answer after 1 seconds"):
        run_command([str(stand_in), "status"], timeout=1)
    assert not still_running(marker)


def test_a_csrutil_stand_in_whose_child_keeps_the_pipe_open_still_answers(tmp_path: Path) -> None:
    marker = f"sleep 1000{uuid.uuid4().int % 1000}"
    stand_in = write_executable(tmp_path / "csrutil", f"#!/bin/sh\ncat '{ENABLED}'\n{marker} &\n")
    env = {**os.environ, "SIPDOCTOR_CSRUTIL": str(stand_in)}
    data = json.loads(run_cli("status", "--format", "json", env=env).clean().stdout)
    assert data["sip"]["readable"] is True and data["sip"]["status"] == "enabled"
    assert not still_running(marker)


def test_a_hanging_c_compiler_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sipdoctor.trace import build

    marker = f"sleep 1000{uuid.uuid4().int % 1000}"
    compiler = write_executable(tmp_path / "cc", f"#!/bin/sh\n{marker} &\n{marker}\n")
    monkeypatch.setattr(build, "COMPILE_SECONDS", 1)
    with pytest.raises(build.ProbeBuildError, match="did not finish"):
        build.build_probe(force=True, env={**os.environ, "CC": str(compiler),
                                           "SIPDOCTOR_CACHE_DIR": str(tmp_path / "c")})
    assert not still_running(marker)


@pytest.mark.parametrize("command", [("probe", "build", "--force"), ("trace", "--", "true")])
def test_a_cache_directory_that_is_a_file_is_a_usage_error(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "not-a-dir").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "SIPDOCTOR_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "not-a-dir")
    run = run_cli(*command, env=env).clean()
    assert run.exit_code == 2 and "not-a-dir" in run.stderr and "SIPDOCTOR_CACHE_DIR" in run.stderr
    assert run.stderr.count("\n") == 1
