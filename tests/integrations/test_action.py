"""The composite action (action.yml): its steps run as the GitHub runner runs them, on a sample project."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.integrations.action_runner import Runner, load_action, parse_outputs
from tests.integrations.conftest import PACKAGE_CACHES, validate_sarif

pytestmark = pytest.mark.slow
MAKEFILE = "SHELL := /bin/sh\n\nbench:\n\tpython3 bench.py > out.txt\n"
INSTALLERS = ("uv", "uvx", "pipx")


def clean_bin(directory: Path, *, with_uv: bool) -> Path:
    """A PATH directory with the system's programs, the test's Python as `python3`, and uv only when asked:
    the install step takes the branch the test chooses, whatever this host has installed."""
    directory.mkdir(parents=True)
    for system_dir in ("/usr/local/bin", "/usr/bin", "/bin"):
        if not os.path.isdir(system_dir):
            continue
        for name in os.listdir(system_dir):
            if name in INSTALLERS or name.startswith("python") or (directory / name).exists():
                continue
            if os.access(os.path.join(system_dir, name), os.X_OK):
                (directory / name).symlink_to(os.path.join(system_dir, name))
    (directory / "python3").symlink_to(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    uv = shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    if with_uv:
        assert uv, "uv is a test extra"
        (directory / "uv").symlink_to(uv)
    return directory


def base_env(root: Path, bin_dir: Path) -> dict[str, str]:
    """This host's environment (its certificates and package indexes, as a runner has its own), with a home,
    a PATH and no virtual environment or GitHub variables of its own."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "PYTHON"))
                 and k not in ("CI", "VIRTUAL_ENV", "SIPDOCTOR_CSRUTIL", "SIPDOCTOR_CACHE_DIR")}
    return {**inherited, **PACKAGE_CACHES, "PATH": str(bin_dir), "HOME": str(root / "home"), "NO_COLOR": "1",
            "XDG_CACHE_HOME": str(root / "home" / "cache"), "XDG_CONFIG_HOME": str(root / "home" / "config")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The install step, once per module and worker, by its uv path (the quick one; uv is a test extra)."""
    root = tmp_path_factory.mktemp("action")
    env = base_env(root, clean_bin(root / "bin", with_uv=True))
    runner = Runner(root, env, {})
    result = runner.run(only={"install"})
    assert result.returncode == 0, result.steps[0].stderr
    assert "Installing with uv and" in result.stdout
    outputs = runner.step_outputs["install"]
    assert Path(outputs["sipdoctor"]).is_file() and outputs["python"] == str(root / "bin" / "python3")
    return root, env, outputs


def run_check(installed: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path, **inputs: str) -> Runner:
    _root, env, install_outputs = installed
    runner = Runner(tmp_path, env, inputs)
    runner.step_outputs["install"] = install_outputs
    project = runner.workspace / "bench"
    project.mkdir()
    (project / "Makefile").write_text(MAKEFILE)
    return runner


def test_the_action_annotates_summarises_and_writes_sarif(installed, tmp_path: Path) -> None:
    runner = run_check(installed, tmp_path, path="bench", args="--target macos", **{"sarif-file": "out/sd.sarif"})
    result = runner.run(only={"check"})
    (step,) = result.steps
    assert step.returncode == 1, step.stderr  # an error-level finding, fail-on defaults to error
    assert "::group::sipdoctor status" in step.stdout
    annotations = [line for line in step.stdout.splitlines() if line.startswith("::error ")]
    assert annotations and all("CHN001" in line for line in annotations)
    assert any(f"file={runner.workspace / 'bench' / 'Makefile'}" in line for line in annotations)

    verdict = result.outputs["verdict"]
    assert verdict.startswith("1 benchmark command loses the profiler") and result.outputs["exit-code"] == "1"
    sarif = Path(result.outputs["sarif-file"])
    assert sarif == runner.workspace / "out" / "sd.sarif"
    (run,) = validate_sarif(sarif.read_text())["runs"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {"Makefile"}

    summary = step.summary
    assert summary.startswith("### sipdoctor check (target macos)")
    assert f"**{verdict}**" in summary
    assert "| `make bench` | Makefile:3 | yes | stripped |" in summary
    assert "#### Plan" in summary and "**CHN001**" in summary and "Fix:" in summary
    assert "<summary>sipdoctor status</summary>" in summary


def test_fail_on_never_passes_and_writes_no_sarif(installed, tmp_path: Path) -> None:
    runner = run_check(installed, tmp_path, path="bench", args="--target macos", **{"fail-on": "never"})
    result = runner.run(only={"check"})
    assert result.returncode == 0, result.steps[0].stderr
    assert result.outputs["exit-code"] == "0" and result.outputs["sarif-file"] == ""
    assert result.outputs["verdict"].startswith("1 benchmark command loses the profiler")
    assert not list(runner.workspace.rglob("*.sarif"))


def test_rules_one_per_line_and_quoted_args(installed, tmp_path: Path) -> None:
    runner = run_check(installed, tmp_path, path="bench", args="--target 'macos'",
                       rules="team rules/extra.yml\n\n", **{"fail-on": "warning"})
    (runner.workspace / "team rules").mkdir()
    (runner.workspace / "team rules" / "extra.yml").write_text(
        "rules:\n  - id: TEAM001\n    severity: warning\n    title: Team rule fired\n    when: 'true'\n"
        "    message: From the rules input.\n")
    result = runner.run(only={"check"})
    assert result.returncode == 1
    assert "::warning title=TEAM001 Team rule fired::From the rules input." in result.stdout


def test_a_bad_input_fails_the_step_with_exit_2_and_says_so_in_the_summary(installed, tmp_path: Path) -> None:
    runner = run_check(installed, tmp_path, path="bench", **{"fail-on": "sometimes"})
    result = runner.run(only={"check"})
    assert result.returncode == 2 and result.outputs["exit-code"] == "2"
    assert "--fail-on" in result.steps[0].stderr
    assert "could not run (exit 2)" in result.summary


def test_the_virtual_environment_path_of_the_install_step(tmp_path: Path) -> None:
    """No uv, no pipx: `python3 -m venv` and pip; the installed sipdoctor runs (the step prints its version)."""
    env = base_env(tmp_path, clean_bin(tmp_path / "bin", with_uv=False))
    runner = Runner(tmp_path, env, {})
    result = runner.run(only={"install"})
    assert result.returncode == 0, result.steps[0].stderr
    assert "Installing into a virtual environment of" in result.stdout
    from sipdoctor import __version__

    assert f"sipdoctor {__version__}" in result.stdout
    assert runner.step_outputs["install"]["sipdoctor"] == str(tmp_path / "runner-temp" / "sipdoctor-action" / "venv"
                                                              / "bin" / "sipdoctor")


@pytest.mark.skipif(shutil.which("pipx") is None, reason="pipx is not installed here (GitHub's runners have it)")
def test_the_pipx_path_of_the_install_step(tmp_path: Path) -> None:
    bin_dir = clean_bin(tmp_path / "bin", with_uv=False)
    (bin_dir / "pipx").symlink_to(shutil.which("pipx") or "")
    runner = Runner(tmp_path, base_env(tmp_path, bin_dir), {})
    result = runner.run(only={"install"})
    assert result.returncode == 0, result.steps[0].stderr
    assert "Installing with pipx and" in result.stdout
    assert Path(runner.step_outputs["install"]["sipdoctor"]).is_file()


def test_without_python_3_11_the_install_step_says_what_to_add(tmp_path: Path) -> None:
    bin_dir = clean_bin(tmp_path / "bin", with_uv=False)
    (bin_dir / "python3").unlink()
    (bin_dir / "python3").write_text("#!/bin/sh\nexit 1\n")  # what Apple's 3.9 answers to the version test
    (bin_dir / "python3").chmod(0o755)
    result = Runner(tmp_path, base_env(tmp_path, bin_dir), {}).run()
    assert result.returncode == 2 and len(result.steps) == 1
    assert "::error title=sipdoctor::needs Python 3.11 or newer" in result.stdout
    assert "actions/setup-python" in result.stdout


def test_the_runner_knows_every_expression_of_the_action() -> None:
    action = load_action()
    runner = Runner.__new__(Runner)
    runner.inputs = {name: "" for name in action["inputs"]}
    runner.step_outputs = {}
    texts = [v for step in action["runs"]["steps"] for v in (step.get("env") or {}).values()]
    texts += [spec["value"] for spec in action["outputs"].values()]
    for text in texts:
        runner.evaluate(text)
    assert all("${{" not in step["run"] for step in action["runs"]["steps"]), "inputs reach scripts via env only"
    assert parse_outputs("a=1\nb<<EOF\nx\ny\nEOF\n") == {"a": "1", "b": "x\ny"}
    assert json.dumps(action)  # plain data
