"""Cases no published binary has, built with zig cc and, where Linux has no codesign, patched (see conftest)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, judge_file
from sipdoctor.binaries.codesign import CS_ADHOC, CS_LINKER_SIGNED, CS_RESTRICT, CS_RUNTIME
from sipdoctor.model import Verdict
from tests.binaries.conftest import patched_copy

MAC = Assumptions("macos")
LINKER_SIGNED = CS_ADHOC | CS_LINKER_SIGNED
Cli = Callable[..., tuple[int, str, str]]


def test_plain_linker_signed_executable_is_profiled(zig_macho: dict[str, Path]) -> None:
    report = judge_file(str(zig_macho["plain"]), MAC)
    assert report.verdict == Verdict.PROFILED
    assert report.slices[0].signature["flags"] == LINKER_SIGNED


def test_restrict_section_strips(zig_macho: dict[str, Path], explain_cli: Cli) -> None:
    code, out, _ = explain_cli(zig_macho["restrict"], "--format", "json", "--no-cache")
    data = json.loads(out)
    assert (code, data["verdict"]) == (1, "stripped")
    assert "restrict-section" in [r["code"] for r in data["reasons"]]
    # with SIP off too: the section restricts the process by itself (facts §1.1)
    assert judge_file(str(zig_macho["restrict"]), Assumptions("macos", sip="off")).verdict == Verdict.STRIPPED


def test_cs_restrict_strips_only_while_sip_is_on(zig_macho: dict[str, Path], tmp_path: Path) -> None:
    binary = patched_copy(zig_macho["plain"], tmp_path / "restricted", cd_flags=LINKER_SIGNED | CS_RESTRICT)
    report = judge_file(str(binary), MAC)
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("cs-restrict")
    assert reason is not None and "restrict" in reason.message
    for sip in ("off", "debug-off"):
        assert judge_file(str(binary), Assumptions("macos", sip=sip)).verdict == Verdict.PROFILED


def test_hardened_ad_hoc_without_entitlements_is_ignored(zig_macho: dict[str, Path], tmp_path: Path) -> None:
    binary = patched_copy(zig_macho["plain"], tmp_path / "hardened", cd_flags=CS_ADHOC | CS_RUNTIME)
    report = judge_file(str(binary), MAC)
    assert report.verdict == Verdict.IGNORED
    reason = report.reason("hardened-runtime")
    assert reason is not None and "flags=0x10002(adhoc,runtime)" in reason.message


def test_setuid_mach_o_strips(zig_macho: dict[str, Path], tmp_path: Path) -> None:
    binary = patched_copy(zig_macho["plain"], tmp_path / "setuid")
    binary.chmod(0o4755)
    report = judge_file(str(binary), Assumptions("macos", sip="off"))
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("setuid")
    assert reason is not None and "4755" in reason.message


def test_arm64e_process_cannot_take_an_arm64_library(zig_macho: dict[str, Path], tmp_path: Path) -> None:
    binary = patched_copy(zig_macho["plain"], tmp_path / "arm64e", cpusubtype=2)
    report = judge_file(str(binary), MAC)
    assert report.slices[0].arch == "arm64e"
    assert report.verdict == Verdict.LOAD_FAILS
    reason = report.reason("arch-mismatch")
    assert reason is not None and "arm64e" in reason.message
    with_arm64e = Assumptions("macos", library_arches=frozenset({"arm64", "arm64e", "x86_64"}))
    assert judge_file(str(binary), with_arm64e).verdict == Verdict.PROFILED


def test_arm64_only_file_has_no_slice_for_an_intel_mac(zig_macho: dict[str, Path]) -> None:
    report = judge_file(str(zig_macho["plain"]), Assumptions("macos", arch="x86_64"))
    assert report.verdict == Verdict.UNKNOWN
    assert report.reason("no-runnable-slice") is not None


def test_unsigned_x86_64_is_profiled_under_rosetta(zig_macho: dict[str, Path]) -> None:
    report = judge_file(str(zig_macho["x86_64"]), MAC)
    assert report.verdict == Verdict.PROFILED
    assert report.slices[0].signature["present"] is False


def test_protected_path_strips_while_sip_is_on() -> None:
    """Judged lexically from Linux: /usr/bin/env is Apple's protected binary on a Mac."""
    report = judge_file("/usr/bin/env", MAC)
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("sip-protected-path")
    assert reason is not None and "macOS ships this binary" in reason.message
    assert judge_file("/usr/bin/env", Assumptions("macos", sip="debug-off")).verdict == Verdict.UNKNOWN


@pytest.mark.macos
def test_real_st_flags_on_bin_sh() -> None:
    report = judge_file("/bin/sh", MAC)
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("sf-restricted")
    assert reason is not None and "st_flags: restricted" in reason.message
