"""The keys scripts already read are required by the schemas: removing or renaming one fails validation."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CSRUTIL_FIXTURES
from tests.contract.conftest import assert_valid, error_messages, schema_errors
from tests.contract.projects import SHAPES
from tests.trace.trace_helpers import LINUX

LISTED = {
    "check": ["commands.*.source", "commands.*.file", "commands.*.line", "commands.*.name", "commands.*.command",
              "commands.*.run_as", "commands.*.benchmark", "commands.*.verdict", "commands.*.stripped_hops.*.path",
              "schema_version"],
    "explain-file": ["verdict", "path", "chain", "chain.*.verdict", "chain.*.path"],
    "explain-command": ["children", "children.*.chain", "children.*.chain.*.verdict", "children.*.chain.*.path",
                        "children.*.children"],
    "trace": ["processes.*.state", "coverage.cpu_profiled_fraction", "exit_code"],
    "status": ["sip.status", "sip.custom", "sip.protections"],
}


def payload(name: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A real payload in which every listed key of `name` occurs (a stripped hop, a script's chain ...)."""
    if name == "check":
        args: list[Any] = ["check", SHAPES["makefile"](tmp_path), "--target", "macos", "--fail-on", "never"]
    elif name == "explain-file":
        script = tmp_path / "tool"
        script.write_text("#!/usr/bin/env python3\n")
        script.chmod(0o755)
        args = ["explain", script, "--no-cache"]
    elif name == "explain-command":
        monkeypatch.chdir(SHAPES["makefile"](tmp_path))
        args = ["explain", "--target", "macos", "--no-cache", "--", "make bench"]
    elif name == "status":
        monkeypatch.setenv("SIPDOCTOR_CSRUTIL", str(tmp_path / "csrutil"))
        (tmp_path / "csrutil").write_text(f"#!/bin/sh\ncat '{CSRUTIL_FIXTURES[0]}'\n")
        (tmp_path / "csrutil").chmod(0o755)
        args = ["status"]
    result = cli(args[0], "--format", "json", *args[1:])
    assert "Traceback" not in result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def trace_payload(probe: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not LINUX:
        pytest.skip("traces real processes with LD_PRELOAD")
    report = tmp_path_factory.mktemp("trace") / "trace.json"
    env = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(probe.parents[2])}
    subprocess.run([sys.executable, "-m", "sipdoctor", "trace", "-f", "json", "-o", str(report), "--", "/bin/sh",
                    "-c", f'"{sys.executable}" -c pass'], env=env, capture_output=True, timeout=120, check=False)
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def located(data: Any, dotted: str) -> tuple[dict[str, Any], str]:
    """The object holding the last key of `dotted` (`*` = the first item of a list) and that key."""
    *parents, key = dotted.split(".")
    for part in parents:
        if part == "*":
            assert data, f"{dotted}: an empty list on the way, the payload does not exercise this key"
            data = data[0]
        else:
            data = data[part]
    assert isinstance(data, dict) and key in data, f"{dotted} missing from the real payload"
    return data, key


def get(name: str, request: pytest.FixtureRequest, cli, tmp_path: Path, monkeypatch) -> dict[str, Any]:
    if name == "trace":
        data: dict[str, Any] = request.getfixturevalue("trace_payload")
        return data
    return payload(name, cli, tmp_path, monkeypatch)


@pytest.mark.parametrize("name", LISTED)
def test_removing_or_renaming_a_listed_key_fails(name: str, request, cli, tmp_path: Path, monkeypatch) -> None:
    data = get(name, request, cli, tmp_path, monkeypatch)
    assert_valid(name, data)
    for key in LISTED[name]:
        removed = copy.deepcopy(data)
        holder, last = located(removed, key)
        del holder[last]
        assert schema_errors(name, removed), f"{key} removed still validates"
        assert f"'{last}' is a required property" in error_messages(name, removed), key
        renamed = copy.deepcopy(data)
        holder, last = located(renamed, key)
        holder[f"{last}s"] = holder.pop(last)
        assert schema_errors(name, renamed), f"{key} renamed to {last}s still validates"


VOCABULARY = [("check", "commands.*.verdict"), ("check", "commands.*.stripped_hops.*.verdict"),
              ("explain-file", "verdict"), ("explain-command", "children.*.chain.*.verdict"),
              ("trace", "processes.*.state")]


@pytest.mark.parametrize(("name", "key"), VOCABULARY)
def test_a_word_outside_the_vocabulary_fails(name: str, key: str, request, cli, tmp_path: Path, monkeypatch) -> None:
    data = get(name, request, cli, tmp_path, monkeypatch)
    holder, last = located(data, key)
    holder[last] = "fine"
    assert any(message.startswith("'fine' is not one of") for message in error_messages(name, data))


def test_a_wrong_type_fails(cli, tmp_path: Path, monkeypatch) -> None:
    data = payload("check", cli, tmp_path, monkeypatch)
    data["commands"][0]["line"] = "1"
    data["commands"][0]["benchmark"] = "yes"
    errors = schema_errors("check", data)
    assert any("'1' is not of type" in e for e in errors) and any("'yes' is not of type" in e for e in errors)
