"""The shipped machine models: their data, GitHub's label mapping, SIP per machine, setup actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sipdoctor.machines.catalog import MODELS
from sipdoctor.machines.model import ModelMachine
from sipdoctor.machines.select import job_machine, model_machine, runner_choice
from sipdoctor.model import Verdict

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "macos-machines.tsv"


def test_packaged_rows_are_the_shared_data() -> None:
    if not SHARED.is_file():
        pytest.skip("../shared is not next to this checkout")
    assert (REPO / "sipdoctor" / "data" / "macos-machines.tsv").read_text() == SHARED.read_text()


@pytest.mark.parametrize("spec", MODELS, ids=lambda s: s.name)
def test_every_model_has_apples_shells_protected(spec) -> None:
    machine = ModelMachine(spec)
    for name, path in (("sh", "/bin/sh"), ("env", "/usr/bin/env"), ("make", "/usr/bin/make")):
        assert machine.which(name) == path
        verdict, reasons = machine.known_verdict(path)
        assert verdict == Verdict.STRIPPED and reasons[0].code == "sip-protected-path"


def test_homebrew_developer_mac() -> None:
    mac = model_machine("dev-arm64-homebrew")
    npm = mac.which("npm")
    assert npm == "/opt/homebrew/bin/npm"
    assert mac.realpath(npm) == "/opt/homebrew/lib/node_modules/npm/bin/npm-cli.js"
    assert mac.read_head(mac.realpath(npm)) == b"#!/usr/bin/env node\n"
    assert mac.known_verdict(mac.which("node") or "")[0] == Verdict.PROFILED
    assert mac.which("python3") == "/opt/homebrew/bin/python3"
    assert mac.which("pnpm") is None and mac.which("go") is None


def test_fresh_mac_has_only_apples_programs() -> None:
    mac = model_machine("fresh-mac")
    assert mac.which("python3") == "/usr/bin/python3" and mac.which("node") is None
    assert mac.homebrew is None and not mac.is_dir("/opt/homebrew")


@pytest.mark.parametrize(("label", "model"), [
    ("macos-latest", "gha-macos-26-arm64"), ("macos-26", "gha-macos-26-arm64"),
    ("macos-latest-large", "gha-macos-26-x64"), ("macos-15", "gha-macos-15-arm64"),
    ("macos-15-xlarge", "gha-macos-15-arm64"), ("macos-15-intel", "gha-macos-15-x64"),
    ("macos-15-large", "gha-macos-15-x64"), ("macos-14-large", "gha-macos-14-x64"), ("macos-14", "gha-macos-14-arm64"),
])
def test_github_labels(label: str, model: str) -> None:
    choice = runner_choice([label])
    assert choice is not None and choice.model == model and choice.note == ""


def test_self_hosted_and_unknown_labels_use_the_developer_model_with_a_note() -> None:
    hosted = runner_choice(["self-hosted", "macOS", "ARM64"])
    assert hosted is not None and hosted.model == "dev-arm64-homebrew" and "self-hosted" in hosted.note
    retired = runner_choice(["macos-12"])
    assert retired is not None and retired.model == "dev-arm64-homebrew" and "macos-12" in retired.note
    assert runner_choice(["ubuntu-latest"]) is None and runner_choice(["self-hosted", "linux"]) is None


def test_runner_sip_is_unknown_and_both_outcomes_are_given() -> None:
    arm = model_machine("gha-macos-15-arm64")
    assert arm.sip.state == "unknown" and arm.sip.assumed == "on"
    verdict, reasons = arm.known_verdict("/bin/bash")
    assert verdict == Verdict.STRIPPED
    both = next(r for r in reasons if r.code == "sip-unknown")
    assert "with SIP on /bin/bash is stripped, with SIP off it is ignored" in both.message
    assert "arm64e" in both.message
    intel = model_machine("gha-macos-15-x64")
    assert "with SIP off it is profiled" in next(r for r in intel.known_verdict("/bin/bash")[1]
                                                  if r.code == "sip-unknown").message


def test_sip_off_on_apple_silicon_ignores_apples_binaries_and_keeps_the_variable() -> None:
    spec = next(m for m in MODELS if m.name == "gha-macos-26-arm64")
    off = ModelMachine(spec, sip="off")
    verdict, reasons = off.known_verdict("/bin/sh")
    assert verdict == Verdict.IGNORED and reasons[0].code == "arm64e-library"
    intel = ModelMachine(next(m for m in MODELS if m.name == "gha-macos-26-x64"), sip="off")
    assert intel.known_verdict("/bin/sh")[0] == Verdict.PROFILED


def test_setup_node_puts_the_tool_cache_first() -> None:
    choice = runner_choice(["macos-latest"])
    assert choice is not None
    runner = job_machine(choice, ["node"], ())
    assert runner.which("node") == "/Users/runner/hostedtoolcache/node/<ver>/arm64/bin/node"
    assert runner.default_path.startswith("/Users/runner/hostedtoolcache/node/<ver>/arm64/bin:")
    assert runner.known_verdict(runner.which("node") or "")[0] == Verdict.PROFILED
    plain = job_machine(choice, [], ())
    assert plain.which("node") == "/opt/homebrew/bin/node"


def test_inferred_verdicts_say_so() -> None:
    runner = model_machine("gha-macos-15-arm64")
    _, reasons = runner.known_verdict("/opt/homebrew/bin/pip3")
    assert any(r.code == "inferred" for r in reasons)
    assert "an inference, not checked on a Mac" in reasons[0].message  # the reason the tree shows first


def test_machines_command_lists_every_model(cli) -> None:
    data = json.loads(cli("machines", "--format", "json").stdout)
    assert [m["name"] for m in data["machines"]] == [m.name for m in MODELS]
    fresh = next(m for m in data["machines"] if m["name"] == "fresh-mac")
    assert fresh["programs"]["node"] is None and fresh["programs"]["python3"]["verdict"] == "stripped"
    latest = next(m for m in data["machines"] if "macos-latest" in m["runs_on"])
    assert latest["sip"]["state"] == "unknown" and latest["arch"] == "arm64"
    human = cli("machines").stdout
    assert all(m.name in human for m in MODELS)


def test_unknown_machine_name_is_a_usage_error(cli) -> None:
    result = cli("check", ".", "--target", "macos", "--machine", "no-such-mac")
    assert result.exit_code == 2 and "dev-arm64-homebrew" in result.stderr


def test_machine_and_root_together_is_a_usage_error(cli, tmp_path) -> None:
    result = cli("check", tmp_path, "--target", "macos", "--machine", "fresh-mac", "--root", tmp_path)
    assert result.exit_code == 2 and "give one" in result.stderr


def test_sip_off_on_a_developer_mac_follows_the_architecture_and_lifts_library_validation() -> None:
    arm = model_machine("dev-arm64-homebrew+uv", sip="off")
    assert arm.known_verdict("/Users/you/.local/bin/uv")[0] == Verdict.PROFILED  # hardened: ignored with SIP on
    assert model_machine("dev-arm64-homebrew+uv").known_verdict("/Users/you/.local/bin/uv")[0] == Verdict.IGNORED
    assert arm.known_verdict("/bin/zsh")[0] == Verdict.IGNORED
    assert model_machine("dev-intel-homebrew", sip="off").known_verdict("/bin/zsh")[0] == Verdict.PROFILED
