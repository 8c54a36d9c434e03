"""CHN001's fixes where a runner puts a system shell in front of the benchmark: hatch (always), pdm
(`shell` scripts), bun (the first bash on PATH)."""

from __future__ import annotations

from pathlib import Path

from tests.project.test_pyproject_scripts import PYPROJECT
from tests.rules.conftest import chain_findings, run_check

MAKEFILE = ".PHONY: bench bench-pdm\nbench:\n\thatch run bench\nbench-pdm:\n\tpdm run piped\n"


def test_hatch_and_pdm_shell_hops_name_their_fix(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "Makefile").write_text(MAKEFILE)
    findings = chain_findings(run_check(cli, project, monkeypatch, toolchain("hatch", "pdm", "make")))
    by_why = {f["evidence"]["invoked_as"]: f for f in findings if f["evidence"]["role"] == "shell"}
    hatch = by_why["/bin/sh -c 'pytest benchmarks --codspeed'"]
    assert hatch["remediations"][0]["command"] == '"$(hatch env find)"/bin/pytest benchmarks --codspeed'
    assert "no setting changes that shell" in hatch["remediations"][0]["text"]
    pdm = by_why["/bin/sh -c 'python bench.py | tee out.txt'"]
    assert "Make the script a `cmd` script" in pdm["remediations"][0]["text"]
    assert not any("is the system shell" in r["text"] for f in (hatch, pdm) for r in f["remediations"])


def test_bun_shell_hop_names_buns_own_shell(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    import json

    project = tmp_path / "b"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "b", "scripts": {"bench": "node bench.js"}}))
    (project / "Makefile").write_text(".PHONY: bench\nbench:\n\tbun run --silent bench\n")
    findings = chain_findings(run_check(cli, project, monkeypatch, toolchain("bun", "make", "node")))
    (bun,) = [f for f in findings if f["evidence"]["invoked_as"] == "bash -c 'node bench.js'"]
    assert bun["remediations"][0]["command"] == "bun run --shell=bun --silent bench"
    assert "bunfig.toml" in bun["remediations"][0]["text"]
