"""The trace and probe commands through a real Typer app in a subprocess: exit status, signals, formats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trace.trace_helpers import LINUX

pytestmark = pytest.mark.skipif(not LINUX, reason="traces real processes with LD_PRELOAD")

CLI = [sys.executable, "-m", "sipdoctor"]
PROCESS_KEYS = {"pid", "ppid", "exe", "argv", "state", "cause", "cpu_seconds"}


@pytest.fixture
def cli_env(probe: Path) -> dict[str, str]:
    """The session's probe cache, so the subprocess finds the probe already built."""
    return {**os.environ, "SIPDOCTOR_CACHE_DIR": str(probe.parents[2]), "NO_COLOR": "1"}


def sipdoctor(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False,
                          **kwargs)  # type: ignore[call-overload]


def test_exit_status_and_stdio_pass_through(cli_env: dict[str, str]) -> None:
    done = sipdoctor(["trace", "--", "/bin/sh", "-c", "read x; echo out:$x; echo err >&2; exit 42"], cli_env,
                     input="typed\n")
    assert done.returncode == 42
    assert done.stdout == "out:typed\n"
    assert done.stderr.startswith("err\n") and "Coverage: 1 of 1 processes profiled" in done.stderr


def test_command_options_need_no_double_dash(cli_env: dict[str, str]) -> None:
    done = sipdoctor(["trace", sys.executable, "-c", "print('ok')"], cli_env)
    assert done.returncode == 0 and done.stdout == "ok\n"


def test_signal_sent_to_sipdoctor_reaches_the_command(cli_env: dict[str, str]) -> None:
    script = ("import signal, sys, time\n"
              "signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(5)))\n"
              "print('ready', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([*CLI, "trace", "--", sys.executable, "-c", script], env=cli_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert out == "got TERM\n"
    assert proc.returncode == 5


def test_json_report_follows_the_contract(cli_env: dict[str, str], tmp_path: Path) -> None:
    report = tmp_path / "trace.json"
    done = sipdoctor(["trace", "--format", "json", "-o", str(report), "--emulate-sip", "--",
                      "/bin/bash", "-c", f'"{sys.executable}" -c "sum(range(3_000_000))"; exit 3'], cli_env)
    assert done.returncode == 3
    data = json.loads(report.read_text())
    assert set(data) == {"schema_version", "command", "exit_code", "processes", "coverage", "missed_estimate",
                         "incomplete", "findings"}
    assert data["incomplete"] is None
    # TRC002 joins when the tracer may have missed a short-lived process (timing-dependent)
    assert [f["rule"] for f in data["findings"]][:1] == ["TRC001"] and data["findings"][0]["evidence"]["percent"] == 100
    assert data["schema_version"] == 1 and data["exit_code"] == 3 and data["command"][0] == "/bin/bash"
    assert all(set(p) == PROCESS_KEYS for p in data["processes"])
    states = [p["state"] for p in data["processes"]]
    assert states[0] == "stripped" and "unprofiled" in states
    assert set(data["coverage"]) == {"processes_profiled", "processes_total", "cpu_profiled_fraction"}
    assert data["coverage"]["processes_profiled"] == 0 and data["coverage"]["cpu_profiled_fraction"] == 0
    assert data["missed_estimate"] is None or data["missed_estimate"] >= 0


def test_sample_under_emulated_sip(cli_env: dict[str, str]) -> None:
    done = sipdoctor(["trace", "--sample", "--emulate-sip", "--format", "json"], cli_env)
    assert done.returncode == 0, done.stderr
    processes = json.loads(done.stdout)["processes"]
    by_state: dict[str, list[list[str]]] = {}
    for p in processes:
        by_state.setdefault(p["state"], []).append(p["argv"])
    benches = [argv for argvs in by_state.values() for argv in argvs if argv[0] == sys.executable
               and argv[-1].endswith("bench.py")]
    assert len(benches) == 4  # direct, under bash -c, and two workers below the shim
    assert sum(argv[-1].endswith("bench.py") for argv in by_state["profiled"]) == 1
    assert sum(argv[-1].endswith("bench.py") for argv in by_state["unprofiled"] if argv[0] == sys.executable) == 3
    assert {argv[0] for argv in by_state["stripped"]} == {"/bin/bash", "/usr/bin/env"}


def test_sample_human_report(cli_env: dict[str, str]) -> None:
    done = sipdoctor(["trace", "--sample", "--emulate-sip"], cli_env)
    assert done.returncode == 0
    assert "[stripped] /bin/bash -c" in done.stderr and "[stripped] /usr/bin/env" in done.stderr
    assert "ran where the profiler cannot see it" in done.stderr and "Cause: /usr/bin/env" in done.stderr
    fix = next(line for line in done.stderr.splitlines() if line.strip().startswith("$ ") and "pm.py" in line)
    assert "/usr/bin/env" not in fix  # the fix for the env hop: start the interpreter directly


def test_bad_usage_is_a_clear_error(cli_env: dict[str, str]) -> None:
    missing = sipdoctor(["trace", "--", "no-such-command-xyz"], cli_env)
    assert missing.returncode != 0 and "command not found" in (missing.stderr + str(missing.stdout))
    both = sipdoctor(["trace", "--sample", "--", "true"], cli_env)
    assert both.returncode != 0 and "not both" in both.stderr + both.stdout


def test_probe_path_and_build(cli_env: dict[str, str], probe: Path, tmp_path: Path) -> None:
    assert sipdoctor(["probe", "path"], cli_env).stdout.strip() == str(probe)
    fresh = {**cli_env, "SIPDOCTOR_CACHE_DIR": str(tmp_path / "cache")}
    assert sipdoctor(["probe", "path"], fresh).returncode == 1
    built = sipdoctor(["probe", "build"], fresh)
    assert built.returncode == 0 and Path(built.stdout.strip()).is_file()
    assert sipdoctor(["probe", "path"], fresh).returncode == 0


def test_ctrl_c_on_the_terminal_reaches_the_command_once(cli_env: dict[str, str]) -> None:
    """The terminal sends SIGINT to the whole foreground group (si_code SI_KERNEL): the command gets it from
    the kernel, so sipdoctor must not forward a second one."""
    import pty
    import select

    script = ("import signal, time\nhits = []\nsignal.signal(signal.SIGINT, lambda *a: hits.append(1))\n"
              "print('ready', flush=True)\nwhile not hits: time.sleep(0.01)\ntime.sleep(0.5)\n"
              "print('interrupts:', len(hits), flush=True)\n")
    pid, master = pty.fork()
    if pid == 0:  # child: a session leader with the pty as its terminal, like a shell's foreground job
        os.execve(CLI[0], [*CLI, "trace", "--", sys.executable, "-c", script], cli_env)
    output = b""
    try:
        while b"ready" not in output:
            select.select([master], [], [], 30)
            output += os.read(master, 1024)
        os.write(master, b"\x03")  # Ctrl-C
        while b"interrupts:" not in output or not output.endswith(b"\n"):
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            output += os.read(master, 1024)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(master)
    assert b"interrupts: 1" in output
    assert os.waitstatus_to_exitcode(status) == 0
