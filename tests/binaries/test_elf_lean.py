"""The struct-based ELF reader (sipdoctor/binaries/elf.py) agrees with pyelftools on real files: this machine's
executables and libraries, and static, static-pie and 32-bit builds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from sipdoctor.binaries.elf import DF_1_PIE, ElfInfo, read_elf

HELLO = "int main(void) { return 0; }\n"


def pyelftools_info(path: Path) -> ElfInfo:
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        interpreter = next((str(s.get_interp_name()) for s in elf.iter_segments() if s["p_type"] == "PT_INTERP"),
                           None)
        pie = interpreter is None and any(
            tag.entry.d_tag == "DT_FLAGS_1" and tag.entry.d_val & DF_1_PIE
            for s in elf.iter_segments() if s["p_type"] == "PT_DYNAMIC" for tag in s.iter_tags())
        return ElfInfo(int(elf.elfclass), str(elf["e_machine"]), str(elf["e_type"]), interpreter, pie)


def elf_files(directory: str, limit: int) -> list[Path]:
    found = []
    for path in sorted(Path(directory).iterdir()) if Path(directory).is_dir() else []:
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
        if len(found) >= limit:
            break
    return found


def test_agrees_with_pyelftools_on_this_machines_files() -> None:
    files = elf_files("/usr/bin", 300) + elf_files("/usr/lib/x86_64-linux-gnu", 100) + \
        elf_files("/usr/lib/aarch64-linux-gnu", 100)
    if not files:
        pytest.skip("no ELF files in /usr/bin here")
    for path in files:
        with open(path, "rb") as fh:
            assert read_elf(fh) == pyelftools_info(path), path


@pytest.mark.parametrize("flags", [(), ("-static",), ("-static-pie",), ("-m32",), ("-no-pie",)])
def test_agrees_with_pyelftools_on_builds(tmp_path: Path, flags: tuple[str, ...]) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    (tmp_path / "hello.c").write_text(HELLO)
    out = tmp_path / "hello"
    if subprocess.run(["gcc", *flags, str(tmp_path / "hello.c"), "-o", str(out)], capture_output=True).returncode:
        pytest.skip(f"gcc {' '.join(flags)} cannot build here")
    with open(out, "rb") as fh:
        info = read_elf(fh)
    assert info == pyelftools_info(out)
    assert info.static_pie is (flags == ("-static-pie",))


@pytest.mark.parametrize("target", ["x86-linux-musl", "aarch64-linux-gnu"])
def test_agrees_with_pyelftools_on_another_class_and_machine(target: str) -> None:
    from tests.binaries.conftest import PLAIN_C, zig_build

    out = zig_build(PLAIN_C, target)
    with open(out, "rb") as fh:
        assert read_elf(fh) == pyelftools_info(out)
