"""`check` offers `sipdoctor run -- CMD` as the no-edit remedy when a shim follows every stripping hop of a
benchmark command, once per command, and names the hops it would miss otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from tests.contract.conftest import assert_valid
from tests.rules.conftest import chain_findings, run_check


def _project(tmp_path: Path, bench: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "b", "private": True, "scripts": {"bench": bench}}))
    (project / "bench.js").write_text("console.log(1)\n")
    return project


def _run_remedies(findings: list[dict]) -> list[tuple[str, dict]]:
    return [(f["evidence"]["hop"], r) for f in findings for r in f["remediations"] if "sipdoctor run" in r["text"]]


def test_offered_once_when_every_hop_is_covered(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    project = _project(tmp_path, "node bench.js")
    data = run_check(cli, project, monkeypatch, toolchain("node"))
    assert_valid("check", data)
    (command,) = [c for c in data["commands"] if c["run_as"] == "npm run bench"]
    assert command["reinject"] == {"covers": True, "names": ["node"], "gaps": []}
    findings = chain_findings(data)
    assert len(findings) >= 2  # /usr/bin/env (npm's shebang) and the script's sh
    ((hop, remedy),) = _run_remedies(findings)
    assert hop == "/usr/bin/env" and remedy["command"] == "sipdoctor run -- npm run bench"
    assert "covers every stripping hop" in remedy["text"]


def test_names_the_hops_it_cannot_cover(cli, monkeypatch, tmp_path: Path, toolchain) -> None:
    bin_dir = toolchain("node")
    project = _project(tmp_path, f"{bin_dir / 'node'} bench.js")
    data = run_check(cli, project, monkeypatch, bin_dir)
    (command,) = [c for c in data["commands"] if c["run_as"] == "npm run bench"]
    assert not command["reinject"]["covers"]
    ((_, remedy),) = _run_remedies(chain_findings(data))
    assert remedy["command"] in (None, "")
    assert f"but not at {bin_dir / 'node'} (run by absolute path, no PATH lookup" in remedy["text"]
