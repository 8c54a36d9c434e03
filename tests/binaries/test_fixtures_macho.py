"""Every expectation in tests/fixtures/macho/README.md, on the real PyPI binaries, in both formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, judge_file
from sipdoctor.model import Verdict

MAC = Assumptions("macos")
Fixture = Callable[[str], Path]
Cli = Callable[..., tuple[int, str, str]]

EXPECTED = {
    "uvx_hardened_noent_arm64": ("ignored", "hardened-runtime"),
    "uvx_hardened_noent_x86_64": ("ignored", "hardened-runtime"),
    "pyinstaller_run_fat_linkersigned": ("profiled", "no-restriction"),
    "libXau_dylib_adhoc": ("unknown", "not-an-executable"),
    "psutil_bundle_linkersigned": ("unknown", "not-an-executable"),
    "ccmake_fat_hardened_allowdyld": ("load-fails", "library-validation"),
    "deno_hardened_allowdyld_disablelv": ("profiled", "hardened-allows"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_reason_in_json(name: str, macho_fixture: Fixture, explain_cli: Cli) -> None:
    verdict, code = EXPECTED[name]
    exit_code, out, _ = explain_cli(macho_fixture(name), "--format", "json", "--no-cache")
    data = json.loads(out)
    assert exit_code == (1 if verdict in ("stripped", "load-fails") else 0)
    assert data["schema_version"] == 1
    assert (data["kind"], data["verdict"]) == ("mach-o", verdict)
    assert code in [reason["code"] for reason in data["reasons"]]
    assert set(data) == {"schema_version", "target", "path", "kind", "verdict", "reasons", "slices", "chain"}
    for piece in data["slices"]:
        assert set(piece) == {"arch", "verdict", "filetype", "signature", "entitlements"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_reason_in_human_output(name: str, macho_fixture: Fixture, explain_cli: Cli) -> None:
    verdict, code = EXPECTED[name]
    exit_code, out, _ = explain_cli(macho_fixture(name), "--no-cache", "--color", "never")
    assert exit_code == (1 if verdict in ("stripped", "load-fails") else 0)
    assert out.splitlines()[0].startswith(f"[{verdict}] {verdict}")
    assert f"{code}:" in out


def test_hardened_without_entitlement_keeps_the_variable_for_children(macho_fixture: Fixture) -> None:
    report = judge_file(str(macho_fixture("uvx_hardened_noent_arm64")), MAC)
    reason = report.reason("hardened-runtime")
    assert reason is not None
    assert "flags=0x10000(runtime)" in reason.message and "entitlements: none" in reason.message
    assert "children" in reason.message and "inferred from dyld's source" in reason.message
    assert report.slices[0].signature["team_id"] == "2DC432GLL2"


def test_x86_64_only_binary_runs_under_rosetta_on_apple_silicon(macho_fixture: Fixture) -> None:
    report = judge_file(str(macho_fixture("uvx_hardened_noent_x86_64")), MAC)
    running = report.reason("running-slice")
    assert running is not None and "x86_64" in running.message and "Rosetta" in running.message
    intel = judge_file(str(macho_fixture("uvx_hardened_noent_x86_64")), Assumptions("macos", arch="x86_64"))
    assert intel.verdict == Verdict.IGNORED
    assert intel.reason("running-slice") is not None and "Rosetta" not in str(intel.reasons)


def test_fat_linker_signed_judges_each_slice(macho_fixture: Fixture) -> None:
    path = str(macho_fixture("pyinstaller_run_fat_linkersigned"))
    report = judge_file(path, MAC)
    slices = {piece.arch: piece for piece in report.slices}
    assert set(slices) == {"x86_64", "arm64"}
    assert slices["arm64"].signature["flags_text"] == "0x20002(adhoc,linker-signed)"
    assert slices["x86_64"].signature["present"] is False
    assert all(piece.verdict == Verdict.PROFILED for piece in report.slices)
    arm64_only_library = Assumptions("macos", arch="x86_64", library_arches=frozenset({"arm64"}))
    under_rosetta = judge_file(path, arm64_only_library)
    assert under_rosetta.verdict == Verdict.LOAD_FAILS
    assert under_rosetta.reason("arch-mismatch") is not None


def test_library_validation_names_team_and_says_the_launch_aborts(macho_fixture: Fixture) -> None:
    report = judge_file(str(macho_fixture("ccmake_fat_hardened_allowdyld")), MAC)
    reason = report.reason("library-validation")
    assert reason is not None
    assert "this program will abort when started under the profiler" in reason.message
    assert "W38PE5Y733" in reason.message
    for piece in report.slices:
        assert piece.verdict == Verdict.LOAD_FAILS
        assert piece.entitlements == ("com.apple.security.cs.allow-dyld-environment-variables",)
        hashes = [cd["hash"] for cd in piece.signature["code_directories"]]
        assert hashes == ["sha1", "sha256"]
        assert piece.signature["entitlement_formats"] == ["xml", "der"]


def test_both_entitlements_let_the_library_load(macho_fixture: Fixture) -> None:
    report = judge_file(str(macho_fixture("deno_hardened_allowdyld_disablelv")), MAC)
    assert report.verdict == Verdict.PROFILED
    entitlements = report.slices[0].entitlements
    assert "com.apple.security.cs.allow-dyld-environment-variables" in entitlements
    assert "com.apple.security.cs.disable-library-validation" in entitlements


@pytest.mark.parametrize("name", ["libXau_dylib_adhoc", "psutil_bundle_linkersigned"])
def test_libraries_are_decided_by_their_host(name: str, macho_fixture: Fixture) -> None:
    report = judge_file(str(macho_fixture(name)), MAC)
    reason = report.reason("not-an-executable")
    assert reason is not None and "the process that loads it" in reason.message
    assert report.slices[0].filetype in ("dylib", "bundle")


def test_mach_o_is_judged_by_macos_rules_whatever_the_target(macho_fixture: Fixture) -> None:
    path = str(macho_fixture("uvx_hardened_noent_arm64"))
    assert judge_file(path, Assumptions("linux")).verdict == Verdict.IGNORED
