"""Project copies, a non-system toolchain standing in for Homebrew/nvm/pyenv, and the check/predict round."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sipdoctor.binaries import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.chains.predict import Prediction, make_context, predict_command_line
from tests.binaries.conftest import PLAIN_C, zig_build
from tests.chains.conftest import host_path


@pytest.fixture(scope="session")
def macho_program() -> Path:
    """A linker-signed arm64 Mach-O: what a Homebrew/nvm/pyenv binary is to the macOS verdicts (profiled)."""
    return zig_build(PLAIN_C, "aarch64-macos")


def install_standins(directory: Path, names: tuple[str, ...], program: Path) -> Path:
    """Copies of a plain Mach-O named like the toolchain's programs (never run: only judged)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(program, directory / name)
        (directory / name).chmod(0o755)
    return directory


@pytest.fixture
def toolchain(tmp_path: Path, macho_program: Path) -> Callable[..., Path]:
    def make(*names: str) -> Path:
        return install_standins(tmp_path / "toolchain" / "bin", names, macho_program)

    return make


def link_node_modules(project: Path, source: Path) -> None:
    (project / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)


TOOLCHAIN_HOMES = ("PYENV_ROOT", "NVM_DIR", "VOLTA_HOME", "ASDF_DATA_DIR", "MISE_DATA_DIR", "FNM_DIR",
                   "CARGO_HOME", "UV_INSTALL_DIR")
"""Where this host's own toolchains live: the checks see only the project's home and the PATH given."""


def run_check(cli: Callable[..., Any], project: Path, monkeypatch: pytest.MonkeyPatch,
              *path_first: str | Path) -> dict[str, Any]:
    monkeypatch.setenv("PATH", host_path(*path_first))
    monkeypatch.setenv("HOME", str(project))
    for variable in TOOLCHAIN_HOMES:
        monkeypatch.delenv(variable, raising=False)
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "json",
                 "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def chain_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["rule"] == "CHN001"]


def run_instead(findings: list[dict[str, Any]], run_as: str) -> str:
    """The command line to run for `run_as`: the one remediation's `run_instead`, else `run_as` itself."""
    lines = {r["run_instead"] for f in findings if f["evidence"]["command"] == run_as
             for r in f["remediations"] if r["run_instead"]}
    assert len(lines) <= 1, lines
    return lines.pop() if lines else run_as


def predict(line: str, project: Path, *path_first: str | Path, **env: str) -> Prediction:
    environment = {"PATH": host_path(*path_first), "HOME": str(project), **env}
    ctx = make_context(Judge(Assumptions(target="macos")), project, environment)
    return predict_command_line(line, ctx)


def hops(prediction: Prediction) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def visit(process: dict[str, Any]) -> None:
        out.extend(process["chain"])
        for child in process["children"]:
            visit(child)

    for root in prediction.to_json()["children"]:  # type: ignore[attr-defined]
        visit(root)
    return out


def assert_all_profiled(prediction: Prediction, native: tuple[str, ...] = ()) -> None:
    """Every hop profiled; `native` names host binaries that --target macos cannot judge (a Linux ELF)."""
    found = hops(prediction)
    assert found, prediction
    for hop in found:
        if hop["path"] in native:
            assert hop["own_verdict"] == "unknown" and hop["reasons"][0]["code"] == "not-macos-executable"
            continue
        assert hop["verdict"] == "profiled", (prediction.command, hop)


def copy_tree(source: Path, dest: Path, names: tuple[str, ...]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_file():
            shutil.copy(source / name, dest / name)
    return dest


def environ_path() -> str:
    return os.environ.get("PATH", "")
