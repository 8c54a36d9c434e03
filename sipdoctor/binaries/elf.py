"""ELF facts that decide what glibc's loader does with LD_PRELOAD (ld.so(8), docs/macos-facts.md#linux).

pyelftools reads the header and program headers; file capabilities come from the `security.capability`
extended attribute (capabilities(7)), which is what makes the kernel set AT_SECURE for a non-root user.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from typing import BinaryIO

MACHINE_ARCHES = {"EM_X86_64": "x86_64", "EM_AARCH64": "arm64", "EM_386": "i386", "EM_ARM": "arm"}
DF_1_PIE = 0x08000000
NO_XATTR = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT, errno.EPERM, errno.EACCES}


class ElfFormatError(Exception):
    """The file starts like ELF but pyelftools cannot read its headers."""


@dataclass(frozen=True)
class ElfInfo:
    elf_class: int  # 32 or 64
    machine: str  # e_machine as pyelftools names it, e.g. EM_X86_64
    elf_type: str  # ET_EXEC, ET_DYN, ...
    interpreter: str | None  # PT_INTERP: the dynamic loader, None for a static executable
    static_pie: bool  # ET_DYN without PT_INTERP but flagged DF_1_PIE: a static-pie executable

    @property
    def arch(self) -> str:
        base = MACHINE_ARCHES.get(self.machine, self.machine)
        return base if self.elf_class == 64 or base in ("i386", "arm") else f"{base}-{self.elf_class}"


def _interpreter(elf: object) -> str | None:
    for segment in elf.iter_segments():  # type: ignore[attr-defined]
        if segment["p_type"] == "PT_INTERP":
            return str(segment.get_interp_name())
    return None


def _pie_flag(elf: object) -> bool:
    for segment in elf.iter_segments():  # type: ignore[attr-defined]
        if segment["p_type"] == "PT_DYNAMIC":
            for tag in segment.iter_tags():
                if tag.entry.d_tag == "DT_FLAGS_1" and tag.entry.d_val & DF_1_PIE:
                    return True
    return False


def read_elf(fh: BinaryIO) -> ElfInfo:
    from elftools.elf.elffile import ELFFile

    try:
        elf = ELFFile(fh)
        interpreter = _interpreter(elf)
        return ElfInfo(
            elf_class=int(elf.elfclass), machine=str(elf["e_machine"]), elf_type=str(elf["e_type"]),
            interpreter=interpreter, static_pie=interpreter is None and _pie_flag(elf),
        )
    except Exception as exc:  # pyelftools raises ELFError, struct/construct errors, ValueError... on bad input
        raise ElfFormatError(f"{type(exc).__name__}: {exc}") from exc


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
