"""Issue 6's "done when": for every stripped hop of a benchmark command, `check --target macos` gives a
remediation that, applied to a copy of the project, makes the predicted tree all profiled.

Each test copies a project to tmp, puts a non-system toolchain first on PATH (plain Mach-O stand-ins named
node, bash, python3, make: what Homebrew's or nvm's binaries are to the macOS verdicts), runs the check, applies
every `edit` to the copy, runs the `run_instead` line where one is given, and predicts the command again. Hops
the user can only remove by installing a toolchain must name the install command; the test then adds that
program to the stand-in toolchain, as the install would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sipdoctor.sources.workflows import load_workflow
from tests.chains import toolchains
from tests.conftest import write_executable
from tests.rules.apply import apply_all
from tests.rules.conftest import (
    assert_all_profiled,
    chain_findings,
    hops,
    link_node_modules,
    predict,
    run_check,
    run_instead,
)


def _package(project: Path, scripts: dict[str, str], **fields: str) -> None:
    project.mkdir(parents=True, exist_ok=True)
    data = {"name": "bench", "private": True, "scripts": scripts, **fields}
    (project / "package.json").write_text(json.dumps(data, indent=2) + "\n")


def _benchmark_findings(data: dict) -> list[dict]:
    findings = chain_findings(data)
    stripped = [(c["run_as"], h["path"]) for c in data["commands"] if c["benchmark"]
                for h in c["stripped_hops"] if h["verdict"] == "stripped"]
    assert stripped and sorted(stripped) == sorted((f["evidence"]["command"], f["evidence"]["hop"])
                                                    for f in findings)
    for finding in findings:
        assert any(r["edit"] or r["run_instead"] or r["command"] for r in finding["remediations"]), finding
    return findings


def test_npm_project(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "npm"
    _package(project, toolchains.BENCH_SCRIPTS)
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir))

    edits = apply_all(project, findings)
    assert {(e["file"], e["action"]) for e in edits} == {(".npmrc", "append"), ("package.json", "replace")}
    assert f"script-shell={bin_dir / 'bash'}" in (project / ".npmrc").read_text()
    assert json.loads((project / "package.json").read_text())["scripts"]["bench"] == \
        "node node_modules/vitest/vitest.mjs bench --run"
    line = run_instead(findings, "npm run bench")
    assert line.startswith("node ") and line.endswith("npm-cli.js run bench")
    prediction = predict(line, project, bin_dir)
    assert [h["argv"][0] for h in hops(prediction)] == ["node", str(bin_dir / "bash"), "node"]
    assert_all_profiled(prediction)


def test_pnpm_project(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    source, pnpm = toolchains.pnpm_project(), toolchains.pnpm_bin()
    project = tmp_path / "pnpm"
    _package(project, toolchains.BENCH_SCRIPTS)
    shutil.copy(source / "pnpm-lock.yaml", project)  # what makes it a pnpm project for `check`
    link_node_modules(project, source)
    bin_dir = toolchain("node", "bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir, pnpm))
    wrapper = next(f for f in findings if f["evidence"]["via"] and f["evidence"]["via"].endswith(".bin/vitest"))
    assert wrapper["remediations"][0]["edit"]["with"] == "node node_modules/vitest/vitest.mjs bench --run"

    apply_all(project, findings)
    assert run_instead(findings, "pnpm run bench") == "pnpm run bench"
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


def test_yarn1_project(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    yarn = yarn1_bin()
    project = tmp_path / "yarn"
    _package(project, toolchains.BENCH_SCRIPTS, packageManager="yarn@1.22.22")
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir, yarn))

    apply_all(project, findings)
    line = run_instead(findings, "yarn run bench")
    assert line.startswith("node ") and line.endswith("yarn.js run bench")
    assert_all_profiled(predict(line, project, bin_dir, yarn))


MAKEFILE = ".PHONY: bench\nbench:\n\tpython3 bench.py && echo done\n"


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


def test_makefile_project(cli, monkeypatch, tmp_path: Path, toolchain, developer_dir: Path) -> None:
    if not shutil.which("make", path="/usr/bin") or not shutil.which("python3", path="/usr/bin"):
        pytest.skip("needs /usr/bin/make and /usr/bin/python3 on this host")
    project = tmp_path / "make"
    project.mkdir()
    (project / "Makefile").write_text(MAKEFILE)
    bin_dir = toolchain("bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir))

    apply_all(project, findings)
    assert (project / "Makefile").read_text() == f"SHELL := {bin_dir / 'bash'}\n{MAKEFILE}"
    line = run_instead(findings, "make bench")
    assert line == f"{developer_dir}/usr/bin/make bench"
    python = next(f for f in findings if f["evidence"]["role"] == "interpreter")
    assert "curl -LsSf https://astral.sh/uv/install.sh | sh" in python["remediations"][-1]["command"]
    toolchain("python3")  # what that install puts first on PATH
    prediction = predict(line, project, bin_dir, DEVELOPER_DIR=str(developer_dir))
    assert [h["path"] for h in hops(prediction)] == [f"{developer_dir}/usr/bin/make", str(bin_dir / "bash"),
                                                     str(bin_dir / "python3")]
    assert_all_profiled(prediction)


JUSTFILE = "build:\n    echo build\n\nbench: build\n    python3 bench.py && echo done\n"


def test_justfile_project(cli, monkeypatch, tmp_path: Path, toolchain, just_dir: Path) -> None:
    project = tmp_path / "just"
    project.mkdir()
    (project / "justfile").write_text(JUSTFILE)
    bin_dir = toolchain("bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir))
    assert {f["evidence"]["command"] for f in findings} == {"sh -cu python3 bench.py && echo done"}

    apply_all(project, findings)
    setting = f"set shell := ['{bin_dir / 'bash'}', '-cu']"
    assert (project / "justfile").read_text() == f"{setting}\n{JUSTFILE}"
    assert run_instead(findings, "sh -cu python3 bench.py && echo done") == "sh -cu python3 bench.py && echo done"
    toolchain("python3")  # what the interpreter finding's install puts first on PATH
    prediction = predict("just bench", project, bin_dir, just_dir)
    assert [h["path"] for h in hops(prediction)][1:] == [str(bin_dir / "bash"), str(bin_dir / "bash"),
                                                         str(bin_dir / "python3")]
    assert_all_profiled(prediction, native=(str((just_dir / "just").resolve()),))

    assert chain_findings(run_check(cli, project, monkeypatch, bin_dir)) == []  # the check agrees


def test_justfile_shell_setting_is_replaced(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "just"
    project.mkdir()
    (project / "justfile").write_text("set shell := ['/bin/bash', '-uc']\n" + JUSTFILE)
    bin_dir = toolchain("bash", "python3")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir))
    apply_all(project, findings)
    assert (project / "justfile").read_text() == f"set shell := ['{bin_dir / 'bash'}', '-cu']\n{JUSTFILE}"


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


def test_pyenv_shim_project(cli, monkeypatch, tmp_path: Path, toolchain, developer_dir: Path,
                            pyenv_root: Path) -> None:
    project = tmp_path / "pyenv-project"
    project.mkdir()
    (project / "Makefile").write_text(".PHONY: bench\nbench:\n\tpython3 bench.py\n")
    (project / ".python-version").write_text("3.12.1\n")
    shims = pyenv_root / "shims"
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, shims))
    assert any(f["evidence"]["via"] == str(shims / "python3") for f in findings)

    apply_all(project, findings)
    real = pyenv_root / "versions" / "3.12.1" / "bin" / "python3"
    assert f"\t{real} bench.py\n" in (project / "Makefile").read_text()
    line = run_instead(findings, "make bench")
    prediction = predict(line, project, toolchain("bash"), shims, DEVELOPER_DIR=str(developer_dir))
    assert [h["path"] for h in hops(prediction)] == [f"{developer_dir}/usr/bin/make", str(real)]
    assert_all_profiled(prediction)


def test_venv_project(cli, monkeypatch, tmp_path: Path, toolchain, developer_dir: Path,
                      macho_program: Path) -> None:
    if not Path("/usr/bin/python3").exists():
        pytest.skip("needs /usr/bin/python3")
    project = tmp_path / "venv-project"
    project.mkdir()
    (project / "Makefile").write_text(".PHONY: bench\nbench:\n\t.venv/bin/python bench.py\n")
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    bin_dir = toolchain()
    shutil.copy(Path("/usr/bin/python3").resolve(), bin_dir / "python3")  # runnable: the fix runs it
    data = run_check(cli, project, monkeypatch, bin_dir)
    findings = _benchmark_findings(data)
    venv_hop = next(f for f in findings if f["evidence"]["role"] == "interpreter")
    assert "VNV001" in venv_hop["remediations"][0]["text"] or "venv" in venv_hop["remediations"][0]["text"]
    recreate = next(f for f in data["findings"] if f["rule"] == "VNV001")["remediations"][0]["command"]
    assert recreate == f'"{bin_dir / "python3"}" -m venv --clear {project / ".venv"}'

    subprocess.run(recreate, shell=True, check=True, cwd=project, capture_output=True)
    shutil.copy(macho_program, bin_dir / "python3")  # the same toolchain python, as a Mac judges it
    prediction = predict(run_instead(findings, "make bench"), project, bin_dir, DEVELOPER_DIR=str(developer_dir))
    assert [h["path"] for h in hops(prediction)] == [f"{developer_dir}/usr/bin/make", str(bin_dir / "python3")]
    assert_all_profiled(prediction)


WORKFLOW = """\
on: push
jobs:
  bench:
    runs-on: macos-14
    steps:
      - uses: actions/checkout@v4
      - run: npx vitest bench --run
"""


def test_github_workflow_project(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "workflow"
    _package(project, {"test": "vitest run"})
    link_node_modules(project, toolchains.npm_project())
    (project / ".github" / "workflows").mkdir(parents=True)
    workflow = project / ".github" / "workflows" / "bench.yml"
    workflow.write_text(WORKFLOW)
    bin_dir = toolchain("node", "bash")
    findings = _benchmark_findings(run_check(cli, project, monkeypatch, bin_dir))

    assert len(apply_all(project, findings)) == 2  # the step's shell, and npx's command called directly
    assert workflow.read_text().endswith(
        "      - shell: /opt/homebrew/bin/bash -e {0}\n        run: node node_modules/vitest/vitest.mjs bench --run\n")
    (step,), problems = load_workflow(workflow)
    assert problems == [] and step.shell_argv == ("/opt/homebrew/bin/bash", "-e", "{0}")
    # The runner's Homebrew bash is the toolchain's bash here: predict the step's script under it.
    prediction = predict(f"{bin_dir / 'bash'} -e -c {step.script.strip()!r}", project, bin_dir)
    assert [h["argv"][0] for h in hops(prediction)] == [str(bin_dir / "bash"), "node"]
    assert_all_profiled(prediction)
