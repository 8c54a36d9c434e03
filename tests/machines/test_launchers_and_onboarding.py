"""Launchers known without their install, `unknown` never counted as profiled, and `check` outside a project."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges a Mac from a non-Mac host")

LAUNCHERS = {
    ("pnpm", "run", "bench"): ("/bin/sh", "pnpm runs script `bench` with `sh -c`"),
    ("yarn", "run", "bench"): ("/bin/sh", "yarn runs script `bench` with `sh -c`"),
    ("bun", "run", "bench"): ("/bin/bash", "bun runs script `bench` with `bash -c`"),
    ("just", "bench"): ("/bin/sh", "just runs it with `sh -cu`"),
}


def launcher_project(root: Path) -> Path:
    root.mkdir()
    (root / "package.json").write_text(json.dumps({"scripts": {"bench": "vitest bench --run"}}))
    (root / "justfile").write_text("bench:\n\tvitest bench --run\n")
    return root


def stripping(tree: dict) -> list[tuple[str, str]]:
    out = []
    pending = list(tree["children"])
    while pending:
        process = pending.pop(0)
        out += [(h["path"], h["why"]) for h in process["chain"] if h["own_verdict"] == "stripped"]
        pending = list(process["children"]) + pending
    return out


@pytest.mark.parametrize("argv", list(LAUNCHERS), ids=lambda a: a[0])
def test_launcher_not_installed_still_names_the_hop_that_strips(cli, monkeypatch, tmp_path: Path, argv) -> None:
    monkeypatch.chdir(launcher_project(tmp_path / "p"))
    answers = []
    for path in ("/usr/bin:/bin", f"{tmp_path}/bin:/usr/bin:/bin"):
        monkeypatch.setenv("PATH", path)
        (tmp_path / "bin").mkdir(exist_ok=True)
        result = cli("explain", "--target", "macos", "--format", "json", "--", *argv)
        assert result.exit_code == 1, result.stderr
        answers.append(json.loads(result.stdout))
        (tmp_path / "bin" / argv[0]).write_text("#!/bin/sh\nexit 0\n")  # installed here: must not matter
        (tmp_path / "bin" / argv[0]).chmod(0o755)
    assert answers[0] == answers[1]
    hop, why = LAUNCHERS[argv]
    first = stripping(answers[0])[0]
    assert first[0] == hop and why in first[1]
    root = answers[0]["children"][0]["chain"][0]
    assert root["own_verdict"] == "unknown" and f"`{argv[0]}` is not on the PATH of a developer Mac" in \
        root["reasons"][0]["message"]


def test_unjudged_benchmark_is_a_warning_and_never_ready(cli, tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = bench\n\n[testenv:bench]\ncommands = cargo bench\n")
    result = cli("check", project, "--target", "macos", "--format", "json")
    data = json.loads(result.stdout)
    bench = next(c for c in data["commands"] if c["benchmark"])
    assert bench["verdict"] == "unknown" and bench["unverified"]
    warning = next(f for f in data["findings"] if f["rule"] == "MCH001")
    assert warning["severity"] == "warning" and "cannot be judged" in warning["message"]
    assert bench["tree"]["children"][0]["argv"][0] == str(project / ".tox" / "bench" / "bin" / "cargo")  # tox's env
    assert "Ready to profile" not in data["summary"]["verdict"]
    assert data["summary"]["verdict"].startswith("Not verified")


def test_empty_directory_on_a_fresh_mac_fails_for_python3(cli, tmp_path: Path) -> None:
    result = cli("check", tmp_path, "--target", "macos", "--machine", "fresh-mac", "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    python = next(f for f in data["findings"] if f["rule"] == "ONB001")
    assert python["evidence"]["program"] == "python3" and python["evidence"]["hop"] == "/usr/bin/python3"
    assert "Xcode stub" in python["message"]
    assert python["remediations"][0]["command"] == "brew install python"
    assert "Homebrew first" in python["remediations"][0]["text"]  # no Homebrew on a fresh Mac
    assert not any(f["evidence"].get("program") == "node" for f in data["findings"])  # absent, not needed


def test_empty_directory_on_the_homebrew_mac_is_ready(cli, tmp_path: Path) -> None:
    result = cli("check", tmp_path, "--target", "macos", "--machine", "dev-arm64-homebrew", "--format", "json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    python = next(p for p in data.get("onboarding") or [] if p["name"] == "python3") if "onboarding" in data \
        else None
    assert not [f for f in data["findings"] if f["rule"] == "ONB001"]
    assert data["summary"]["verdict"].startswith("Ready to profile")
    assert python is None or python["verdict"] == "profiled"


def test_pyenv_shim_on_the_path_gets_the_shim_fix(cli, tmp_path: Path) -> None:
    data = json.loads(cli("check", tmp_path, "--target", "macos", "--machine", "dev-arm64-homebrew+pyenv",
                          "--format", "json").stdout)
    python = next(f for f in data["findings"] if f["rule"] == "ONB001")
    assert python["evidence"] == {"program": "python3", "path": "/Users/you/.pyenv/shims/python3",
                                  "hop": "/usr/bin/env"}
    assert python["remediations"][0]["command"] == '"$(pyenv which python3)" bench.py'
    assert data["toolchains"]["pyenv"]["installed"] and data["machine"]["name"] == "dev-arm64-homebrew+pyenv"


@pytest.mark.parametrize(("layout", "program", "verdict"), [
    ("nvm", "node", "profiled"), ("asdf", "node", "stripped"), ("volta", "node", "unknown"),
    ("mise", "node", "unknown")])
def test_version_manager_layouts(cli, tmp_path: Path, layout: str, program: str, verdict: str) -> None:
    data = json.loads(cli("check", tmp_path, "--target", "macos", "--machine", f"dev-arm64-homebrew+{layout}",
                          "--format", "json").stdout)
    found = next(p for p in data["onboarding"] if p["name"] == program)
    assert found["verdict"] == verdict and found["path"].startswith("/Users/you/")


def test_layouts_are_for_developer_macs_only(cli, tmp_path: Path) -> None:
    for name in ("gha-macos-15-arm64+nvm", "dev-arm64-homebrew+nope"):
        result = cli("check", tmp_path, "--target", "macos", "--machine", name)
        assert result.exit_code == 2 and "+nvm" in result.stderr


def test_sip_off_on_apple_silicon_runner_keeps_the_variable_for_children(cli, monkeypatch, tmp_path: Path) -> None:
    """With SIP off on arm64, Apple's arm64e hops run without the library but their children keep it."""
    monkeypatch.chdir(launcher_project(tmp_path / "p"))
    off = json.loads(cli("explain", "--machine", "gha-macos-26-arm64", "--sip", "off", "--format", "json", "--",
                         "npm", "run", "bench").stdout)
    root = off["children"][0]
    assert [(h["path"], h["verdict"]) for h in root["chain"]][:2] == [
        ("/usr/bin/env", "ignored"), ("/opt/homebrew/Cellar/node@24/<ver>/bin/node", "profiled")]
    shell = root["children"][0]["chain"][0]
    assert shell["path"] == "/bin/sh" and shell["verdict"] == "ignored"
    assert shell["reasons"][0]["code"] == "arm64e-library"
    assert off["machine"]["sip"]["state"] == "off"
    intel = json.loads(cli("explain", "--machine", "gha-macos-26-x64", "--sip", "off", "--format", "json", "--",
                           "npm", "run", "bench").stdout)
    assert intel["children"][0]["children"][0]["chain"][0]["verdict"] == "profiled"


def test_unjudged_program_outside_a_project_is_not_ready(cli, tmp_path: Path) -> None:
    data = json.loads(cli("check", tmp_path, "--target", "macos", "--machine", "dev-arm64-homebrew+volta",
                          "--format", "json").stdout)
    assert any(f["rule"] == "ONB004" and f["evidence"]["program"] == "node" for f in data["findings"])
    assert data["summary"]["verdict"] == "Not verified: `node` could not be judged"
