"""`sipdoctor run` is transparent: the command's stdout, stdin, exit status, death by signal, pid and signal
dispositions are its own; only stderr carries sipdoctor's note, and --quiet drops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.reinject.conftest import parse_env
from tests.trace.test_transparency import CASES

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the Linux shim")


@pytest.fixture
def run_env(native_cache: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "SIPDOCTOR_CACHE_DIR": str(native_cache),
            "HOME": os.environ.get("HOME", "/")}


def sipdoctor_run(*args: str) -> list[str]:
    return [sys.executable, "-m", "sipdoctor", "run", *args]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}-{'-'.join(a) or 'plain'}" for n, a in CASES])
def test_same_behaviour_under_run(name: str, args: list[str], compile_c: Callable[..., Path],
                                  run_env: dict[str, str], tmp_path: Path) -> None:
    """The baseline has a directory first on PATH too, as run gives the command: glibc's posix_spawnp leaves
    the errno of its failed tries in that directory (a successful call's errno is unspecified)."""
    program = str(compile_c(name))
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = subprocess.run([program, *args], env={**run_env, "PATH": f"{empty}:{run_env['PATH']}"},
                           capture_output=True, timeout=60, check=False)
    wrapped = subprocess.run(sipdoctor_run("--quiet", "--", program, *args), env=run_env, capture_output=True,
                             timeout=60, check=False)
    assert (wrapped.stdout, wrapped.stderr, wrapped.returncode) == (plain.stdout, plain.stderr, plain.returncode)


def test_stdin_passes_through_byte_for_byte(run_env: dict[str, str]) -> None:
    data = bytes(range(256)) * 512
    done = subprocess.run(sipdoctor_run("-q", "--", "cat"), input=data, env=run_env, capture_output=True,
                          timeout=60, check=False)
    assert done.stdout == data and done.returncode == 0


def test_exec_in_place_keeps_the_pid(run_env: dict[str, str]) -> None:
    child = subprocess.Popen(sipdoctor_run("-q", "--", sys.executable, "-c", "import os; print(os.getpid())"),
                             env=run_env, stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=60)
    assert int(out) == child.pid


def test_a_signal_reaches_the_command_itself(run_env: dict[str, str], tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (f"import pathlib, signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
              f"pathlib.Path({str(ready)!r}).touch()\ntime.sleep(60)\n")
    child = subprocess.Popen(sipdoctor_run("-q", "--", sys.executable, "-c", script), env=run_env)
    while not ready.exists() and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 42


def test_sigpipe_is_default_again(run_env: dict[str, str]) -> None:
    """Python ignores SIGPIPE, and an ignored signal stays ignored across exec: run puts the default back."""
    child = subprocess.Popen(sipdoctor_run("-q", "--", "yes"), env=run_env, stdout=subprocess.PIPE)
    assert child.stdout is not None
    child.stdout.read(10)
    child.stdout.close()
    assert child.wait(timeout=60) == -signal.SIGPIPE


def test_environment_is_saved_and_shims_are_first(run_env: dict[str, str], tmp_path: Path) -> None:
    env = {**run_env, "DYLD_INSERT_LIBRARIES": "/opt/lib with space.dylib", "DYLD_FORCE_FLAT_NAMESPACE": "1"}
    done = subprocess.run(sipdoctor_run("-q", "--", "env", "-0"), env=env, capture_output=True, timeout=60,
                          check=True)
    seen = parse_env(done.stdout)
    assert seen[b"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == b"/opt/lib with space.dylib"
    assert seen[b"SIPDOCTOR_SAVED_DYLD_FORCE_FLAT_NAMESPACE"] == b"1"
    shim_dir = seen[b"SIPDOCTOR_REINJECT"]
    assert seen[b"PATH"] == shim_dir + b":/usr/bin:/bin"
    assert seen[b"DYLD_INSERT_LIBRARIES"] == b"/opt/lib with space.dylib"  # the command's own env is intact


def test_foreign_copy_is_saved_when_the_variable_is_gone(run_env: dict[str, str]) -> None:
    env = {**run_env, "__XPC_DYLD_INSERT_LIBRARIES": "/tmp/samply.dylib"}
    done = subprocess.run(sipdoctor_run("--", "env", "-0"), env=env, capture_output=True, timeout=60, check=True)
    assert parse_env(done.stdout)[b"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == b"/tmp/samply.dylib"
    assert b"from __XPC_DYLD_INSERT_LIBRARIES" in done.stderr


def test_log_collects_the_shims_events(run_env: dict[str, str], tmp_path: Path) -> None:
    """`--log` names where every shim below writes what it did: here python3 after a `sh -c` hop."""
    from sipdoctor.trace.shim_events import read_events

    python_dir = tmp_path / "py"
    python_dir.mkdir()
    (python_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    log = tmp_path / "events.log"
    env = {**run_env, "PATH": f"{python_dir}:/usr/bin:/bin", "DYLD_INSERT_LIBRARIES": "/x.dylib"}
    line = "python3 -c 'import os; print(os.environ[\"DYLD_INSERT_LIBRARIES\"])'"
    done = subprocess.run(sipdoctor_run("-q", "--log", str(log), "--", "sh", "-c", line), env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == "/x.dylib\n"
    (event,) = read_events(log)
    assert event.name == "python3" and event.outcome == "present" and event.target == str(python_dir / "python3")


def test_the_note_says_what_it_cannot_cover(run_env: dict[str, str]) -> None:
    done = subprocess.run(sipdoctor_run("--", "true"), env=run_env, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout == b""
    text = " ".join(done.stderr.decode().split())
    assert "Nothing to save: no DYLD_* variable here" in text
    assert "Never covered by shims: a program run by absolute path after a protected hop" in text
    assert "`env -i` and sudo" in text and "path_helper" in text


def test_bad_invocations_exit_2(cli: Callable[..., CliResult], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("run").exit_code == 2
    missing = cli("run", "--", "no-such-command-here")
    assert missing.exit_code == 2 and "command not found" in missing.stderr
    assert cli("run", "--hook-shell", "/bin/sh", "--", "true").exit_code == 2
    assert "give a program name" in cli("run", "--shim", "a/b", "--", "true").stderr
    no_dir = cli("run", "--log", str(tmp_path / "missing" / "x.log"), "--", "true")
    assert no_dir.exit_code == 2 and "missing/x.log" in no_dir.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.sipdoctor]\nreinject-skip = ["a/b"]\n')
    monkeypatch.chdir(tmp_path)
    bad = cli("run", "--", "true")
    assert bad.exit_code == 2 and "pyproject.toml:2" in bad.stderr and "not a program name" in bad.stderr
