"""Which machine judges what: local commands on the developer-Mac model from Linux, workflow steps on their
runner (matrix legs, setup actions, self-hosted labels), and no path of this Linux host in the output."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from sipdoctor.machines.catalog import MODELS
from sipdoctor.sources.workflows import read_workflow

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges a Mac from a non-Mac host")

CODSPEED = """\
name: CodSpeed
on: [push]
jobs:
  benchmarks:
    runs-on: macos-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: {node-version: 22}
      - run: npm ci
      - name: Run benchmarks
        run: npm run bench
      - name: CodSpeed
        uses: CodSpeedHQ/action@v4
        with:
          run: npm run bench
"""
MATRIX = """\
on: push
jobs:
  test:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest]
        node: [20, 22]
        exclude:
          - {os: macos-latest, node: 20}
        include:
          - {os: macos-15-intel, node: 22}
    steps:
      - name: bench
        run: npm run bench
  linux-only:
    runs-on: ubuntu-latest
    steps:
      - run: npm run bench
  own:
    runs-on: [self-hosted, macOS, ARM64]
    steps:
      - name: bench on our Mac
        run: make bench
"""


def npm_vitest_project(root: Path) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "p", "scripts": {"bench": "vitest bench --run"},
                                                   "devDependencies": {"vitest": "^2.0.0"}}))
    (root / "Makefile").write_text(".PHONY: bench\nbench:\n\tnpm run bench\n")
    (root / ".github" / "workflows" / "codspeed.yml").write_text(CODSPEED)
    return root


def check(cli, project: Path, *extra: str) -> dict:
    result = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def first_hops(command: dict) -> list[str]:
    return [h["path"] for h in command["stripped_hops"]]


def test_npm_vitest_make_and_codspeed_workflow_from_linux(cli, tmp_path: Path) -> None:
    data = check(cli, npm_vitest_project(tmp_path / "p"))
    npm = next(c for c in data["commands"] if c["source"] == "package.json" and c["name"] == "bench")
    assert first_hops(npm)[:2] == ["/usr/bin/env", "/bin/sh"]
    assert npm["stripped_hops"][0]["via"] == "/opt/homebrew/bin/npm"
    assert npm["machine"] == {"name": "dev-arm64-homebrew", "kind": "model", "arch": "arm64", "sip": "on",
                              "label": "a developer Mac with Homebrew on Apple Silicon (model)",
                              "homebrew": "/opt/homebrew", "bash": "/bin/bash", "note": npm["machine"]["note"]}
    make = next(c for c in data["commands"] if c["source"] == "Makefile")
    assert first_hops(make)[0] == "/usr/bin/make"
    step = next(c for c in data["commands"] if c["name"] == "Run benchmarks")
    assert step["machine"]["name"] == "gha-macos-26-arm64" and step["machine"]["sip"] == "unknown"
    assert step["tree"]["children"][0]["chain"][0]["path"] == "/bin/bash"
    npm_in_step = step["tree"]["children"][0]["children"][0]["chain"][0]
    assert npm_in_step["via"] == "/Users/runner/hostedtoolcache/node/<ver>/arm64/bin/npm"  # setup-node first
    codspeed = next(c for c in data["commands"] if c["source"] == "codspeed-action")
    assert codspeed["machine"]["name"] == "gha-macos-26-arm64"
    assert codspeed["tree"]["children"][0]["chain"][0]["path"] == "/opt/homebrew/bin/bash"  # CodSpeed installs it
    assert data["machine"]["name"] == "dev-arm64-homebrew" and "not a Mac" in data["machine"]["note"]
    assert any(f["rule"] == "MCH002" for f in data["findings"])  # the runner's SIP: both outcomes


def host_only_paths() -> set[str]:
    """Paths of this Linux host that no modelled Mac has: its node and npm, dash, its home, its PATH."""
    found = {"/usr/bin/dash", "/bin/dash", str(Path.home()), sys.prefix, os.path.realpath(sys.executable)}
    for name in ("node", "npm", "npx", "pnpm", "yarn", "python3", "pyenv", "bun", "just"):
        where = shutil.which(name)
        if where and not where.startswith(("/usr/bin/", "/bin/", "/usr/local/bin/")):
            found.update({where, os.path.realpath(where)})
        elif where and not os.path.realpath(where).startswith(("/usr/bin/", "/bin/")):
            found.add(os.path.realpath(where))
    modelled = {d for m in MODELS for d in m.path}
    found.update(d for d in os.environ.get("PATH", "").split(os.pathsep) if d and d not in modelled)
    return {p for p in found if p and p != "/"}


def test_no_linux_path_in_target_macos_output(cli, tmp_path: Path) -> None:
    project = npm_vitest_project(tmp_path / "p")
    (project / "justfile").write_text("bench:\n\tpython3 -m pytest --codspeed\n")
    text = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never").stdout
    human = cli("check", project, "--target", "macos", "--color", "never").stdout
    for output in (text, human):
        leaked = [p for p in host_only_paths() if re.search(re.escape(p) + r"(?![\w.-])", output)]
        assert leaked == []


def test_matrix_legs_setup_and_self_hosted(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text(MATRIX)
    workflow_read = read_workflow(workflow)
    steps, problems = workflow_read.steps, workflow_read.problems
    assert problems == []
    legs = sorted({(s.job, s.runs_on) for s in steps})
    assert legs == [("own", ("self-hosted", "macOS", "ARM64")), ("test", ("macos-15-intel",)),
                    ("test", ("macos-latest",))]


def test_matrix_job_is_judged_for_its_macos_legs(cli, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / "package.json").write_text(json.dumps({"scripts": {"bench": "node bench.js"}}))
    (project / "Makefile").write_text("bench:\n\tnode bench.js\n")
    (project / ".github" / "workflows" / "ci.yml").write_text(MATRIX)
    data = check(cli, project)
    steps = [c for c in data["commands"] if c["source"] == "workflow"]
    machines = {(c["job"], c["machine"]["name"]) for c in steps}
    assert machines == {("test", "gha-macos-26-arm64"), ("test", "gha-macos-15-x64"), ("own", "dev-arm64-homebrew")}
    own = next(c for c in steps if c["job"] == "own")
    assert "self-hosted" in own["machine"]["note"]
    assert any(f["rule"] == "MCH003" and "self-hosted" in f["message"] for f in data["findings"])
    intel = next(c for c in steps if c["machine"]["name"] == "gha-macos-15-x64")
    assert intel["machine"]["arch"] == "x86_64"


def test_check_json_keeps_its_keys_and_adds_the_machine(cli, tmp_path: Path) -> None:
    data = check(cli, npm_vitest_project(tmp_path / "p"))
    assert {"schema_version", "platform", "target", "profiler", "sip", "linux", "findings", "commands", "problems",
            "path", "toolchains", "summary"} <= set(data)
    for command in data["commands"]:
        assert {"source", "file", "line", "name", "command", "run_as", "benchmark", "job", "verdict", "tree",
                "stripped_hops"} <= set(command)
        assert {"name", "arch", "sip", "label"} <= set(command["machine"])
        assert command["tree"]["machine"]["name"] == command["machine"]["name"]


def test_output_names_the_machine_of_every_command(cli, tmp_path: Path) -> None:
    human = cli("check", npm_vitest_project(tmp_path / "p"), "--target", "macos", "--color", "never",
                "--fail-on", "never").stdout
    assert "judged on a developer Mac with Homebrew on Apple Silicon (model)" in human
    assert "judged on GitHub's macos-26 arm64 runner" in " ".join(human.split())


def test_matrix_values_that_are_label_lists_and_nested_keys(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text("""\
on: push
jobs:
  a:
    runs-on: ${{ matrix.runner }}
    strategy:
      matrix:
        runner: [[self-hosted, macOS], ubuntu-latest]
    steps:
      - run: make bench
  b:
    runs-on: ${{ matrix.config.os }}
    strategy:
      matrix:
        config: [{os: windows-latest}, {os: macos-14-large}]
    steps:
      - run: make bench
  c:
    runs-on: ${{ fromJSON(needs.setup.outputs.os) }}
    steps:
      - run: make bench
""")
    workflow_read = read_workflow(workflow)
    steps, problems = workflow_read.steps, workflow_read.problems
    assert problems == []
    assert sorted((s.job, s.runs_on) for s in steps) == [("a", ("self-hosted", "macOS")), ("b", ("macos-14-large",))]


def test_scan_judges_on_the_same_machine_as_check(cli, tmp_path: Path) -> None:
    project = npm_vitest_project(tmp_path / "p")
    facts = json.loads(cli("scan", "project", project, "--target", "macos", "--format", "json").stdout)
    npm = next(c for c in facts["commands"] if c["source"] == "package.json")
    assert npm["machine"]["name"] == "dev-arm64-homebrew" and first_hops(npm)[0] == "/usr/bin/env"
    path = json.loads(cli("scan", "path", "--target", "macos", "--machine", "fresh-mac", "--format", "json").stdout)
    assert path["path"]["value"] == ":".join(next(m for m in MODELS if m.name == "fresh-mac").path)
    assert {c["name"]: c["winner"] for c in path["path"]["commands"]}["python3"] == "/usr/bin/python3"


def test_a_recorded_csrutil_sets_the_sip_of_the_local_model_only(cli, tmp_path: Path, csrutil_stub) -> None:
    from tests.conftest import CSRUTIL_FIXTURES

    csrutil_stub(next(p for p in CSRUTIL_FIXTURES if p.stem == "disabled").read_text())
    data = check(cli, npm_vitest_project(tmp_path / "p"))
    assert data["machine"]["sip"]["state"] == "off" and data["sip"]["readable"]
    npm = next(c for c in data["commands"] if c["source"] == "package.json" and c["name"] == "bench")
    assert npm["machine"]["sip"] == "off" and npm["stripped_hops"] == []  # Apple's arm64e hops: ignored
    step = next(c for c in data["commands"] if c["name"] == "Run benchmarks")
    assert step["machine"]["sip"] == "unknown"  # the runner is another machine


def test_fix_never_writes_a_models_guessed_path(cli, tmp_path: Path) -> None:
    """The models' paths are right to show and wrong to write: a project runs on many Macs, and a runner's
    tool cache path has a placeholder version."""
    project = npm_vitest_project(tmp_path / "p")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = cli("check", project, "--target", "macos", "--fix", "--fail-on", "never")
    assert result.exit_code == 0
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    workflow = project / ".github" / "workflows" / "codspeed.yml"
    assert {p: b for p, b in after.items() if p != workflow} == {p: b for p, b in before.items() if p != workflow}
    # the one edit adds a step that installs Homebrew's bash on the runner: no path of a model in it
    added = set(after[workflow].decode().splitlines()) - set(before[workflow].decode().splitlines())
    assert added == {"      - if: runner.os == 'macOS'", "        run: brew install bash"}
    data = check(cli, project)
    env = next(f for f in data["findings"] if f["rule"] == "CHN001" and f["evidence"]["hop"] == "/usr/bin/env"
               and f["evidence"]["command"] == "npm run bench")
    assert not any(r.get("edit") for r in env["remediations"])
    assert "/opt/homebrew/lib/node_modules/npm/bin/npm-cli.js" in env["remediations"][0]["command"]  # shown

