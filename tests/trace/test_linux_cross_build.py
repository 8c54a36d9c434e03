"""The Linux probe issues its system calls inline on x86_64 and arm64 and uses no libc on the record path;
cross-compile it with zig for the Linux targets this machine is not (arm64, musl) and check the ELF files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trace.trace_helpers import zig_build

pytest.importorskip("ziglang")
from elftools.elf.elffile import ELFFile

TARGETS = {"aarch64-linux-gnu": "EM_AARCH64", "aarch64-linux-musl": "EM_AARCH64", "x86_64-linux-musl": "EM_X86_64"}
RECORD_PATH = {"syscall", "write", "getpid", "getrusage", "clock_gettime", "strlen", "memcpy", "strncmp", "access"}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_probe_cross_compiles_for_linux(target: str, zig_cache: Path) -> None:
    library = zig_build(target, zig_cache, "-shared", "-fPIC", suffix=".so")
    with library.open("rb") as stream:
        elf = ELFFile(stream)
        machine = elf["e_machine"]
        imported = {sym.name for sym in elf.get_section_by_name(".dynsym").iter_symbols()
                    if sym["st_shndx"] == "SHN_UNDEF" and sym.name}
        exported = {sym.name for sym in elf.get_section_by_name(".dynsym").iter_symbols()
                    if sym["st_shndx"] != "SHN_UNDEF"}
    assert machine == TARGETS[target]
    assert not imported & RECORD_PATH, imported & RECORD_PATH
    assert {"execve", "execvp", "posix_spawn", "fork", "_exit"} <= exported
