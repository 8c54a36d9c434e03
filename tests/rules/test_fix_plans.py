"""The fix plan `check` computes and verifies itself, on real projects judged for a Mac.

Each test builds a project (npm + vitest, pnpm, yarn 1, a Makefile behind a pyenv-style shim, a justfile, a
workflow step), puts a non-system toolchain first on PATH (plain Mach-O stand-ins named node, bash, python3:
what Homebrew's or nvm's binaries are to the macOS verdicts) and checks:

- one CHN001 error per cause (the first stripping hop of each benchmark command, not every hop below it);
- a plan whose steps the product confirmed by predicting again, fixing every benchmark command;
- `check --fix` writes exactly the plan's file edits, after which the plan lists only what no file edit can do
  (a command to run instead, a toolchain to install), and a second `--fix` changes nothing;
- that line, predicted again here independently, is profiled end to end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sipdoctor.sources.workflows import read_workflow
from tests.chains import toolchains
from tests.conftest import write_executable
from tests.contract.conftest import assert_valid
from tests.rules.conftest import assert_all_profiled, chain_findings, hops, link_node_modules, predict, run_check


def _package(project: Path, scripts: dict[str, str], **fields: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    data = {"name": "bench", "private": True, "scripts": scripts, **fields}
    (project / "package.json").write_text(json.dumps(data, indent=2) + "\n")


def linux_binaries_only(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's "cannot be verified" entries that only stand for a Linux binary of this host (real node, pnpm
    10's native executable) judged as a Mac's: not a shortcoming of the plan."""
    return [u for u in plan["unfixed"] if u.get("unverified") and "not a macOS executable" in u["reason"]]


def planned(data: dict[str, Any], causes: int) -> dict[str, Any]:
    """The plan fixes every benchmark command, each edit and run-instead confirmed; one error per cause."""
    findings = chain_findings(data)
    assert len(findings) == causes, [f["title"] for f in findings]
    plan = data["plan"]
    assert plan["losing"] and plan["unfixed"] == linux_binaries_only(plan), plan
    assert sorted([*plan["fixed"], *(u["command"] for u in plan["unfixed"])]) == sorted(plan["losing"])
    assert all(s["confirmed"] for s in plan["steps"] if s["kind"] in ("edit", "run-instead")), plan["steps"]
    assert data["summary"]["verdict"].startswith(plan["summary"])
    assert_valid("check", data)
    return plan


def fix(cli, project: Path) -> tuple[dict[str, Any], str]:
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "json", "--fail-on", "never",
                 "--fix")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert all(s["kind"] != "edit" for s in data["plan"]["steps"]), data["plan"]
    return data, result.stderr


def snapshot(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted(project.rglob("*"))
            if p.is_file() and "node_modules" not in p.parts}


def fix_twice(cli, project: Path) -> dict[str, Any]:
    fix(cli, project)
    before = snapshot(project)
    again, stderr = fix(cli, project)
    assert "0 file edits applied" in stderr and snapshot(project) == before
    return again


def run_instead(plan: dict[str, Any], command: str) -> str:
    lines = [s["change"]["run_instead"] for s in plan["steps"]
             if s["kind"] == "run-instead" and s["change"]["command"] == command]
    assert len(lines) <= 1, lines
    return lines[0] if lines else command


def test_npm_and_vitest(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "npm"
    _package(project, toolchains.BENCH_SCRIPTS)
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir), causes=1)  # npm's own #!/usr/bin/env node
    assert [s["kind"] for s in plan["steps"]] == ["edit", "edit", "run-instead"]

    after = fix_twice(cli, project)
    assert (project / ".npmrc").read_text() == "script-shell=bash\n"  # by name: no path of this machine
    assert json.loads((project / "package.json").read_text())["scripts"] == {
        **toolchains.BENCH_SCRIPTS, "bench": "node node_modules/vitest/vitest.mjs bench --run"}
    assert [s["kind"] for s in after["plan"]["steps"]] == ["run-instead"]
    line = run_instead(after["plan"], "npm run bench")
    assert line.startswith("node ") and line.endswith("npm-cli.js run bench")
    prediction = predict(line, project, bin_dir)
    assert [h["argv"][0] for h in hops(prediction)] == ["node", "bash", "node"]
    assert_all_profiled(prediction)


def test_the_printed_undos_restore_the_project(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    """`check --fix` prints one undo per file; run in the printed order they give back the project as it was."""
    project = tmp_path / "npm"
    _package(project, toolchains.BENCH_SCRIPTS)
    link_node_modules(project, toolchains.npm_project())
    run_check(cli, project, monkeypatch, toolchain("node", "bash"))
    before = snapshot(project)
    _, stderr = fix(cli, project)
    undos = [line.split("to undo: ", 1)[1] for line in stderr.splitlines() if "to undo: " in line]
    assert len(undos) == 2, stderr  # package.json, and the .npmrc the fix created
    for undo in undos:
        subprocess.run(undo, shell=True, check=True)
    assert snapshot(project) == before


def test_a_sh_script_is_run_with_the_portable_shell(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    """`./bench.sh` with `#!/bin/sh`: npm's script shell and the script's own shell both strip; the plan sets
    `script-shell=bash` and runs the script with `bash` by name (no path of this machine in package.json)."""
    project = tmp_path / "sh"
    _package(project, {"bench": "./bench.sh"})
    write_executable(project / "bench.sh", "#!/bin/sh\nnode bench.js\n")
    bin_dir = toolchain("node", "bash")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir), causes=1)
    edits = {s["change"]["edit"]["file"]: s["change"]["edit"] for s in plan["steps"] if s["kind"] == "edit"}
    assert edits["package.json"]["text"] == "./bench.sh" and edits["package.json"]["with"] == "bash ./bench.sh"
    fix_twice(cli, project)
    assert json.loads((project / "package.json").read_text())["scripts"]["bench"] == "bash ./bench.sh"
    prediction = predict("bash ./bench.sh", project, bin_dir)
    assert_all_profiled(prediction)


def test_pnpm(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    source, pnpm = toolchains.pnpm_project(), toolchains.pnpm_bin()
    project = tmp_path / "pnpm"
    _package(project, toolchains.BENCH_SCRIPTS)
    shutil.copy(source / "pnpm-lock.yaml", project)  # what makes it a pnpm project for `check`
    link_node_modules(project, source)
    bin_dir = toolchain("node", "bash")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir, pnpm), causes=1)
    edits = {s["change"]["edit"]["file"]: s["change"]["edit"] for s in plan["steps"] if s["kind"] == "edit"}
    assert edits["package.json"]["with"] == "node node_modules/vitest/vitest.mjs bench --run"

    after = fix_twice(cli, project)
    assert (project / "pnpm-workspace.yaml").read_text() == "scriptShell: bash\n"
    assert after["plan"]["steps"] == [] and chain_findings(after) == []
    prediction = predict("pnpm run bench", project, bin_dir, pnpm)
    # pnpm 10+ is a native executable: on this Linux host a Linux ELF, which --target macos cannot judge.
    assert_all_profiled(prediction, native=(str((pnpm / "pnpm").resolve()),))


def yarn1_bin() -> Path:
    """yarn 1 (pinned) installed with `npm install --prefix <cache>/yarn1`."""
    from tests.downloads import PINS, provide

    prefix = toolchains.cache_dir() / "yarn1"
    yarn = prefix / "node_modules" / ".bin" / "yarn"

    def install() -> None:
        prefix.mkdir(parents=True, exist_ok=True)
        toolchains._run([toolchains._npm(), "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                         PINS["yarn1"]], prefix, "yarn 1")

    provide("yarn1", yarn.exists, install)
    return yarn.parent


def test_yarn1(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    yarn = yarn1_bin()
    project = tmp_path / "yarn"
    _package(project, toolchains.BENCH_SCRIPTS, packageManager="yarn@1.22.22")
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    planned(run_check(cli, project, monkeypatch, bin_dir, yarn), causes=1)
    after = fix_twice(cli, project)
    line = run_instead(after["plan"], "yarn run bench")
    assert line.startswith("node ") and line.endswith("yarn.js run bench")
    assert_all_profiled(predict(line, project, bin_dir, yarn))


@pytest.fixture
def developer_dir(tmp_path: Path, toolchain, monkeypatch) -> Path:
    """The Xcode developer directory the /usr/bin stubs exec into (not SIP-protected), with its make."""
    developer = tmp_path / "Developer"
    bin_dir = toolchain("make")
    (developer / "usr" / "bin").mkdir(parents=True)
    shutil.copy(bin_dir / "make", developer / "usr" / "bin" / "make")
    (bin_dir / "make").unlink()
    monkeypatch.setenv("DEVELOPER_DIR", str(developer))
    return developer


@pytest.fixture
def pyenv_root(tmp_path: Path, macho_program: Path) -> Path:
    """pyenv's layout: bash shims through /usr/bin/env, libexec/pyenv, and a version's python (a Mach-O)."""
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "versions" / "3.12.1" / "bin").mkdir(parents=True)
    (root / "libexec").mkdir()
    shutil.copy(macho_program, root / "versions" / "3.12.1" / "bin" / "python3")
    write_executable(root / "libexec" / "pyenv", '#!/usr/bin/env bash\nexec "pyenv-$1" "${@:2}"\n')
    write_executable(root / "shims" / "python3", (
        f'#!/usr/bin/env bash\nset -e\nprogram="${{0##*/}}"\nexport PYENV_ROOT="{root}"\n'
        f'exec "{root}/libexec/pyenv" exec "$program" "$@"\n'))
    return root


def test_makefile_through_a_pyenv_shim(cli, monkeypatch, tmp_path: Path, toolchain, developer_dir: Path,
                                        pyenv_root: Path) -> None:
    """make (an Xcode stub) runs `python3 bench.py && echo done` with /bin/sh; python3 is a pyenv shim."""
    if not shutil.which("make", path="/usr/bin"):
        pytest.skip("needs /usr/bin/make on this host")
    project = tmp_path / "pyenv-project"
    project.mkdir()
    makefile = ".PHONY: bench\nbench:\n\tpython3 bench.py && echo done\n"
    (project / "Makefile").write_text(makefile)
    (project / ".python-version").write_text("3.12.1\n")
    shims = pyenv_root / "shims"
    bin_dir = toolchain("bash")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir, shims), causes=1)  # the Xcode stub make
    kinds = {s["kind"]: s for s in plan["steps"]}
    assert kinds["edit"]["change"]["edit"]["text"] == "SHELL := bash"
    shim = next(s for s in plan["steps"] if s["kind"] == "command")
    real = pyenv_root / "versions" / "3.12.1" / "bin" / "python3"
    assert shim["change"]["command"] == f"{real} bench.py"  # a path of this machine: typed here, never written
    assert not shim["confirmed"]

    human_output_keeps_commands_whole(cli, project, monkeypatch, f"$ {real} bench.py")

    after = fix_twice(cli, project)
    assert (project / "Makefile").read_text() == f"SHELL := bash\n{makefile}"
    assert str(pyenv_root) not in (project / "Makefile").read_text()
    assert {s["kind"] for s in after["plan"]["steps"]} == {"run-instead", "command"}
    line = run_instead(after["plan"], "make bench")
    assert line == f"{developer_dir}/usr/bin/make bench"
    toolchain("python3")  # what running the shim's real python comes to: a python that is not the system's
    prediction = predict(line, project, bin_dir, DEVELOPER_DIR=str(developer_dir))
    assert [h["path"] for h in hops(prediction)] == [f"{developer_dir}/usr/bin/make", str(bin_dir / "bash"),
                                                     str(bin_dir / "python3")]
    assert_all_profiled(prediction)


def human_output_keeps_commands_whole(cli, project: Path, monkeypatch, command: str) -> None:
    """At 60 columns the plan comes first, each command on one line; wrapped lines keep a hanging indent."""
    monkeypatch.setenv("COLUMNS", "60")
    lines = cli("check", project, "--target", "macos", "--machine", "host", "--color", "never").stdout.splitlines()
    assert lines[2].startswith("Fix plan: ") and lines[3].startswith("  1. ")
    assert any(line.strip() == command for line in lines), lines
    assert all(line.startswith(" ") for line in lines if line and line[0].islower() and "/" in line), lines


JUSTFILE = "build:\n    echo build\n\nbench: build\n    python3 bench.py && echo done\n"


def test_justfile(cli, monkeypatch, tmp_path: Path, toolchain, just_dir: Path) -> None:
    project = tmp_path / "just"
    project.mkdir()
    (project / "justfile").write_text(JUSTFILE)
    bin_dir = toolchain("bash", "python3")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir), causes=1)
    assert [s["kind"] for s in plan["steps"]] == ["edit"]

    after = fix_twice(cli, project)
    assert (project / "justfile").read_text() == f"set shell := ['bash', '-cu']\n{JUSTFILE}"
    assert after["plan"]["steps"] == [] and chain_findings(after) == []
    prediction = predict("just bench", project, bin_dir, just_dir)
    assert [h["path"] for h in hops(prediction)][1:] == [str(bin_dir / "bash"), str(bin_dir / "bash"),
                                                         str(bin_dir / "python3")]
    assert_all_profiled(prediction, native=(str((just_dir / "just").resolve()),))


WORKFLOW = """\
on: push
jobs:
  bench:
    runs-on: macos-14
    steps:
      - uses: actions/checkout@v4
      - run: npx vitest bench --run
"""


def test_workflow_step(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "workflow"
    _package(project, {"test": "vitest run"})
    link_node_modules(project, toolchains.npm_project())
    (project / ".github" / "workflows").mkdir(parents=True)
    workflow = project / ".github" / "workflows" / "bench.yml"
    workflow.write_text(WORKFLOW)
    bin_dir = toolchain("node", "bash")
    plan = planned(run_check(cli, project, monkeypatch, bin_dir), causes=1)  # the runner's /bin/bash
    assert [s["change"]["edit"]["file"] for s in plan["steps"]] == [".github/workflows/bench.yml"] * 2

    after = fix_twice(cli, project)
    # the runner images have only Apple's bash: install Homebrew's, which `run:` then finds first on PATH
    assert workflow.read_text().endswith(
        "      - if: runner.os == 'macOS'\n        run: brew install bash\n"
        "      - run: node node_modules/vitest/vitest.mjs bench --run\n")
    assert chain_findings(after) == []
    workflow_read = read_workflow(workflow)
    (brew, step), problems = workflow_read.steps, workflow_read.problems
    assert problems == [] and step.setups == ("homebrew-bash",) and brew.setups == ()
    assert step.name == "Run node node_modules/vitest/vitest.mjs bench --run"  # as GitHub names it
    # The runner's Homebrew bash is the toolchain's bash here: predict the step's script under it.
    prediction = predict(f"{bin_dir / 'bash'} -e -c {step.script.strip()!r}", project, bin_dir)
    assert [h["argv"][0] for h in hops(prediction)] == [str(bin_dir / "bash"), "node"]
    assert_all_profiled(prediction)


def test_diff_shows_the_plans_edits_and_writes_nothing(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "just"
    project.mkdir()
    (project / "justfile").write_text(JUSTFILE)
    run_check(cli, project, monkeypatch, toolchain("bash", "python3"))
    before = snapshot(project)
    result = cli("check", project, "--target", "macos", "--machine", "host", "--diff")
    assert result.stdout == ("--- a/justfile\n+++ b/justfile\n@@ -1,3 +1,4 @@\n+set shell := ['bash', '-cu']\n"
                             " build:\n     echo build\n \n")
    assert snapshot(project) == before


def test_fix_leaves_a_command_inside_another_alone_and_keeps_crlf(cli, monkeypatch, tmp_path: Path,
                                                                   toolchain) -> None:
    """`bench` quotes `npm run benchmark` as an argument: only the `benchmark` script's own text is edited;
    a CRLF Makefile keeps its CRLF and its mode."""
    project = tmp_path / "npm"
    scripts = {"bench": 'branchcmp -r 2 "npm run benchmark"', "benchmark": "vitest bench --run"}
    _package(project, scripts)
    link_node_modules(project, toolchains.npm_project())
    (project / "Makefile").write_bytes(b".PHONY: perf\r\nperf:\r\n\tnpm run benchmark | tee out.txt\r\n")
    (project / "Makefile").chmod(0o640)
    bin_dir = toolchain("node", "bash", "make")
    run_check(cli, project, monkeypatch, bin_dir)
    fix(cli, project)
    data = json.loads((project / "package.json").read_text())
    assert data["scripts"] == {"bench": 'branchcmp -r 2 "npm run benchmark"',
                               "benchmark": "node node_modules/vitest/vitest.mjs bench --run"}
    assert (project / "Makefile").read_bytes() == \
        b"SHELL := bash\r\n.PHONY: perf\r\nperf:\r\n\tnpm run benchmark | tee out.txt\r\n"
    assert (project / "Makefile").stat().st_mode & 0o777 == 0o640


def test_a_command_no_plan_fixes_says_why(cli, monkeypatch, tmp_path: Path, toolchain, just_dir: Path) -> None:
    if not Path("/usr/bin/true").exists():
        pytest.skip("needs /usr/bin/true on this host")
    project = tmp_path / "just"
    project.mkdir()
    (project / "justfile").write_text("bench:\n    /usr/bin/true --version\n")
    data = run_check(cli, project, monkeypatch, toolchain("bash"), just_dir)
    plan = data["plan"]
    assert [s["kind"] for s in plan["steps"]] == ["edit"] and plan["fixed"] == []
    (unfixed,) = plan["unfixed"]
    assert unfixed["command"] == "recipe `bench`" and unfixed["reason"].startswith("/usr/bin/true")
    assert "system program" in unfixed["reason"]
    assert plan["summary"] == "1 benchmark command loses the profiler; no change found fixes it"
