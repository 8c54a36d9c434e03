"""`sipdoctor check --target macos` on real projects: the first stripping hop of each benchmark command (its
root cause) is named in one finding with a remediation, the fix plan covers the rest, and the predicted trees
are drawn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.chains import toolchains
from tests.chains.conftest import host_path
from tests.conftest import write_executable

WORKFLOW = """\
on: push
jobs:
  bench:
    runs-on: macos-14
    steps:
      - uses: actions/checkout@v4
      - name: Run benchmarks
        run: npm run bench
"""


def check_json(cli, project: Path, monkeypatch, *path_first: str | Path) -> dict:
    monkeypatch.setenv("PATH", host_path(*path_first))
    monkeypatch.setenv("HOME", str(project))
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "json",
                 "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_every_cause_has_a_fix(data: dict) -> list[dict]:
    findings = [f for f in data["findings"] if f["rule"] == "CHN001"]
    first_hops = {(c["run_as"], next(h["path"] for h in c["stripped_hops"] if h["verdict"] == "stripped"))
                  for c in data["commands"] if c["benchmark"] and c["verdict"] == "stripped"}
    assert first_hops, "the project should have a stripped benchmark command"
    named = [(command, f["evidence"]["hop"]) for f in findings for command in f["evidence"]["commands"]]
    assert sorted(named) == sorted(first_hops)  # one per command: the hops below are context, not findings
    for finding in findings:
        assert finding["severity"] == "error" and finding["remediations"], finding
        assert all(r["text"] for r in finding["remediations"])
    assert len(data["plan"]["losing"]) == len(first_hops) and data["plan"]["steps"]
    return findings


def test_npm_project(cli, monkeypatch) -> None:
    project = toolchains.npm_project()
    data = check_json(cli, project, monkeypatch)
    findings = assert_every_cause_has_a_fix(data)
    (env,) = [f for f in findings if f["evidence"]["command"] == "npm run bench"]
    assert env["evidence"]["hop"] == "/usr/bin/env" and env["evidence"]["file"].endswith("package.json")
    assert env["remediations"][0]["command"].startswith("node ")
    steps = data["plan"]["steps"]
    assert {s["change"]["edit"]["file"] for s in steps if s["kind"] == "edit"} == {"package.json"}
    (shell,) = [s for s in steps if "script-shell" in json.dumps(s["change"])]
    assert shell["kind"] == "install" and not shell["confirmed"]  # no shell outside /bin here: brew install bash


def test_pnpm_project(cli, monkeypatch) -> None:
    project, pnpm = toolchains.pnpm_project(), toolchains.pnpm_bin()
    data = check_json(cli, project, monkeypatch, pnpm)
    findings = assert_every_cause_has_a_fix(data)
    assert any(f["evidence"]["role"] in ("shell", "env") and "pnpm run bench" in f["evidence"]["commands"]
               for f in findings)
    assert any("scriptShell" in json.dumps(s["change"]) for s in data["plan"]["steps"])


@pytest.fixture
def make_project(tmp_path: Path) -> Path:
    if not shutil.which("make", path="/usr/bin"):
        pytest.skip("no /usr/bin/make on this host")
    project = tmp_path / "proj"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / "Makefile").write_text(".PHONY: bench\nbench:\n\tpython3 bench.py && echo done\n")
    (project / ".github" / "workflows" / "bench.yml").write_text(WORKFLOW)
    (project / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}\n')
    return project


@pytest.fixture
def pyenv_shims(tmp_path: Path) -> Path:
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "versions" / "3.12.1" / "bin").mkdir(parents=True)
    (root / "libexec").mkdir()
    shutil.copy("/bin/true", root / "versions" / "3.12.1" / "bin" / "python3")
    write_executable(root / "libexec" / "pyenv", '#!/usr/bin/env bash\nexec "pyenv-$1" "${@:2}"\n')
    write_executable(root / "shims" / "python3", (
        f'#!/usr/bin/env bash\nset -e\nprogram="${{0##*/}}"\nexport PYENV_ROOT="{root}"\n'
        f'exec "{root}/libexec/pyenv" exec "$program" "$@"\n'))
    return root / "shims"


def test_make_pyenv_and_workflow_project(cli, monkeypatch, make_project: Path, pyenv_shims: Path) -> None:
    (make_project / ".python-version").write_text("3.12.1\n")
    data = check_json(cli, make_project, monkeypatch, pyenv_shims)
    findings = assert_every_cause_has_a_fix(data)
    sources = {f["evidence"]["file"].rsplit("/", 1)[-1] for f in findings}
    assert sources == {"Makefile", "bench.yml", "package.json"}
    make = next(f for f in findings if f["evidence"]["hop"] == "/usr/bin/make")
    assert make["remediations"][0]["command"] == '"$(xcrun -f make)" bench'
    steps = data["plan"]["steps"]
    assert any("python3" in s["cause"] or s["cause"] == "/usr/bin/env"
               for s in steps if "`make bench`" in s["commands"])
    workflow = next(f for f in findings if f["evidence"]["file"].endswith("bench.yml"))
    assert workflow["evidence"]["role"] == "shell"
    assert workflow["remediations"][0]["command"].startswith("- if: runner.os == 'macOS'\n  run: brew install bash\n")
    assert workflow["evidence"]["line"] == 8


def test_human_output_draws_the_trees_and_github_annotates_lines(cli, monkeypatch, make_project: Path) -> None:
    monkeypatch.setenv("PATH", host_path())
    human = cli("check", make_project, "--target", "macos", "--machine", "host", "--color", "never")
    assert human.exit_code == 1
    assert "Predicted process trees:" in human.stdout
    assert "$ make bench" in human.stdout and "[stripped] make bench" in human.stdout
    assert human.stdout.index("Fix plan: 3 benchmark commands lose the profiler") < human.stdout.index(
        "Predicted process trees:")
    assert "\n  1. " in human.stdout
    github = cli("check", make_project, "--target", "macos", "--machine", "host",
                 "--format", "github").stdout.splitlines()
    assert any(line.startswith(f"::error file={make_project / 'Makefile'},line=2,title=CHN001") for line in github)


def test_linux_target_judges_only_the_macos_workflow_on_its_runner(cli, monkeypatch, make_project: Path) -> None:
    """--target linux judges local commands on this computer; the macOS job still runs on GitHub's runner."""
    monkeypatch.setenv("PATH", host_path())
    data = json.loads(cli("check", make_project, "--target", "linux", "--format", "json").stdout)
    local = [c for c in data["commands"] if c["source"] != "workflow"]
    assert local and all(c["machine"]["name"] == "host" and not c["stripped_hops"] for c in local)
    chain = [f for f in data["findings"] if f["rule"].startswith("CHN")]
    assert chain and all(f["evidence"]["file"].endswith("bench.yml") for f in chain)
    workflow = next(c for c in data["commands"] if c["source"] == "workflow")
    assert workflow["machine"] == {"name": "gha-macos-14-arm64", "label": "GitHub's macos-14 arm64 runner",
                                   "kind": "model", "arch": "arm64", "sip": "unknown", "homebrew": "/opt/homebrew",
                                   "bash": "/bin/bash"}


def test_one_cause_in_several_commands_is_one_finding(cli, monkeypatch, tmp_path: Path) -> None:
    """make is the first stripping hop of both targets: one error listing both, and the summary counts both."""
    if not shutil.which("make", path="/usr/bin"):
        pytest.skip("no /usr/bin/make on this host")
    (tmp_path / "Makefile").write_text(".PHONY: bench perf clean\nbench:\n\t./bench\nperf:\n\t./perf\n"
                                       "clean:\n\trm -f out\n")
    data = check_json(cli, tmp_path, monkeypatch)
    (finding,) = [f for f in data["findings"] if f["rule"] == "CHN001"]
    assert finding["evidence"]["commands"] == ["make bench", "make perf"]
    assert finding["title"] == "`make bench` and `make perf` lose the profiler at /usr/bin/make"
    assert data["plan"]["losing"] == ["`make bench`", "`make perf`"]
    assert data["summary"]["verdict"].startswith("2 benchmark commands lose the profiler; ")
    (note,) = [f for f in data["findings"] if f["rule"] == "CHN004"]
    assert note["title"] == "1 other project command loses processes to SIP (not benchmarks)"
