"""A small, bounds-checked reader of the embedded code signature (the LC_CODE_SIGNATURE SuperBlob).

The Mach-O reader stops at the load command; the blob layout below is xnu `osfmk/kern/cs_blobs.h` (CS_SuperBlob,
CS_CodeDirectory with its version-gated fields, CSSLOT_*), all big-endian. Only sizes read from the blob are
*checked* against the bytes we were handed: nothing is allocated or looped by an untrusted number, and the
only exception that leaves this module is CodeSignatureError.
"""

from __future__ import annotations

import plistlib
import struct
from dataclasses import dataclass, field
from typing import Any

from sipdoctor.binaries.der import DerError, parse_der_entitlements

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xFADE7171
CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xFADE7172
CSMAGIC_BLOBWRAPPER = 0xFADE0B01

CSSLOT_CODEDIRECTORY = 0
CSSLOT_ENTITLEMENTS = 5
CSSLOT_DER_ENTITLEMENTS = 7
CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000
CSSLOT_ALTERNATE_CODEDIRECTORY_MAX = 5
CSSLOT_SIGNATURESLOT = 0x10000

CS_ADHOC = 0x2
CS_RESTRICT = 0x800
CS_REQUIRE_LV = 0x2000
CS_RUNTIME = 0x10000
CS_LINKER_SIGNED = 0x20000

# Names as `codesign -dv` prints them, e.g. flags=0x10000(runtime).
FLAG_NAMES = (
    (0x1, "host"), (CS_ADHOC, "adhoc"), (0x100, "hard"), (0x200, "kill"), (0x400, "expires"),
    (CS_RESTRICT, "restrict"), (0x1000, "enforcement"), (CS_REQUIRE_LV, "library-validation"),
    (CS_RUNTIME, "runtime"), (CS_LINKER_SIGNED, "linker-signed"),
)

HASH_NAMES = {1: "sha1", 2: "sha256", 3: "sha256-truncated", 4: "sha384"}
# xnu bsd/kern/ubc_subr.c `hashPriorities`: the kernel uses the strongest CodeDirectory it knows.
HASH_PRIORITY = {4: 4, 2: 3, 3: 2, 1: 1}

MAX_BLOBS = 64
CD_VERSION_TEAMID = 0x20200


class CodeSignatureError(Exception):
    """The signature bytes are malformed: truncated, inconsistent, or lying about a size or offset."""


@dataclass(frozen=True)
class CodeDirectory:
    slot: int
    version: int
    flags: int
    hash_type: int
    platform: int
    identifier: str
    team_id: str | None

    @property
    def hash_name(self) -> str:
        return HASH_NAMES.get(self.hash_type, f"hash-type-{self.hash_type}")


@dataclass(frozen=True)
class CodeSignature:
    directories: tuple[CodeDirectory, ...]
    entitlements: dict[str, Any] = field(default_factory=dict)
    entitlement_formats: tuple[str, ...] = ()
    cms_size: int = 0

    @property
    def primary(self) -> CodeDirectory:
        """The CodeDirectory the kernel validates against (strongest hash type)."""
        return max(self.directories, key=lambda cd: HASH_PRIORITY.get(cd.hash_type, 0))

    @property
    def flags(self) -> int:
        return self.primary.flags

    @property
    def team_id(self) -> str | None:
        return self.primary.team_id

    def entitled(self, key: str) -> bool:
        return self.entitlements.get(key) is True


def describe_flags(flags: int) -> str:
    """`codesign -dv` style: 0x10000(runtime), 0x20002(adhoc,linker-signed), 0x0(none)."""
    names = [name for bit, name in FLAG_NAMES if flags & bit]
    return f"{flags:#x}({','.join(names) or 'none'})"


def _u32(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 4 > len(data):
        raise CodeSignatureError(f"truncated: need 4 bytes at offset {offset}, blob is {len(data)} bytes")
    value: int = struct.unpack_from(">I", data, offset)[0]
    return value


def _cstring(data: bytes, offset: int) -> str:
    if offset <= 0 or offset >= len(data):
        raise CodeSignatureError(f"string offset {offset} outside a {len(data)}-byte CodeDirectory")
    end = data.find(b"\0", offset)
    if end < 0:
        raise CodeSignatureError("unterminated string in CodeDirectory")
    return data[offset:end].decode("utf-8", "replace")


def _blob(data: bytes, offset: int) -> tuple[int, bytes]:
    """(magic, whole blob) for the blob at offset, its length checked against the SuperBlob."""
    magic, length = _u32(data, offset), _u32(data, offset + 4)
    if length < 8 or offset + length > len(data):
        raise CodeSignatureError(f"blob at {offset} claims {length} bytes, {len(data) - offset} available")
    return magic, data[offset:offset + length]


def parse_code_directory(slot: int, blob: bytes) -> CodeDirectory:
    version, flags = _u32(blob, 8), _u32(blob, 12)
    if len(blob) < 44:
        raise CodeSignatureError(f"CodeDirectory of {len(blob)} bytes is shorter than its header")
    team_offset = _u32(blob, 48) if version >= CD_VERSION_TEAMID else 0
    return CodeDirectory(
        slot=slot,
        version=version,
        flags=flags,
        hash_type=blob[37],
        platform=blob[38],
        identifier=_cstring(blob, _u32(blob, 20)),
        team_id=_cstring(blob, team_offset) if team_offset else None,
    )


def parse_xml_entitlements(payload: bytes) -> dict[str, Any]:
    try:
        value = plistlib.loads(payload, fmt=plistlib.FMT_XML)
    except Exception as exc:  # plistlib raises expat, ValueError, InvalidFileException... on bad XML
        raise CodeSignatureError(f"entitlements XML does not parse: {exc}") from exc
    if not isinstance(value, dict):
        raise CodeSignatureError("entitlements XML is not a dictionary")
    return value


def parse_signature(data: bytes) -> CodeSignature:
    """Decode an embedded-signature SuperBlob: CodeDirectories, entitlements (XML and DER), CMS size."""
    if _u32(data, 0) != CSMAGIC_EMBEDDED_SIGNATURE:
        raise CodeSignatureError(f"not an embedded signature (magic {_u32(data, 0):#x})")
    length, count = _u32(data, 4), _u32(data, 8)
    if length > len(data) or length < 12:
        raise CodeSignatureError(f"SuperBlob claims {length} bytes, {len(data)} available")
    if count > MAX_BLOBS or 12 + 8 * count > length:
        raise CodeSignatureError(f"SuperBlob claims {count} blobs in {length} bytes")
    data = data[:length]
    directories: list[CodeDirectory] = []
    entitlements: dict[str, Any] = {}
    formats: list[str] = []
    cms_size = 0
    for index in range(count):
        slot, offset = _u32(data, 12 + 8 * index), _u32(data, 16 + 8 * index)
        magic, blob = _blob(data, offset)
        if magic == CSMAGIC_CODEDIRECTORY and _is_code_directory_slot(slot):
            directories.append(parse_code_directory(slot, blob))
        elif magic == CSMAGIC_EMBEDDED_ENTITLEMENTS and slot == CSSLOT_ENTITLEMENTS:
            entitlements = parse_xml_entitlements(blob[8:]) | entitlements
            formats.append("xml")
        elif magic == CSMAGIC_EMBEDDED_DER_ENTITLEMENTS and slot == CSSLOT_DER_ENTITLEMENTS:
            try:
                entitlements |= parse_der_entitlements(blob[8:])
            except DerError as exc:
                raise CodeSignatureError(f"DER entitlements: {exc}") from exc
            formats.append("der")
        elif magic == CSMAGIC_BLOBWRAPPER and slot == CSSLOT_SIGNATURESLOT:
            cms_size = len(blob) - 8
    if not directories:
        raise CodeSignatureError("signature has no CodeDirectory")
    return CodeSignature(tuple(directories), entitlements, tuple(formats), cms_size)


def _is_code_directory_slot(slot: int) -> bool:
    alternates = range(CSSLOT_ALTERNATE_CODEDIRECTORIES,
                       CSSLOT_ALTERNATE_CODEDIRECTORIES + CSSLOT_ALTERNATE_CODEDIRECTORY_MAX)
    return slot == CSSLOT_CODEDIRECTORY or slot in alternates
