"""The signature reader on hand-built blobs: every CodeDirectory version, several CDs, XML and DER entitlements."""

from __future__ import annotations

import struct

import pytest

from sipdoctor.binaries.codesign import CodeSignatureError, describe_flags, parse_signature
from sipdoctor.binaries.der import DerError, parse_der_entitlements

ALLOW = "com.apple.security.cs.allow-dyld-environment-variables"


def der(tag: int, content: bytes) -> bytes:
    length = len(content)
    encoded = bytes([length]) if length < 0x80 else bytes([0x82]) + length.to_bytes(2, "big")
    return bytes([tag]) + encoded + content


def der_entitlements(pairs: list[tuple[str, bytes]]) -> bytes:
    body = b"".join(der(0x30, der(0x0C, key.encode()) + value) for key, value in pairs)
    return der(0x70, der(0x02, b"\x01") + der(0xB0, body))


def code_directory(version: int, flags: int, hash_type: int, team: str | None = None) -> bytes:
    header_size = {0x20001: 44, 0x20100: 48, 0x20200: 52, 0x20300: 64, 0x20400: 88, 0x20500: 96}[version]
    ident = b"com.example.tool\0"
    team_bytes = (team.encode() + b"\0") if team else b""
    ident_offset = header_size
    team_offset = ident_offset + len(ident) if team else 0
    length = header_size + len(ident) + len(team_bytes)
    head = struct.pack(">IIIIIIIIIBBBBI", 0xFADE0C02, length, version, flags, length, ident_offset, 0, 0, 0,
                       32, hash_type, 0, 12, 0)
    tail = b""
    if version >= 0x20100:
        tail += struct.pack(">I", 0)
    if version >= 0x20200:
        tail += struct.pack(">I", team_offset)
    if version >= 0x20300:
        tail += struct.pack(">IQ", 0, 0)
    if version >= 0x20400:
        tail += struct.pack(">QQQ", 0, 0x4000, 1)
    if version >= 0x20500:
        tail += struct.pack(">II", 0x0E0000, 0)
    return head + tail + ident + team_bytes


def superblob(blobs: list[tuple[int, bytes]]) -> bytes:
    offset = 12 + 8 * len(blobs)
    index, body = b"", b""
    for slot, blob in blobs:
        index += struct.pack(">II", slot, offset + len(body))
        body += blob
    return struct.pack(">III", 0xFADE0CC0, offset + len(body), len(blobs)) + index + body


def wrap(magic: int, payload: bytes) -> bytes:
    return struct.pack(">II", magic, len(payload) + 8) + payload


@pytest.mark.parametrize("version", [0x20001, 0x20100, 0x20200, 0x20300, 0x20400, 0x20500])
def test_every_code_directory_version(version: int) -> None:
    team = "ABCDE12345" if version >= 0x20200 else None
    sig = parse_signature(superblob([(0, code_directory(version, 0x10000, 2, team))]))
    assert sig.flags == 0x10000
    assert sig.team_id == team
    assert sig.primary.identifier == "com.example.tool"


def test_the_strongest_code_directory_wins() -> None:
    sig = parse_signature(superblob([
        (0, code_directory(0x20400, 0x2, 1)), (0x1000, code_directory(0x20400, 0x10002, 2)),
    ]))
    assert [cd.hash_name for cd in sig.directories] == ["sha1", "sha256"]
    assert sig.primary.slot == 0x1000 and sig.flags == 0x10002


def test_xml_and_der_entitlements() -> None:
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>'
           b"<key>" + ALLOW.encode() + b"</key><true/><key>com.apple.security.get-task-allow</key><false/>"
           b"</dict></plist>")
    nested = der(0x30, der(0x0C, b"a") + der(0x0C, b"b"))
    der_blob = der_entitlements([
        ("com.apple.security.cs.disable-library-validation", der(0x01, b"\xff")),
        ("com.apple.application-identifier", der(0x0C, b"TEAM.tool")),
        ("keychain-access-groups", nested),
        ("com.apple.developer.team-number", der(0x02, b"\x05")),
    ])
    sig = parse_signature(superblob([
        (0, code_directory(0x20500, 0x10000, 2, "TEAM")), (5, wrap(0xFADE7171, xml)), (7, wrap(0xFADE7172, der_blob)),
    ]))
    assert sig.entitled(ALLOW) and sig.entitled("com.apple.security.cs.disable-library-validation")
    assert not sig.entitled("com.apple.security.get-task-allow")
    assert sig.entitlements["keychain-access-groups"] == ["a", "b"]
    assert sig.entitlements["com.apple.developer.team-number"] == 5
    assert sig.entitlement_formats == ("xml", "der")


def test_long_form_der_lengths() -> None:
    key = "k" * 300
    parsed = parse_der_entitlements(der_entitlements([(key, der(0x01, b"\xff"))]))
    assert parsed == {key: True}


@pytest.mark.parametrize("blob", [
    b"\x70\x09\x02\x01\x01\xb0\x00",  # container claims more than there is
    b"\x70\x03\x02\x01\x01",  # no dictionary
    bytes([0x70, 0x85, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),  # 5-byte length
    der(0x70, der(0x02, b"\x01") + der(0xB0, der(0x30, der(0x0C, b"k") + der(0x04, b"x")))),  # OCTET STRING
])
def test_bad_der(blob: bytes) -> None:
    with pytest.raises(DerError):
        parse_der_entitlements(blob)


def test_deep_der_nesting_is_refused() -> None:
    value = der(0x01, b"\xff")
    for _ in range(40):
        value = der(0x30, value)
    with pytest.raises(DerError, match="deep"):
        parse_der_entitlements(der_entitlements([("k", value)]))


@pytest.mark.parametrize("blob", [
    b"",
    struct.pack(">III", 0xFADE0CC0, 12, 0),  # no CodeDirectory
    struct.pack(">III", 0xFADE0CC1, 12, 0),  # wrong magic
    superblob([(0, code_directory(0x20200, 0, 2, "T")[:40])]),  # CodeDirectory shorter than its header
    superblob([(5, wrap(0xFADE7171, b"<plist><dict><key>a</key>")), (0, code_directory(0x20400, 0, 2))]),
    superblob([(5, wrap(0xFADE7171, b"<plist><array/></plist>")), (0, code_directory(0x20400, 0, 2))]),
])
def test_bad_signatures(blob: bytes) -> None:
    with pytest.raises(CodeSignatureError):
        parse_signature(blob)


def test_describe_flags_like_codesign() -> None:
    assert describe_flags(0x10000) == "0x10000(runtime)"
    assert describe_flags(0x20002) == "0x20002(adhoc,linker-signed)"
    assert describe_flags(0x2800) == "0x2800(restrict,library-validation)"
    assert describe_flags(0) == "0x0(none)"
