"""Mach-O structure: fat slices, headers, the few load commands the verdicts need.

Reads only the bytes it needs (fat table, each header, the load-command area, the signature), every size
checked against the file before it is read, and decodes them with `struct` using the layouts of
<mach-o/loader.h> and <mach-o/fat.h> (docs/macos-facts.md). macholib decodes the same structures field by
field in Python, 10x slower per file (README, Performance); tests/binaries/test_macho_lean.py checks that
both agree on every fixture.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from sipdoctor.binaries.codesign import CodeSignature, CodeSignatureError, parse_signature

FAT_MAGICS = {0xCAFEBABE: False, 0xCAFEBABF: True}  # value: 64-bit fat_arch entries
THIN_MAGICS = {0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE}
MAX_FAT_ARCHES = 32  # file(1) treats larger counts as a Java class file (same 0xCAFEBABE magic)
MAX_LOAD_COMMANDS_BYTES = 16 << 20
MAX_SIGNATURE_BYTES = 64 << 20

MH_EXECUTE = 2
MH_FILETYPE_SHORTNAMES = {1: "object", 2: "execute", 3: "fvmlib", 4: "core", 5: "preload", 6: "dylib",
                          7: "dylinker", 8: "bundle", 9: "dylib_stub", 10: "dsym"}
LC_SEGMENT = 0x1
LC_SEGMENT_64 = 0x19
LC_CODE_SIGNATURE = 0x1D

CPU_ARCH_ABI64 = 0x01000000
CPU_SUBTYPE_MASK = 0x00FFFFFF
CPU_SUBTYPE_ARM64E = 2
CPU_SUBTYPE_X86_64_H = 8
CPU_NAMES = {7: "i386", CPU_ARCH_ABI64 | 7: "x86_64", 12: "arm", CPU_ARCH_ABI64 | 12: "arm64",
             0x02000000 | 12: "arm64_32", 18: "ppc", CPU_ARCH_ABI64 | 18: "ppc64"}


FAT_HEADER = struct.Struct(">II")  # magic, nfat_arch
FAT_ARCH = struct.Struct(">iiIII")  # cputype, cpusubtype, offset, size, align
FAT_ARCH_64 = struct.Struct(">iiQQII")  # cputype, cpusubtype, offset, size, align, reserved
HEADER_SIZES = {False: 28, True: 32}  # mach_header, mach_header_64 (a reserved word more)
HEADER_FIELDS = "Iii3I"  # magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds (flags follow)
LOAD_COMMAND = "II"  # cmd, cmdsize
SEGMENT = {False: (56, "16x24xI"), True: (72, "16x40xI")}  # command size; after cmd, cmdsize: up to nsects
SECTION = {False: (68, "16s16s"), True: (80, "16s16s")}  # sectname, segname lead both sizes
LINKEDIT_DATA = "II"  # dataoff, datasize (after cmd/cmdsize)


class MachOFormatError(Exception):
    """The file starts like Mach-O but its headers or load commands are inconsistent or truncated."""


@dataclass(frozen=True)
class MachOSlice:
    arch: str
    filetype: str
    filetype_code: int
    offset: int
    size: int
    restrict_section: bool
    signature_range: tuple[int, int] | None  # (file offset, size) of the LC_CODE_SIGNATURE data
    signature: CodeSignature | None
    signature_error: str | None

    @property
    def is_executable(self) -> bool:
        return self.filetype_code == MH_EXECUTE


def is_macho_magic(head: bytes) -> bool:
    if len(head) < 4:
        return False
    return struct.unpack(">I", head[:4])[0] in FAT_MAGICS or struct.unpack(">I", head[:4])[0] in THIN_MAGICS


def arch_name(cputype: int, cpusubtype: int) -> str:
    name = CPU_NAMES.get(cputype, f"cpu-{cputype:#x}")
    subtype = cpusubtype & CPU_SUBTYPE_MASK
    if name == "arm64" and subtype == CPU_SUBTYPE_ARM64E:
        return "arm64e"
    if name == "x86_64" and subtype == CPU_SUBTYPE_X86_64_H:
        return "x86_64h"
    return name


def _read_exact(fh: BinaryIO, offset: int, size: int, limit: int) -> bytes:
    if offset < 0 or size < 0 or offset + size > limit:
        raise MachOFormatError(f"{size} bytes at offset {offset} run past the end ({limit})")
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise MachOFormatError(f"short read at offset {offset}")
    return data


def _unpack(layout: str, data: bytes, offset: int, what: str) -> tuple[Any, ...]:
    size = struct.calcsize(layout)
    if offset + size > len(data):
        raise MachOFormatError(f"truncated {what} at offset {offset}")
    return struct.unpack_from(layout, data, offset)


def _fat_slices(fh: BinaryIO, file_size: int) -> list[tuple[int, int]]:
    magic, count = FAT_HEADER.unpack(_read_exact(fh, 0, 8, file_size))
    entry = FAT_ARCH_64 if FAT_MAGICS[magic] else FAT_ARCH
    if not 0 < count <= MAX_FAT_ARCHES:
        raise MachOFormatError(f"fat header claims {count} architectures")
    table = _read_exact(fh, 8, count * entry.size, file_size)
    slices = []
    for index in range(count):
        _cpu, _subtype, offset, size = entry.unpack_from(table, index * entry.size)[:4]
        if offset + size > file_size or size == 0:
            raise MachOFormatError(f"fat slice {index} ({offset}+{size}) lies outside the file")
        slices.append((offset, size))
    return slices


def _section_names(is64: bool, size: int, commands: bytes, offset: int, endian: str) -> list[tuple[str, str]]:
    seg_size, seg_layout = SEGMENT[is64]
    sect_size, sect_layout = SECTION[is64]
    (nsects,) = _unpack(endian + seg_layout, commands, offset + 8, "segment command")
    first = offset + seg_size
    if first + nsects * sect_size > offset + size:
        raise MachOFormatError(f"segment claims {nsects} sections that do not fit its command")
    names = []
    for index in range(nsects):
        sectname, segname = struct.unpack_from(endian + sect_layout, commands, first + index * sect_size)
        names.append((_name(segname), _name(sectname)))
    return names


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _read_slice(fh: BinaryIO, offset: int, size: int) -> MachOSlice:
    end = offset + size
    magic = struct.unpack(">I", _read_exact(fh, offset, 4, end))[0]
    if magic not in THIN_MAGICS:
        raise MachOFormatError(f"slice at {offset} has magic {magic:#x}, not Mach-O")
    endian = ">" if magic in (0xFEEDFACE, 0xFEEDFACF) else "<"
    header_size = HEADER_SIZES[magic in (0xFEEDFACF, 0xCFFAEDFE)]
    header = _read_exact(fh, offset, header_size, end)
    _magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds = struct.unpack_from(endian + HEADER_FIELDS, header)
    if sizeofcmds > MAX_LOAD_COMMANDS_BYTES:
        raise MachOFormatError(f"header claims {sizeofcmds} bytes of load commands")
    commands = _read_exact(fh, offset + header_size, sizeofcmds, end)
    restrict, signature_range = False, None
    position = 0
    for _ in range(ncmds):
        cmd, cmdsize = _unpack(endian + LOAD_COMMAND, commands, position, "load_command")
        if cmdsize < 8 or position + cmdsize > len(commands):
            raise MachOFormatError(f"load command at {position} claims {cmdsize} bytes")
        if cmd in (LC_SEGMENT, LC_SEGMENT_64):
            names = _section_names(cmd == LC_SEGMENT_64, cmdsize, commands, position, endian)
            restrict |= ("__RESTRICT", "__restrict") in names
        elif cmd == LC_CODE_SIGNATURE:
            dataoff, datasize = _unpack(endian + LINKEDIT_DATA, commands, position + 8, "linkedit_data_command")
            signature_range = (offset + dataoff, datasize)
        position += cmdsize
    signature, error = _read_signature(fh, signature_range, end)
    return MachOSlice(
        arch=arch_name(cputype, cpusubtype),
        filetype=MH_FILETYPE_SHORTNAMES.get(filetype, f"filetype-{filetype}"),
        filetype_code=filetype, offset=offset, size=size, restrict_section=restrict,
        signature_range=signature_range, signature=signature, signature_error=error,
    )


def _read_signature(
    fh: BinaryIO, where: tuple[int, int] | None, end: int
) -> tuple[CodeSignature | None, str | None]:
    if where is None:
        return None, None
    offset, size = where
    if size > MAX_SIGNATURE_BYTES:
        return None, f"LC_CODE_SIGNATURE claims {size} bytes"
    try:
        return parse_signature(_read_exact(fh, offset, size, end)), None
    except (CodeSignatureError, MachOFormatError) as exc:
        return None, str(exc)


def read_macho(path: str | os.PathLike[str] | int) -> list[MachOSlice]:
    """Every slice of a thin or fat Mach-O file. path may be an open file descriptor (not closed here)."""
    closefd = not isinstance(path, int)
    try:
        with open(path, "rb", closefd=closefd) as fh:
            file_size = os.fstat(fh.fileno()).st_size
            magic = struct.unpack(">I", _read_exact(fh, 0, 4, file_size))[0]
            ranges = _fat_slices(fh, file_size) if magic in FAT_MAGICS else [(0, file_size)]
            return [_read_slice(fh, offset, size) for offset, size in ranges]
    except (struct.error, ValueError, KeyError) as exc:  # a structure cut short
        raise MachOFormatError(str(exc)) from exc
