"""`sipdoctor status` through the real CLI, fed recorded csrutil outputs with SIPDOCTOR_CSRUTIL."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sipdoctor.sip.collect import collect_sip
from sipdoctor.system import CommandResult, System
from tests.conftest import CSRUTIL_FIXTURES


@pytest.mark.parametrize("fixture", CSRUTIL_FIXTURES, ids=lambda p: p.stem)
def test_json_contract_for_every_recorded_output(fixture: Path, cli, csrutil_stub) -> None:
    csrutil_stub(fixture.read_text())
    result = cli("status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["platform"] in ("linux", "macos")
    sip = data["sip"]
    assert sip["readable"] is True
    assert sip["source"].startswith("SIPDOCTOR_CSRUTIL=")
    assert set(sip) >= {"status", "qualifier", "custom", "protections", "dyld_env_stripping", "source"}
    assert sip["dyld_env_stripping"] is (sip["protections"]["debugging_restrictions"] == "enabled")


def test_human_output_names_status_and_stripping(cli, csrutil_stub) -> None:
    csrutil_stub("System Integrity Protection status: enabled.\n")
    result = cli("status", "--color", "never")
    assert "System Integrity Protection: enabled" in result.stdout
    assert "stripped when an Apple system binary runs" in result.stdout


def test_unparseable_output_is_reported_with_the_raw_text(cli, csrutil_stub) -> None:
    csrutil_stub("csrutil: something went wrong\n", status=1)
    data = json.loads(cli("status", "-f", "json").stdout)
    assert data["sip"]["readable"] is False
    assert "unrecognised csrutil output" in data["sip"]["error"]
    assert data["sip"]["raw"] == "csrutil: something went wrong\n"
    human = cli("status", "--color", "never")
    assert human.exit_code == 0 and "unreadable" in human.stdout and "something went wrong" in human.stdout


def test_missing_stand_in_is_reported_not_raised(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SIPDOCTOR_CSRUTIL", str(tmp_path / "nope"))
    data = json.loads(cli("status", "-f", "json").stdout)
    assert data["sip"]["readable"] is False and "could not run" in data["sip"]["error"]


@pytest.mark.skipif(sys.platform == "darwin", reason="the Linux facts")
def test_linux_without_stand_in_reports_loader_facts(cli) -> None:
    data = json.loads(cli("status", "-f", "json").stdout)
    assert data["sip"] is None
    assert data["linux"]["injection_variable"] == "LD_PRELOAD"
    assert data["linux"]["secure_execution"] is False
    assert set(data["linux"]["ld_so_preload"]) >= {"path", "present", "entries"}


def test_linux_ld_so_preload_is_read_from_the_system_root(tmp_path) -> None:
    from sipdoctor.sip.collect import collect_linux

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "ld.so.preload").write_text("/lib/libfoo.so # comment\n/lib/libbar.so\n")
    facts = collect_linux(System(platform="linux", fs_root=tmp_path, secure_execution=lambda: True))
    assert facts is not None
    assert facts["ld_so_preload"]["entries"] == ["/lib/libfoo.so", "/lib/libbar.so"]
    assert facts["secure_execution"] is True


def _mac(csrutil_text: str, active: int | None) -> System:
    def run(argv):
        return CommandResult(tuple(argv), 0, csrutil_text, "")

    return System(platform="macos", run=run, read_csr_config=lambda: active)


def test_active_configuration_disagreeing_with_csrutil_is_reported() -> None:
    # csrutil says enabled (all protections), the kernel allows task_for_pid: `--without debug` took effect
    # while csrutil still shows the old state (the pitfall of section 3 of the injection facts).
    sip = collect_sip(_mac("System Integrity Protection status: enabled.\n", active=0x4))
    assert sip is not None
    assert sip["active_config"]["value"] == "0x4"
    assert sip["disagreements"] == [
        {"protection": "debugging_restrictions", "csrutil": "enabled", "active_config": "disabled"}
    ]
    assert sip["dyld_env_stripping"] is False  # the running kernel's word wins


def test_active_configuration_agreeing_gives_no_disagreement() -> None:
    sip = collect_sip(_mac("System Integrity Protection status: disabled.\n", active=0x6F))
    assert sip is not None and sip["disagreements"] == [] and sip["dyld_env_stripping"] is False


@pytest.mark.macos
def test_real_mac_reads_csrutil_and_the_active_configuration(cli) -> None:
    data = json.loads(cli("status", "-f", "json").stdout)
    assert data["platform"] == "macos"
    assert data["sip"]["readable"] is True
    assert data["sip"]["active_config"] is not None
