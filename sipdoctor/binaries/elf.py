"""ELF facts that decide what glibc's loader does with LD_PRELOAD (ld.so(8), docs/macos-facts.md#linux).

The header, the program headers, PT_INTERP and DT_FLAGS_1 in PT_DYNAMIC are decoded with `struct` in the
layouts of <elf.h> (elf(5)): importing pyelftools cost more than judging a file, in every `check` and `trace`
(README, Performance); tests/binaries/test_elf_lean.py checks that both agree on real files. File capabilities
come from the `security.capability` extended attribute (capabilities(7)), which is what makes the kernel set
AT_SECURE for a non-root user.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
from dataclasses import dataclass
from typing import BinaryIO

MACHINE_ARCHES = {"EM_X86_64": "x86_64", "EM_AARCH64": "arm64", "EM_386": "i386", "EM_ARM": "arm"}
MACHINES = {3: "EM_386", 4: "EM_68K", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390", 40: "EM_ARM",
            43: "EM_SPARCV9", 50: "EM_IA_64", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV",
            258: "EM_LOONGARCH"}
TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
DF_1_PIE = 0x08000000
PT_DYNAMIC, PT_INTERP = 2, 3
DT_NULL, DT_FLAGS_1 = 0, 0x6FFFFFFB
PN_XNUM = 0xFFFF  # e_phnum too large: the count is in section header 0's sh_info
MAX_PROGRAM_HEADERS = 1 << 16
MAX_SEGMENT_READ = 1 << 20
# class -> (header after e_ident: e_type .. e_shstrndx, program header, dynamic entry, sh_info's offset)
LAYOUTS = {1: ("HHIIIIIHHHHHH", "IIIIIIII", "iI", 28), 2: ("HHIQQQIHHHHHH", "IIQQQQQQ", "qQ", 44)}
NO_XATTR = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT, errno.EPERM, errno.EACCES}


class ElfFormatError(Exception):
    """The file starts like ELF but its headers are inconsistent or cut short."""


@dataclass(frozen=True)
class ElfInfo:
    elf_class: int  # 32 or 64
    machine: str  # e_machine as <elf.h> names it, e.g. EM_X86_64 (the number for machines not in MACHINES)
    elf_type: str  # ET_EXEC, ET_DYN, ...
    interpreter: str | None  # PT_INTERP: the dynamic loader, None for a static executable
    static_pie: bool  # ET_DYN without PT_INTERP but flagged DF_1_PIE: a static-pie executable

    @property
    def arch(self) -> str:
        base = MACHINE_ARCHES.get(self.machine, self.machine)
        return base if self.elf_class == 64 or base in ("i386", "arm") else f"{base}-{self.elf_class}"


def read_elf(fh: BinaryIO) -> ElfInfo:
    try:
        return _read(fh)
    except (struct.error, ValueError, OverflowError, OSError) as exc:
        raise ElfFormatError(f"{type(exc).__name__}: {exc}") from exc


def _read(fh: BinaryIO) -> ElfInfo:
    ident = _read_at(fh, 0, 16)
    if ident[:4] != b"\x7fELF" or ident[4] not in LAYOUTS or ident[5] not in (1, 2):
        raise ElfFormatError(f"not a valid ELF header (class {ident[4]}, data {ident[5]})")
    header_layout, segment_layout, entry_layout, sh_info_at = LAYOUTS[ident[4]]
    endian = "<" if ident[5] == 1 else ">"
    header = struct.unpack(endian + header_layout, _read_at(fh, 16, struct.calcsize(endian + header_layout)))
    elf_type, machine, phoff, shoff, phentsize, phnum = header[0], header[1], header[4], header[5], header[8], \
        header[9]
    if phnum == PN_XNUM:
        (phnum,) = struct.unpack(endian + "I", _read_at(fh, shoff + sh_info_at, 4))
    segment = struct.Struct(endian + segment_layout)
    if phnum > MAX_PROGRAM_HEADERS or (phnum and phentsize < segment.size):
        raise ElfFormatError(f"{phnum} program headers of {phentsize} bytes")
    table = _read_at(fh, phoff, phnum * phentsize) if phnum else b""
    segments = [_segment(segment.unpack_from(table, i * phentsize), ident[4]) for i in range(phnum)]
    interpreter = next((_interp(fh, offset, size) for kind, offset, size in segments if kind == PT_INTERP), None)
    pie = interpreter is None and any(_pie_flag(fh, offset, size, endian + entry_layout)
                                      for kind, offset, size in segments if kind == PT_DYNAMIC)
    return ElfInfo(elf_class=32 * ident[4], machine=MACHINES.get(machine, str(machine)),
                   elf_type=TYPES.get(elf_type, str(elf_type)), interpreter=interpreter, static_pie=pie)


def _segment(fields: tuple[int, ...], elf_class: int) -> tuple[int, int, int]:
    """(p_type, p_offset, p_filesz): the 64-bit layout puts p_flags second."""
    return (fields[0], fields[1], fields[4]) if elf_class == 1 else (fields[0], fields[2], fields[5])


def _read_at(fh: BinaryIO, offset: int, size: int) -> bytes:
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise ElfFormatError(f"{size} bytes at offset {offset} run past the end of the file")
    return data


def _interp(fh: BinaryIO, offset: int, size: int) -> str:
    """PT_INTERP's path: a C string at p_offset."""
    fh.seek(offset)
    data = fh.read(max(size, 1) if size < MAX_SEGMENT_READ else MAX_SEGMENT_READ)
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def _pie_flag(fh: BinaryIO, offset: int, size: int, layout: str) -> bool:
    entry = struct.Struct(layout)
    data = _read_at(fh, offset, min(size, MAX_SEGMENT_READ))
    for position in range(0, len(data) - entry.size + 1, entry.size):
        tag, value = entry.unpack_from(data, position)
        if tag == DT_NULL:
            return False
        if tag == DT_FLAGS_1 and value & DF_1_PIE:
            return True
    return False


def file_capabilities(path: str) -> bytes | None:
    """The raw `security.capability` attribute, or None when the file has none (or xattrs are unsupported).
    Linux's: file capabilities are a Linux loader fact (macOS has no os.getxattr)."""
    if sys.platform != "linux":
        return None
    try:
        return os.getxattr(path, "security.capability")
    except OSError as exc:
        if exc.errno in NO_XATTR:
            return None
        raise
