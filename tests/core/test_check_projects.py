"""`sipdoctor check --target macos` on real projects: every stripping hop of a benchmark command is named in a
finding with a remediation, and the predicted trees are drawn (issue 4's "done when")."""

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


def assert_every_stripped_hop_has_a_fix(data: dict) -> list[dict]:
    findings = [f for f in data["findings"] if f["rule"] == "CHN001"]
    benchmark_hops = [(c["run_as"], h["path"]) for c in data["commands"] if c["benchmark"]
                      for h in c["stripped_hops"] if h["verdict"] == "stripped"]
    assert benchmark_hops, "the project should have a stripped benchmark command"
    named = [(f["evidence"]["command"], f["evidence"]["hop"]) for f in findings]
    assert sorted(named) == sorted(benchmark_hops)
    for finding in findings:
        assert finding["severity"] == "error" and finding["remediations"], finding
        assert all(r["text"] for r in finding["remediations"])
    return findings


def test_npm_project(cli, monkeypatch) -> None:
    project = toolchains.npm_project()
    data = check_json(cli, project, monkeypatch)
    findings = assert_every_stripped_hop_has_a_fix(data)
    env = next(f for f in findings if f["evidence"]["hop"] == "/usr/bin/env" and f["evidence"]["cause"] is None)
    assert env["remediations"][0]["command"].startswith("node ") and env["evidence"]["file"].endswith("package.json")
    shell = next(f for f in findings if f["evidence"]["role"] == "shell")
    assert any("script-shell" in (r["command"] or "") for r in shell["remediations"])


def test_pnpm_project(cli, monkeypatch) -> None:
    project, pnpm = toolchains.pnpm_project(), toolchains.pnpm_bin()
    data = check_json(cli, project, monkeypatch, pnpm)
    findings = assert_every_stripped_hop_has_a_fix(data)
    assert any(f["evidence"]["role"] == "shell" and f["evidence"]["command"] == "pnpm run bench" for f in findings)


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
    findings = assert_every_stripped_hop_has_a_fix(data)
    sources = {f["evidence"]["file"].rsplit("/", 1)[-1] for f in findings}
    assert sources == {"Makefile", "bench.yml", "package.json"}
    make = next(f for f in findings if f["evidence"]["hop"] == "/usr/bin/make")
    assert make["remediations"][0]["command"] == '"$(xcrun -f make)" bench'
    shim = next(f for f in findings if (f["evidence"]["via"] or "").endswith("/shims/python3"))
    assert any("pyenv which python3" in (r["command"] or "") or "uv run" in r["text"]
               for r in shim["remediations"])
    workflow = next(f for f in findings if f["evidence"]["file"].endswith("bench.yml")
                    and f["evidence"]["role"] == "shell" and f["evidence"]["cause"] is None)
    assert "shell: /opt/homebrew/bin/bash -e {0}" in workflow["remediations"][0]["command"]
    assert workflow["evidence"]["line"] == 8


def test_human_output_draws_the_trees_and_github_annotates_lines(cli, monkeypatch, make_project: Path) -> None:
    monkeypatch.setenv("PATH", host_path())
    human = cli("check", make_project, "--target", "macos", "--machine", "host", "--color", "never")
    assert human.exit_code == 1
    assert "Predicted process trees:" in human.stdout
    assert "$ make bench" in human.stdout and "[stripped] make bench" in human.stdout
    assert "problems will hide processes from the profiler" in human.stdout
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
