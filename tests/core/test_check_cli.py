"""`sipdoctor check` end to end: findings per recorded SIP state, formats, exit codes, configuration."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import FIXTURES, write_executable

ENABLED = (FIXTURES / "csrutil" / "enabled.txt").read_text()
DISABLED = (FIXTURES / "csrutil" / "disabled.txt").read_text()


def rules_of(result) -> list[str]:
    return [f["rule"] for f in json.loads(result.stdout)["findings"]]


def test_enabled_locally_suggests_csrutil_after_the_toolchain_fix(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(ENABLED)
    result = cli("check", tmp_path, "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (finding,) = [f for f in data["findings"] if f["rule"] == "SIP001"]
    assert finding["severity"] == "info"
    commands = [r["command"] for r in finding["remediations"]]
    assert commands[0] is None and "toolchain" in finding["remediations"][0]["text"]
    assert "csrutil enable --without debug" in commands
    assert data["summary"]["verdict"] == "Ready to profile"


def test_in_ci_never_suggests_changing_sip(cli, csrutil_stub, tmp_path, monkeypatch) -> None:
    csrutil_stub(ENABLED)
    monkeypatch.setenv("CI", "true")
    data = json.loads(cli("check", tmp_path, "-f", "json").stdout)
    (finding,) = [f for f in data["findings"] if f["rule"] == "SIP001"]
    assert all("csrutil" not in (r["command"] or "") for r in finding["remediations"])
    assert any("In CI" in r["text"] for r in finding["remediations"])


def test_disabled_is_a_security_warning(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(DISABLED)
    result = cli("check", tmp_path, "-f", "json")
    assert rules_of(result) == ["SIP002"]
    assert result.exit_code == 0  # default --fail-on error
    assert cli("check", tmp_path, "--fail-on", "warning").exit_code == 1


def test_unreadable_status(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub("garbage\n", status=3)
    result = cli("check", tmp_path, "-f", "json")
    assert "SIP003" in rules_of(result)
    finding = next(f for f in json.loads(result.stdout)["findings"] if f["rule"] == "SIP003")
    assert finding["evidence"]["raw"] == "garbage\n"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("enabled.txt", ["SIP001"]), ("disabled.txt", ["SIP002"]), ("elcapitan-custom.txt", []),
     ("monterey-apple-silicon-custom.txt", [])],
)
def test_every_recorded_output(fixture: str, expected: list[str], cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub((FIXTURES / "csrutil" / fixture).read_text())
    found = [r for r in rules_of(cli("check", tmp_path, "-f", "json")) if r.startswith("SIP")]
    assert found == expected


def test_error_findings_exit_1_and_fail_on_never(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(ENABLED)
    (tmp_path / ".sipdoctor.toml").write_text('severity = { SIP001 = "error" }\n')
    result = cli("check", tmp_path, "--color", "never")
    assert result.exit_code == 1
    assert "1 problem will hide processes from the profiler" in result.stdout
    assert cli("check", tmp_path, "--fail-on", "never").exit_code == 0


def test_github_annotations(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(DISABLED)
    lines = cli("check", tmp_path, "-f", "github").stdout.splitlines()
    assert lines[0].startswith("::warning title=SIP002 SIP is disabled entirely::")
    assert "%0AFix: " in lines[0] and "\n" not in lines[0]
    assert lines[-1] == "Ready to profile, with 1 warning"


def test_human_output_respects_no_color(cli, csrutil_stub, tmp_path, monkeypatch) -> None:
    csrutil_stub(ENABLED)
    monkeypatch.setenv("NO_COLOR", "1")
    out = cli("check", tmp_path).stdout
    assert "\x1b[" not in out
    assert "SIP001" in out and "$ csrutil enable --without debug" in out
    coloured = cli("check", tmp_path, "--color", "always").stdout
    assert "\x1b[" in coloured


def test_config_ignore_format_and_fail_on(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(DISABLED)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.sipdoctor]\nformat = "json"\nfail-on = "warning"\n'
    )
    result = cli("check", tmp_path)
    assert result.exit_code == 1 and rules_of(result) == ["SIP002"]
    (tmp_path / ".sipdoctor.toml").write_text('ignore = ["SIP002"]\nformat = "json"\n')  # takes precedence
    result = cli("check", tmp_path)
    assert result.exit_code == 0 and rules_of(result) == []


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("ignore = ['SIP001']\ncolour = 'red'\n", 2, "unknown key 'colour'"),
        ("format = 'xml'\n", 1, "'format' must be one of human, json, github"),
        ("ignore = 'SIP001'\n", 1, "'ignore' must be a list of strings"),
        ("severity = { SIP001 = 'fatal' }\n", 1, "is not RULE = error|warning|info"),
        ("fail-on = 'sometimes'\n", 1, "'fail-on' must be one of"),
        ("ignore = [\n", 1, "bad TOML"),
    ],
)
def test_bad_configuration_exits_2_with_file_and_line(text, line, fragment, cli, tmp_path) -> None:
    (tmp_path / ".sipdoctor.toml").write_text(text)
    result = cli("check", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path / '.sipdoctor.toml'}:{line}:" in result.stderr, result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_bad_invocations_exit_2(cli, tmp_path) -> None:
    assert cli("check", tmp_path / "missing").exit_code == 2
    assert cli("check", tmp_path, "--fail-on", "often").exit_code == 2
    assert cli("check", tmp_path, "--format", "xml").exit_code == 2
    assert cli("check", tmp_path, "--profiler", "perf").exit_code == 2
    assert cli("no-such-command").exit_code == 2


def test_unexpected_error_writes_a_report(cli, tmp_path, monkeypatch, isolated_dirs) -> None:
    from sipdoctor import check

    def explode(collecting):
        raise RuntimeError("collector blew up")

    monkeypatch.setattr(check, "COLLECTORS", [("project", explode)])
    result = cli("check", tmp_path)
    assert result.exit_code == 3
    assert "internal error: RuntimeError: collector blew up" in result.stderr
    reports = list((isolated_dirs / "cache" / "sipdoctor" / "reports").glob("crash-*.txt"))
    assert len(reports) == 1 and "collector blew up" in reports[0].read_text()
    assert "Traceback" not in result.stderr


def test_version_and_help(cli) -> None:
    assert cli("--version").stdout.startswith("sipdoctor ")
    help_text = cli("check", "--help").stdout
    assert "Exit codes" in help_text


def test_help_keeps_heavy_imports_off(tmp_path) -> None:
    code = (
        "import sys\nfrom sipdoctor.cli import main\nmain(['--help'])\n"
        "print(sorted(m for m in ('psutil', 'macholib', 'elftools', 'yaml', 'bashlex') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_ctrl_c_exits_130(tmp_path) -> None:
    """Ctrl-C while check waits for csrutil: 130 and one line. SIGINT is reset in the child (pytest itself may
    run with it ignored, as a background job does), and the signal is sent once csrutil has started."""
    ready = tmp_path / "ready"
    slow = write_executable(tmp_path / "slow-csrutil", f"#!/bin/sh\ntouch '{ready}'\nsleep 30\n")
    env = {**os.environ, "SIPDOCTOR_CSRUTIL": str(slow)}
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from sipdoctor.cli import main; sys.exit(main(['check']))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for _ in range(2400):  # the readiness signal, polled (a guard of 120 s, not a timing)
        if ready.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert ready.exists(), "csrutil stand-in never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "sipdoctor: interrupted"


def test_no_benchmark_among_losing_commands_is_not_called_ready(cli, tmp_path) -> None:
    """Commands that lose processes but none that is a benchmark: exit 0, yet the verdict says so, never
    "Ready to profile", and the human line is not a green tick."""
    (tmp_path / "Makefile").write_text(".PHONY: test lint\ntest:\n\t./run-tests\nlint:\n\t./lint\n")
    data = json.loads(cli("check", tmp_path, "--target", "macos", "-f", "json").stdout)
    assert [c["benchmark"] for c in data["commands"]] == [False, False]
    assert data["summary"]["verdict"] == (
        "No benchmark command recognised (2 other commands lose processes to SIP; see CHN004)")
    human = cli("check", tmp_path, "--target", "macos", "--color", "never")
    assert human.exit_code == 0
    assert human.stdout.rstrip().splitlines()[-1].startswith("! No benchmark command recognised")
    (tmp_path / "Makefile").write_text(".PHONY: bench test\nbench:\n\t./bench\ntest:\n\t./run-tests\n")
    benchmark = json.loads(cli("check", tmp_path, "--target", "macos", "-f", "json").stdout)
    assert not benchmark["summary"]["verdict"].startswith("No benchmark")


def test_a_project_with_no_command_is_not_ready_but_nothing_to_judge(cli, tmp_path) -> None:
    (tmp_path / "package.json").write_text('{"name": "library-without-scripts"}')
    data = json.loads(cli("check", tmp_path, "--target", "macos", "-f", "json").stdout)
    assert data["commands"] == [] and data["summary"]["verdict"].startswith("Nothing to judge")
    human = cli("check", tmp_path, "--target", "macos", "--color", "never").stdout
    assert "! Nothing to judge" in human and "Ready" not in human
