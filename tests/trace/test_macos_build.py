"""The macOS probe, which cannot run here, must still compile: cross-compile it with zig for both Mac
architectures and check the Mach-O files (the interpose section dyld reads, the ad-hoc signature arm64 needs).

dyld applies __DATA,__interpose tuples of an inserted image (mach-o/dyld-interposing.h); on arm64 every image
must be signed, and zig's linker signs ad hoc (CodeDirectory flag CS_ADHOC 0x2, xnu osfmk/kern/cs_blobs.h).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.trace.trace_helpers import zig_build

pytest.importorskip("ziglang")
from macholib import mach_o
from macholib.MachO import MachO, MachOHeader

CPU_TYPE_X86_64, CPU_TYPE_ARM64 = 0x01000007, 0x0100000C  # <mach/machine.h>
TARGETS = {"aarch64-macos": CPU_TYPE_ARM64, "x86_64-macos": CPU_TYPE_X86_64}
HOOKS = 11  # INTERPOSE(...) lines in native/sipdoctor_probe.c
CSMAGIC_EMBEDDED_SIGNATURE, CSMAGIC_CODEDIRECTORY, CS_ADHOC = 0xFADE0CC0, 0xFADE0C02, 0x2


def cross_compile(target: str, cache: Path) -> Path:
    return zig_build(target, cache, "-dynamiclib", suffix=".dylib")


def sections(header: MachOHeader) -> set[tuple[bytes, bytes, int]]:
    out = set()
    for load_command, _cmd, data in header.commands:
        if load_command.cmd == mach_o.LC_SEGMENT_64:
            out |= {(s.segname.rstrip(b"\0"), s.sectname.rstrip(b"\0"), s.size) for s in data}
    return out


def code_directory_flags(path: Path, header: MachOHeader) -> int | None:
    signature = next((cmd for lc, cmd, _ in header.commands if lc.cmd == mach_o.LC_CODE_SIGNATURE), None)
    if signature is None:
        return None
    blob = path.read_bytes()[signature.dataoff: signature.dataoff + signature.datasize]
    magic, _length, count = struct.unpack(">III", blob[:12])
    assert magic == CSMAGIC_EMBEDDED_SIGNATURE
    for i in range(count):
        _slot, offset = struct.unpack(">II", blob[12 + 8 * i: 20 + 8 * i])
        if struct.unpack(">I", blob[offset: offset + 4])[0] == CSMAGIC_CODEDIRECTORY:
            return int(struct.unpack(">I", blob[offset + 12: offset + 16])[0])
    return None


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_probe_cross_compiles_for_macos(target: str, zig_cache: Path) -> None:
    dylib = cross_compile(target, zig_cache)
    (header,) = MachO(str(dylib)).headers
    assert header.header.cputype == TARGETS[target]
    assert header.header.filetype == mach_o.MH_DYLIB
    found = sections(header)
    interpose = [size for seg, sect, size in found if (seg, sect) == (b"__DATA", b"__interpose")]
    assert interpose == [HOOKS * 16]  # one (replacement, original) pair of pointers per hook
    assert any(sect == b"__mod_init_func" for _, sect, _ in found)  # the constructor
    flags = code_directory_flags(dylib, header)
    if target.startswith("aarch64"):
        assert flags is not None and flags & CS_ADHOC, "arm64 code must be signed (ad hoc) to load"


def test_both_architectures_are_built(zig_cache: Path) -> None:
    cpus = {MachO(str(cross_compile(t, zig_cache))).headers[0].header.cputype for t in TARGETS}
    assert cpus == {CPU_TYPE_ARM64, CPU_TYPE_X86_64}
