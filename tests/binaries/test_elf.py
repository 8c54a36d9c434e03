"""Linux rules over real ELF files: dynamic, static, setuid, file capabilities, wrong machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, judge_file
from sipdoctor.model import Verdict

LINUX = Assumptions("linux")
HELLO = "int main(void) { return 0; }\n"


def _real_elf() -> str:
    path = shutil.which("true") or "/usr/bin/true"
    if not Path(path).exists() or Path(path).read_bytes()[:4] != b"\x7fELF":
        pytest.skip("no ELF /usr/bin/true here")
    return str(Path(path).resolve())


def _gcc(tmp_path: Path, *flags: str) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    (tmp_path / "hello.c").write_text(HELLO)
    out = tmp_path / ("hello" + "".join(flags).replace("-", "_"))
    done = subprocess.run(["gcc", *flags, str(tmp_path / "hello.c"), "-o", str(out)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"gcc {' '.join(flags)} failed: {done.stderr.decode()[-200:]}")
    return out


def test_dynamic_executable_is_profiled() -> None:
    report = judge_file(_real_elf(), LINUX)
    assert (report.kind, report.verdict) == ("elf", Verdict.PROFILED)
    reason = report.reason("dynamic")
    assert reason is not None and "interpreter /" in reason.message


@pytest.mark.parametrize("flag", ["-static", "-static-pie"])
def test_static_executable_is_ignored(tmp_path: Path, flag: str) -> None:
    report = judge_file(str(_gcc(tmp_path, flag)), LINUX)
    assert report.verdict == Verdict.IGNORED
    assert report.reason("static") is not None


def test_setuid_copy_is_stripped(tmp_path: Path) -> None:
    copy = tmp_path / "true-setuid"
    shutil.copy(_real_elf(), copy)
    copy.chmod(0o4755)
    report = judge_file(str(copy), LINUX)
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("secure-execution")
    assert reason is not None and "AT_SECURE" in reason.message
    copy.chmod(0o2755)
    assert judge_file(str(copy), LINUX).verdict == Verdict.STRIPPED


def test_file_capabilities_are_stripped(tmp_path: Path) -> None:
    setcap = shutil.which("setcap") or ("/usr/sbin/setcap" if Path("/usr/sbin/setcap").exists() else None)
    copy = tmp_path / "true-caps"
    shutil.copy(_real_elf(), copy)
    if setcap is None:
        pytest.skip("setcap not installed")
    done = subprocess.run([setcap, "cap_net_raw+ep", str(copy)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"setcap failed here: {done.stderr.decode().strip()}")
    report = judge_file(str(copy), LINUX)
    assert report.verdict == Verdict.STRIPPED
    assert report.reason("file-capabilities") is not None


def test_library_for_another_machine_fails(tmp_path: Path) -> None:
    arm_only = Assumptions("linux", library_arches=frozenset({"arm64"}))
    report = judge_file(_real_elf(), arm_only)
    assert report.verdict == Verdict.LOAD_FAILS
    assert report.reason("elf-arch-mismatch") is not None


def test_shared_library_is_decided_by_its_host(tmp_path: Path) -> None:
    library = _gcc(tmp_path, "-shared", "-fPIC")
    report = judge_file(str(library), LINUX)
    assert report.verdict == Verdict.UNKNOWN
    assert report.reason("not-an-executable") is not None


def test_elf_for_a_mac_outside_protected_dirs_is_not_a_macos_executable(tmp_path: Path) -> None:
    copy = tmp_path / "true"
    shutil.copy(_real_elf(), copy)
    report = judge_file(str(copy), Assumptions("macos"))
    assert report.verdict == Verdict.UNKNOWN
    assert report.reason("not-macos-executable") is not None


@pytest.mark.parametrize("path", ["/usr/bin/env", "/bin/sh", "/usr/bin/python3", "/usr/bin/make"])
def test_protected_host_binaries_strip_for_a_mac(path: str) -> None:
    if not Path(path).exists():
        pytest.skip(f"{path} not on this host")
    report = judge_file(path, Assumptions("macos"))
    assert report.verdict == Verdict.STRIPPED
    reason = report.reason("sip-protected-path")
    assert reason is not None
    if path in ("/usr/bin/python3", "/usr/bin/make"):
        assert "Xcode command-line stub that execs the real tool" in reason.message
