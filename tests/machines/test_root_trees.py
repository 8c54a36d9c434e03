"""`--root DIR`: a Mac's file system laid out under a directory, built from real Mach-O files (zig-built
stand-ins and a downloaded, sha256-checked binary). The predictions from the tree and from the shipped model of
the same Mac agree."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.binaries.conftest import PLAIN_C, macho_fixture, zig_build  # noqa: F401  (macho_fixture: a fixture)

APPLE = ("/bin/sh", "/bin/bash", "/bin/zsh", "/usr/bin/env", "/usr/bin/python3", "/usr/bin/make",
         "/usr/bin/ruby", "/usr/bin/perl", "/usr/bin/java", "/usr/bin/git", "/usr/bin/curl")


def place(root: Path, mac_path: str, source: Path) -> Path:
    dest = root / mac_path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest)
    dest.chmod(0o755)
    return dest


def link(root: Path, mac_path: str, target: str) -> None:
    dest = root / mac_path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.symlink_to(target)


@pytest.fixture(scope="module")
def stand_in() -> Path:
    return zig_build(PLAIN_C, "aarch64-macos")


@pytest.fixture
def fresh_mac(tmp_path: Path, stand_in: Path) -> Path:
    root = tmp_path / "fresh"
    for path in APPLE:
        place(root, path, stand_in)
    return root


@pytest.fixture
def homebrew_mac(fresh_mac: Path, stand_in: Path, macho_fixture) -> Path:  # noqa: F811
    root = fresh_mac
    place(root, "/opt/homebrew/bin/node", macho_fixture("deno_hardened_allowdyld_disablelv"))  # profiled build
    place(root, "/opt/homebrew/bin/python3", stand_in)
    place(root, "/opt/homebrew/bin/git", stand_in)
    place(root, "/opt/homebrew/bin/brew", stand_in).write_text("#!/bin/bash -pu\nexit 0\n")
    for tool in ("npm", "npx"):
        script = root / f"opt/homebrew/lib/node_modules/npm/bin/{tool}-cli.js"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("#!/usr/bin/env node\nrequire('../lib/cli.js')(process)\n")
        script.chmod(0o755)
        link(root, f"/opt/homebrew/bin/{tool}", f"../lib/node_modules/npm/bin/{tool}-cli.js")
    for tool in ("make", "python3", "git"):
        place(root, f"/Library/Developer/CommandLineTools/usr/bin/{tool}", stand_in)
    return root


def hops(tree: dict) -> list[tuple[str, str]]:
    out, pending = [], list(tree["children"])
    while pending:
        process = pending.pop(0)
        out += [(h["path"], h["verdict"]) for h in process["chain"]]
        pending = list(process["children"]) + pending
    return out


def explain(cli, *args: str) -> dict:
    result = cli("explain", "--target", "macos", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("line", ["npm run bench", "make bench", "python3 bench.py", "node bench.js", "git status"])
def test_homebrew_tree_and_model_agree(cli, monkeypatch, tmp_path: Path, homebrew_mac: Path, line: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"scripts": {"bench": "node bench.js"}}))
    (project / "Makefile").write_text("bench:\n\tnpm run bench\n")
    monkeypatch.chdir(project)
    from_tree = explain(cli, "--root", str(homebrew_mac), "--", line)
    from_model = explain(cli, "--machine", "dev-arm64-homebrew", "--", line)
    assert hops(from_tree) == hops(from_model)
    assert from_tree["machine"]["kind"] == "root" and from_model["machine"]["kind"] == "model"
    assert str(homebrew_mac) not in json.dumps(hops(from_tree))  # paths are the Mac's, not this computer's


def test_npm_in_the_tree_strips_at_env_then_sh(cli, monkeypatch, tmp_path: Path, homebrew_mac: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"scripts": {"bench": "node bench.js"}}))
    monkeypatch.chdir(project)
    found = hops(explain(cli, "--root", str(homebrew_mac), "--", "npm run bench"))
    assert found[:2] == [("/usr/bin/env", "stripped"), ("/opt/homebrew/bin/node", "not-profiled")]
    assert ("/bin/sh", "not-profiled") in found


@pytest.mark.parametrize(("tree", "model"), [("fresh_mac", "fresh-mac"), ("homebrew_mac", "dev-arm64-homebrew")])
def test_onboarding_from_the_tree_matches_the_model(cli, request, tmp_path: Path, tree: str, model: str) -> None:
    root = request.getfixturevalue(tree)
    empty = tmp_path / "empty"
    empty.mkdir()

    def judged(*how: str) -> tuple[int, list[tuple[str, str, str]]]:
        result = cli("check", empty, "--target", "macos", "--format", "json", *how)
        data = json.loads(result.stdout)
        return result.exit_code, sorted((f["rule"], f["evidence"]["program"], f["evidence"].get("path") or "")
                                        for f in data["findings"] if f["rule"].startswith("ONB"))

    assert judged("--root", str(root)) == judged("--machine", model)
    assert judged("--root", str(root))[0] == (1 if model == "fresh-mac" else 0)


def test_root_must_be_a_directory(cli, tmp_path: Path) -> None:
    result = cli("check", tmp_path, "--target", "macos", "--root", tmp_path / "missing")
    assert result.exit_code == 2 and "--root" in result.stderr


def test_symlinks_in_the_tree_stay_in_the_tree(tmp_path: Path, stand_in: Path) -> None:
    from sipdoctor.machines.root import RootMachine

    root = tmp_path / "mac"
    place(root, "/opt/homebrew/Cellar/node/22/bin/node", stand_in)
    link(root, "/opt/homebrew/bin/node", "/opt/homebrew/Cellar/node/22/bin/node")  # absolute: inside the tree
    link(root, "/opt/homebrew/bin/loop", "loop")
    machine = RootMachine(str(root))
    assert machine.realpath("/opt/homebrew/bin/node") == "/opt/homebrew/Cellar/node/22/bin/node"
    assert machine.which("node", "/opt/homebrew/bin") == "/opt/homebrew/bin/node"
    assert machine.realpath("/opt/homebrew/bin/loop") == "/opt/homebrew/bin/loop"
    assert not machine.is_file("/opt/homebrew/bin/loop") and os.path.isdir(root)


def test_explain_a_path_in_the_tree(cli, tmp_path: Path, fresh_mac: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = explain(cli, "--root", str(fresh_mac), "/usr/bin/env")
    hop = data["children"][0]["chain"][0]
    assert hop["path"] == "/usr/bin/env" and hop["verdict"] == "stripped"
    assert hop["reasons"][0]["code"] == "sip-protected-path"
    assert str(fresh_mac) not in json.dumps(hop["reasons"][1:])  # the binary's own reasons, in the Mac's paths
    assert data["machine"]["label"] == f"the Mac file system under {fresh_mac}"
