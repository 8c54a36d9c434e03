"""Mach-O structure with macholib's structure definitions: fat slices, headers, load commands.

macholib's `MachO` class reads every section's contents (80 MB for a large binary) and trusts fat offsets, so
this module reads only the bytes it needs (fat table, each header, the load-command area, the signature) and
decodes them with macholib's structures, every size checked against the file before it is read.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from macholib.mach_o import (
    MH_FILETYPE_SHORTNAMES,
    fat_arch,
    fat_arch64,
    fat_header,
    linkedit_data_command,
    load_command,
    mach_header,
    mach_header_64,
    section,
    section_64,
    segment_command,
    segment_command_64,
)
from macholib.ptypes import sizeof

from sipdoctor.binaries.codesign import CodeSignature, CodeSignatureError, parse_signature

FAT_MAGICS = {0xCAFEBABE: False, 0xCAFEBABF: True}  # value: 64-bit fat_arch entries
THIN_MAGICS = {0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE}
MAX_FAT_ARCHES = 32  # file(1) treats larger counts as a Java class file (same 0xCAFEBABE magic)
MAX_LOAD_COMMANDS_BYTES = 16 << 20
MAX_SIGNATURE_BYTES = 64 << 20

MH_EXECUTE = 2
LC_SEGMENT = 0x1
LC_SEGMENT_64 = 0x19
LC_CODE_SIGNATURE = 0x1D

CPU_ARCH_ABI64 = 0x01000000
CPU_SUBTYPE_MASK = 0x00FFFFFF
CPU_SUBTYPE_ARM64E = 2
CPU_SUBTYPE_X86_64_H = 8
CPU_NAMES = {7: "i386", CPU_ARCH_ABI64 | 7: "x86_64", 12: "arm", CPU_ARCH_ABI64 | 12: "arm64",
             0x02000000 | 12: "arm64_32", 18: "ppc", CPU_ARCH_ABI64 | 18: "ppc64"}


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


def _structure(cls: Any, data: bytes, offset: int, endian: str) -> Any:
    size = sizeof(cls)
    if offset + size > len(data):
        raise MachOFormatError(f"truncated {cls.__name__} at offset {offset}")
    return cls.from_str(data[offset:offset + size], _endian_=endian)


def _fat_slices(fh: BinaryIO, file_size: int) -> list[tuple[int, int]]:
    head = _read_exact(fh, 0, 8, file_size)
    header = fat_header.from_str(head, _endian_=">")
    entry = fat_arch64 if FAT_MAGICS[header.magic] else fat_arch
    if not 0 < header.nfat_arch <= MAX_FAT_ARCHES:
        raise MachOFormatError(f"fat header claims {header.nfat_arch} architectures")
    table = _read_exact(fh, 8, header.nfat_arch * sizeof(entry), file_size)
    slices = []
    for index in range(header.nfat_arch):
        arch = _structure(entry, table, index * sizeof(entry), ">")
        if arch.offset + arch.size > file_size or arch.size == 0:
            raise MachOFormatError(f"fat slice {index} ({arch.offset}+{arch.size}) lies outside the file")
        slices.append((int(arch.offset), int(arch.size)))
    return slices


def _section_names(command: Any, commands: bytes, offset: int, endian: str) -> list[tuple[str, str]]:
    is64 = command.cmd == LC_SEGMENT_64
    seg_cls, sect_cls = (segment_command_64, section_64) if is64 else (segment_command, section)
    seg = _structure(seg_cls, commands, offset + 8, endian)
    names = []
    first = offset + 8 + sizeof(seg_cls)
    if first + seg.nsects * sizeof(sect_cls) > offset + command.cmdsize:
        raise MachOFormatError(f"segment claims {seg.nsects} sections that do not fit its command")
    for index in range(seg.nsects):
        sect = _structure(sect_cls, commands, first + index * sizeof(sect_cls), endian)
        names.append((_name(sect.segname), _name(sect.sectname)))
    return names


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _read_slice(fh: BinaryIO, offset: int, size: int) -> MachOSlice:
    end = offset + size
    magic = struct.unpack(">I", _read_exact(fh, offset, 4, end))[0]
    if magic not in THIN_MAGICS:
        raise MachOFormatError(f"slice at {offset} has magic {magic:#x}, not Mach-O")
    endian = ">" if magic in (0xFEEDFACE, 0xFEEDFACF) else "<"
    header_cls = mach_header_64 if magic in (0xFEEDFACF, 0xCFFAEDFE) else mach_header
    header = _structure(header_cls, _read_exact(fh, offset, sizeof(header_cls), end), 0, endian)
    if header.sizeofcmds > MAX_LOAD_COMMANDS_BYTES:
        raise MachOFormatError(f"header claims {header.sizeofcmds} bytes of load commands")
    commands = _read_exact(fh, offset + sizeof(header_cls), header.sizeofcmds, end)
    restrict, signature_range = False, None
    position = 0
    for _ in range(header.ncmds):
        command = _structure(load_command, commands, position, endian)
        if command.cmdsize < 8 or position + command.cmdsize > len(commands):
            raise MachOFormatError(f"load command at {position} claims {command.cmdsize} bytes")
        if command.cmd in (LC_SEGMENT, LC_SEGMENT_64):
            restrict |= ("__RESTRICT", "__restrict") in _section_names(command, commands, position, endian)
        elif command.cmd == LC_CODE_SIGNATURE:
            link = _structure(linkedit_data_command, commands, position + 8, endian)
            signature_range = (offset + link.dataoff, int(link.datasize))
        position += command.cmdsize
    signature, error = _read_signature(fh, signature_range, end)
    return MachOSlice(
        arch=arch_name(header.cputype, header.cpusubtype),
        filetype=MH_FILETYPE_SHORTNAMES.get(header.filetype, f"filetype-{header.filetype}"),
        filetype_code=int(header.filetype), offset=offset, size=size, restrict_section=restrict,
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
    except (struct.error, ValueError, KeyError) as exc:  # macholib's own complaints about a structure
        raise MachOFormatError(str(exc)) from exc
