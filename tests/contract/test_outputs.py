"""Real outputs of the real CLI, validated against the schemas shipped in the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CSRUTIL_FIXTURES, write_executable
from tests.contract.conftest import assert_valid
from tests.contract.projects import SHAPES
from tests.trace.trace_helpers import LINUX

RULE_OVERRIDE = """\
rules:
  - id: SIP002
    severity: warning
    title: A rule that replaces a built-in one
    when: host.ci
    message: CI is {host.ci}
"""
TARGETS = ("macos", "linux")
MACHO = ("deno_hardened_allowdyld_disablelv", "ccmake_fat_hardened_allowdyld")


def json_of(result, *codes: int) -> dict:
    assert result.exit_code in (codes or (0,)), result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_check(cli, tmp_path: Path, shape: str, target: str) -> None:
    project = SHAPES[shape](tmp_path)
    data = json_of(cli("check", project, "--format", "json", "--target", target, "--fail-on", "never"))
    assert_valid("check", data)
    assert data["target"] == target
    if shape not in ("empty", "broken"):
        assert data["commands"], f"{shape}: no command found"
    if shape == "broken":
        assert data["problems"]


def test_check_with_recorded_sip_and_findings(cli, tmp_path: Path, csrutil_stub) -> None:
    csrutil_stub(next(p for p in CSRUTIL_FIXTURES if p.stem == "enabled").read_text())
    data = json_of(cli("check", SHAPES["makefile"](tmp_path), "-f", "json", "--target", "macos"), 1)
    assert_valid("check", data)
    assert data["sip"]["readable"] and data["findings"] and data["summary"]["exit_code"] == 1


@pytest.mark.parametrize("name", MACHO)
def test_explain_macho_fixture(cli, macho_fixture, name: str) -> None:
    assert_valid("explain-file", json_of(cli("explain", macho_fixture(name), "-f", "json", "--no-cache"), 0, 1))


@pytest.mark.parametrize("kind", ["plain", "restrict", "x86_64"])
def test_explain_built_macho(cli, zig_macho, kind: str) -> None:
    data = json_of(cli("explain", zig_macho[kind], "-f", "json", "--no-cache", "--arch", "arm64"), 0, 1)
    assert_valid("explain-file", data)
    assert data["kind"] == "mach-o" and data["slices"]


@pytest.mark.parametrize("target", TARGETS)
def test_explain_elf(cli, target: str) -> None:
    for path in (os.path.realpath(sys.executable), "/bin/sh"):
        assert_valid("explain-file", json_of(cli("explain", path, "-f", "json", "--target", target), 0, 1))


@pytest.mark.parametrize("target", TARGETS)
def test_explain_script(cli, tmp_path: Path, target: str) -> None:
    script = write_executable(tmp_path / "tool", "#!/usr/bin/env python3\nprint('hi')\n")
    data = json_of(cli("explain", script, "-f", "json", "--target", target, "--no-cache"), 0, 1)
    assert_valid("explain-file", data)
    assert data["kind"] == "script" and data["chain"]


def test_explain_of_bad_input_is_not_json_but_an_error(cli, tmp_path: Path) -> None:
    (tmp_path / "junk").write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 8)
    result = cli("explain", tmp_path / "junk", "-f", "json")
    if result.exit_code == 2:
        assert result.stdout == "" and "junk" in result.stderr
    else:
        assert_valid("explain-file", json.loads(result.stdout))


@pytest.mark.parametrize("words", [
    ["npm", "run", "bench"],
    ["make bench && python3 -V | cat"],
    ["sh", "-c", "python3 -c pass"],
    ["no-such-program-here", "--flag"],
])
@pytest.mark.parametrize("target", TARGETS)
def test_explain_command(cli, tmp_path: Path, monkeypatch, words: list[str], target: str) -> None:
    SHAPES["npm"](tmp_path)
    SHAPES["makefile"](tmp_path)
    monkeypatch.chdir(tmp_path)
    data = json_of(cli("explain", "-f", "json", "--target", target, "--no-cache", "--", *words), 0, 1)
    assert_valid("explain-command", data)
    assert data["children"]


@pytest.mark.parametrize("fixture", CSRUTIL_FIXTURES, ids=lambda p: p.stem)
def test_status_with_recorded_csrutil(cli, csrutil_stub, fixture: Path) -> None:
    csrutil_stub(fixture.read_text())
    data = json_of(cli("status", "--format", "json"))
    assert_valid("status", data)
    assert data["sip"]["readable"]


def test_status_unreadable_and_without_sip(cli, csrutil_stub, monkeypatch) -> None:
    csrutil_stub("csrutil: something went wrong\n", status=1)
    unreadable = json_of(cli("status", "-f", "json"))
    assert_valid("status", unreadable)
    assert unreadable["sip"]["readable"] is False and unreadable["sip"]["raw"]
    monkeypatch.delenv("SIPDOCTOR_CSRUTIL")
    assert_valid("status", json_of(cli("status", "-f", "json")))


@pytest.mark.parametrize("target", TARGETS)
def test_scan_path(cli, target: str) -> None:
    data = json_of(cli("scan", "path", "-f", "json", "--target", target))
    assert_valid("scan-path", data)
    assert data["path"]["entries"] and data["path"]["commands"]


def test_scan_shebangs(cli, tmp_path: Path) -> None:
    write_executable(tmp_path / "tool", "#!/usr/bin/env python3\n")
    write_executable(tmp_path / "run.sh", "#!/bin/sh -e\n")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "pipe")
    os.symlink(os.path.realpath(sys.executable), tmp_path / "python")
    data = json_of(cli("scan", "shebangs", tmp_path, "-f", "json"))
    assert_valid("scan-shebangs", data)
    assert len(data["executables"]) == 3 and len(data["problems"]) == 2


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scan_project(cli, tmp_path: Path, shape: str) -> None:
    data = json_of(cli("scan", "project", SHAPES[shape](tmp_path), "-f", "json", "--target", "macos"))
    assert_valid("scan-project", data)
    if shape == "python-tasks":
        assert data["venvs"][0]["interpreters"]
    if shape == "npm":
        assert data["package"]["manager"] == "npm" and data["executables"]


def test_rules_list(cli, tmp_path: Path) -> None:
    assert_valid("rules-list", json_of(cli("rules", "list", "--format", "json")))
    extra = tmp_path / "extra.yml"
    extra.write_text(RULE_OVERRIDE)
    data = json_of(cli("rules", "list", "--rules", extra, "--format", "json"))
    assert_valid("rules-list", data)
    assert data["overridden"]


@pytest.mark.skipif(not LINUX, reason="traces real processes with LD_PRELOAD")
@pytest.mark.parametrize("emulate", [False, True], ids=["plain", "emulate-sip"])
def test_trace(probe: Path, tmp_path: Path, emulate: bool) -> None:
    report = tmp_path / "trace.json"
    env = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(probe.parents[2]), "NO_COLOR": "1"}
    # the child runs long enough for the process table to see it (under --emulate-sip it never loads the probe)
    command = ["/bin/sh", "-c", f'"{sys.executable}" -c "sum(range(5_000_000))"; exit 3']
    done = subprocess.run([sys.executable, "-m", "sipdoctor", "trace", "--format", "json", "-o", str(report),
                           *(["--emulate-sip"] if emulate else []), "--", *command],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    data = json.loads(report.read_text())
    assert_valid("trace", data)
    assert len(data["processes"]) >= 2 and (data["processes"][0]["state"] == "stripped") is emulate


@pytest.mark.parametrize("args", [["scan", "path"], ["scan", "shebangs", "."], ["scan", "project", "."],
                                  ["rules", "list"]], ids=" ".join)
def test_github_format_is_a_usage_error_where_there_are_no_annotations(cli, args: list[str]) -> None:
    result = cli(*args, "--format", "github")
    assert result.exit_code == 2 and result.stdout == ""
    assert "'github' is not one of 'human', 'json'" in result.stderr  # not a format these commands list


def test_machines(cli) -> None:
    data = json_of(cli("machines", "--format", "json"))
    assert_valid("machines", data)
    assert data["machines"] and all(m["programs"]["sh"]["path"] == "/bin/sh" for m in data["machines"])


def test_check_outside_a_project_on_a_model(cli, tmp_path: Path) -> None:
    data = json_of(cli("check", tmp_path, "-f", "json", "--target", "macos", "--machine", "fresh-mac"), 1)
    assert_valid("check", data)
    assert data["onboarding"] and data["machine"]["kind"] == "model"
