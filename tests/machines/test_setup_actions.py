"""A workflow job's setup actions and working directories, judged on the runner they name.

pnpm/action-setup puts pnpm's cmd-shim wrapper (`#!/bin/sh`, then `exec node .../pnpm.cjs`) first on PATH; a
step runs in its `working-directory` (or the job's `defaults.run`); `pnpm NAME` without a script NAME spawns NAME
directly; a CodSpeed step runs under CodSpeed's profiler whatever `--profiler` says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges a Mac from a non-Mac host")

WORKFLOW = """\
on: push
jobs:
  bench:
    runs-on: macos-latest
    defaults:
      run:
        working-directory: packages/bench
    steps:
      - uses: actions/checkout@v4
      - uses: pnpm/action-setup@v4
      - uses: actions/setup-node@v4
        with: {node-version: 22}
      - name: Local bench
        run: pnpm run bench
      - name: Tool directly
        run: pnpm vitest bench --run
      - name: CodSpeed
        uses: CodSpeedHQ/action@v4
        with:
          working-directory: ${{ github.workspace }}/packages/bench
          run: pnpm run bench
      - name: CodSpeed turbo
        uses: CodSpeedHQ/action@v4
        with:
          run: pnpm turbo run bench
  standalone:
    runs-on: macos-latest
    steps:
      - uses: pnpm/action-setup@v4
        with: {standalone: true}
      - name: Standalone bench
        run: pnpm run bench
        working-directory: packages/bench
"""
PNPM_SHIM = "/Users/runner/setup-pnpm/node_modules/.bin/pnpm"
NODE = "/Users/runner/hostedtoolcache/node/<ver>/arm64/bin/node"


@pytest.fixture
def data(cli, tmp_path: Path) -> dict[str, Any]:
    project = tmp_path / "monorepo"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "bench.yml").write_text(WORKFLOW)
    (project / "package.json").write_text(json.dumps({"name": "root", "private": True, "scripts": {}}))
    (project / "packages" / "bench").mkdir(parents=True)
    (project / "packages" / "bench" / "package.json").write_text(json.dumps(
        {"name": "bench", "scripts": {"bench": "vitest bench --run"}, "devDependencies": {"vitest": "^3"}}))
    bin_dir = project / "packages" / "bench" / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "vitest").write_text('#!/bin/sh\nbasedir=$(dirname "$(echo "$0" | sed -e \'s,\\\\,/,g\')")\n'
                                    'exec node  "$basedir/../vitest/vitest.mjs" "$@"\n')  # pnpm's cmd-shim
    (bin_dir / "vitest").chmod(0o755)
    (bin_dir.parent / "vitest").mkdir()
    (bin_dir.parent / "vitest" / "vitest.mjs").write_text("#!/usr/bin/env node\nimport './dist/cli.js'\n")
    result = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def step(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["commands"] if c["name"] == name)


def pnpm_process(command: dict[str, Any]) -> dict[str, Any]:
    shell = command["tree"]["children"][0]
    return next(p for p in shell["children"] if p["argv"][0] == "pnpm")


def test_pnpm_from_action_setup_is_its_sh_wrapper_then_node(data: dict[str, Any]) -> None:
    pnpm = pnpm_process(step(data, "Local bench"))
    assert [(h["path"], h["via"]) for h in pnpm["chain"]] == [("/bin/sh", PNPM_SHIM), (NODE, None)]
    assert pnpm["chain"][0]["own_verdict"] == "stripped"
    script = pnpm["children"][0]["chain"][0]
    assert script["argv"][:2] == ["sh", "-c"] and script["argv"][2] == "vitest bench --run"


def test_steps_run_in_their_working_directory(data: dict[str, Any], tmp_path: Path) -> None:
    package = tmp_path / "monorepo" / "packages" / "bench"
    for name in ("Local bench", "CodSpeed", "Standalone bench"):
        notes = json.dumps(step(data, name)["tree"])
        assert "has no script" not in notes, name
        assert str(package / "node_modules" / ".bin") in notes, name  # the package's own .bin first


def test_pnpm_runs_a_binary_that_is_no_script_directly(data: dict[str, Any]) -> None:
    pnpm = pnpm_process(step(data, "Tool directly"))
    (child,) = pnpm["children"]
    assert child["argv"] == ["vitest", "bench", "--run"]  # spawned directly, not through `sh -c`
    assert "spawns `vitest` directly" in child["chain"][0]["why"]


def test_a_codspeed_step_is_judged_under_codspeed(data: dict[str, Any]) -> None:
    codspeed = step(data, "CodSpeed")
    assert codspeed["profiler"] == "codspeed" and step(data, "Local bench")["profiler"] == "generic"
    sh = codspeed["stripped_hops"][0]
    assert sh["path"] == "/bin/sh" and sh["reinjected_below"]  # CodSpeed's node shim re-arms pnpm's node
    # pnpm's wrapper and its script shell strip; CodSpeed's node shim re-arms each node below them
    assert [h["path"] for h in codspeed["stripped_hops"]] == ["/bin/sh"] * 3
    assert all(h["reinjected_below"] for h in codspeed["stripped_hops"])
    titles = [f["title"] for f in data["findings"] if f["rule"] in ("CHN001", "MCH001")]
    assert not any("`CodSpeed`" in t for t in titles), titles
    assert any(f["rule"] == "CHN002" for f in data["findings"])
    # turbo is not installed: below the re-armed node the tree is unknown, which is never "ready"
    assert "CodSpeed step `CodSpeed turbo` cannot be judged on GitHub's macos-26 arm64 runner" in titles


def test_standalone_pnpm_is_not_guessed(data: dict[str, Any]) -> None:
    pnpm = pnpm_process(step(data, "Standalone bench"))
    reason = pnpm["chain"][0]["reasons"][0]["message"]
    assert pnpm["chain"][0]["own_verdict"] == "unknown" and "`pnpm` is not on the PATH" in reason
    assert "directories)" in reason  # a long PATH is shortened in messages


BREW_BASH = """\
on: push
jobs:
  bench:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [macos-14, macos-15-intel]
    steps:
      - run: |
          # brew install bash
          brew install bash-completion
      - name: Before
        run: make bench
      - run: brew install --quiet bash
      - name: After
        run: make bench
"""


def test_a_step_that_installs_homebrews_bash_gives_it_to_the_later_steps(cli, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "bench.yml").write_text(BREW_BASH)
    (project / "Makefile").write_text("bench:\n\t./bench\n")
    result = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never")
    data = json.loads(result.stdout)
    shells = {(c["name"], c["machine"]["arch"]): c["tree"]["children"][0]["chain"][0]["path"]
              for c in data["commands"] if c["name"] in ("Before", "After")}
    assert shells == {("Before", "arm64"): "/bin/bash", ("Before", "x86_64"): "/bin/bash",
                      ("After", "arm64"): "/opt/homebrew/bin/bash", ("After", "x86_64"): "/usr/local/bin/bash"}


UNJUDGED = """\
on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    steps: [{run: echo}]
  bench:
    needs: plan
    runs-on: ${{ fromJSON(needs.plan.outputs.os) }}
    steps:
      - run: make bench
  build:
    runs-on: ${{ vars.RUNNER }}
    steps:
      - run: cargo build --release
  matrix:
    strategy: {matrix: {os: [ubuntu-latest, windows-latest]}}
    runs-on: ${{ matrix.os }}
    steps:
      - run: make bench
"""


def test_a_job_whose_runner_is_an_expression_is_said_not_judged(cli, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "bench.yml").write_text(UNJUDGED)
    result = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never")
    data = json.loads(result.stdout)
    found = {f["rule"]: f for f in data["findings"] if f["rule"] in ("MCH004", "MCH005")}
    assert found["MCH004"]["severity"] == "warning" and found["MCH004"]["evidence"]["job"] == "bench"
    assert found["MCH004"]["evidence"]["line"] == 8
    assert found["MCH005"]["severity"] == "info" and found["MCH005"]["evidence"]["job"] == "build"
    assert len([f for f in data["findings"] if f["rule"] in ("MCH004", "MCH005")]) == 2  # the matrix is read
    assert data["summary"]["verdict"] == "Not verified: job `bench` could not be judged"  # never "Ready"


TWO_JOBS = """\
on: push
jobs:
  bench:
    runs-on: macos-14
    steps:
      - uses: actions/checkout@v4
      - name: Bench one
        run: make bench
      - name: Bench two
        run: make bench-more
  bench2:
    runs-on: macos-15
    steps:
      - name: Bench three
        run: make bench
"""


def test_one_brew_step_per_job_even_when_an_edit_moves_the_lines_of_the_next(cli, tmp_path: Path) -> None:
    """Each job gets its step once; the second job's edit is made after predicting again (its line moved)."""
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    workflow = project / ".github" / "workflows" / "bench.yml"
    workflow.write_text(TWO_JOBS)
    (project / "Makefile").write_text("bench:\n\t./bench\nbench-more:\n\t./bench --more\n")
    data = json.loads(cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    edits = [s["change"]["edit"] for s in data["plan"]["steps"] if s["kind"] == "edit"]
    assert [(e["line"], e["text"].strip()) for e in edits] == [(7, "- name: Bench one"), (16, "- name: Bench three")]
    assert all(s["confirmed"] for s in data["plan"]["steps"] if s["kind"] == "edit")
    cli("check", project, "--target", "macos", "--fix", "--fail-on", "never")
    added = [line for line in workflow.read_text().splitlines() if "brew install bash" in line]
    assert added == ["        run: brew install bash"] * 2
    assert workflow.read_text().count("      - if: runner.os == 'macOS'\n        run: brew install bash\n") == 2


def test_setup_uv_puts_its_uv_first(cli, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "bench.yml").write_text(
        "on: push\njobs:\n  bench:\n    runs-on: macos-15-intel\n    steps:\n      - uses: astral-sh/setup-uv@v6\n"
        "      - name: Bench\n        run: uv run pytest --codspeed\n")
    data = json.loads(cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    uv = step(data, "Bench")["tree"]["children"][0]["children"][0]["chain"][0]
    assert uv["path"] == "/Users/runner/hostedtoolcache/uv/<ver>/x86_64/uv"
    assert uv["own_verdict"] == "ignored"  # hardened, no entitlements: runs without it, its children keep it


CONDITIONS = """\
on: push
jobs:
  test:
    runs-on: ${{ matrix.os || 'ubuntu-latest' }}
    strategy:
      matrix:
        python: ['3.11', '3.12']
        include:
          - os: macos-latest
            python: '3.12'
    steps:
      - name: Linux packages
        if: runner.os == 'Linux'
        run: sudo apt-get install -y libfoo
      - name: Windows setup
        if: ${{ runner.os == 'Windows' }}
        run: echo "x" >> $env:GITHUB_ENV
      - name: Bench on 3.12 only
        if: matrix.python == '3.12' && github.event_name == 'push'
        run: make bench
      - name: Bench on 3.11 only
        if: matrix.python == '3.11'
        run: make bench
      - name: Always
        if: success() || failure()
        run: make bench
  linux-only:
    if: runner.os == 'Linux'
    runs-on: macos-latest
    steps:
      - run: make bench
"""


def test_steps_and_jobs_whose_if_excludes_the_mac_are_not_judged(cli, tmp_path: Path) -> None:
    """`if:` read as GitHub does for what the workflow itself decides (the OS, the matrix); what depends on the
    run (`github.event_name`, `success()`) is taken to hold. `runs-on: ${{ matrix.os || 'ubuntu-latest' }}`."""
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text(CONDITIONS)
    (project / "Makefile").write_text("bench:\n\t./bench\n")
    data = json.loads(cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    steps = sorted(c["name"] for c in data["commands"] if c["source"] == "workflow")
    assert steps == ["Always", "Bench on 3.12 only"]  # the Mac leg is python 3.12; linux-only is skipped


def test_no_sipdoctor_run_is_offered_for_a_workflow_step(data: dict[str, Any]) -> None:
    """The runner's shell starts a step: nothing wraps it from outside (its DYLD_* is gone before any command
    of the step could save it), so `sipdoctor run -- /bin/bash -e {0}` would be a fix that does not work."""
    commands = [r.get("command") or "" for f in data["findings"] for r in f["remediations"]]
    commands += [s["change"].get("command") or "" for s in data["plan"]["steps"]]
    assert not any(c.startswith("sipdoctor run") and "{0}" in c for c in commands), commands
