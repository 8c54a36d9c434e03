"""Apple's DER entitlements blob (CSMAGIC_EMBEDDED_DER_ENTITLEMENTS), decoded with explicit bounds.

Layout (Apple `libsecurity_codesigning` CEDER, and what `codesign` writes since macOS 12):
  [APPLICATION 16] { INTEGER version, [CONTEXT 16] SET OF SEQUENCE { UTF8String key, value } }
where value is BOOLEAN, INTEGER, UTF8String, SEQUENCE OF value (array) or another [CONTEXT 16] dictionary.
"""

from __future__ import annotations

from typing import Any

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_UTF8STRING = 0x0C
TAG_SEQUENCE = 0x30
TAG_SET = 0x31
TAG_DICTIONARY = 0xB0  # [CONTEXT 16], constructed
TAG_ENTITLEMENTS = 0x70  # [APPLICATION 16], constructed
MAX_DEPTH = 16


class DerError(Exception):
    """Malformed DER: a length running past its container, an unknown tag, too deep nesting."""


def _element(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at pos; lengths checked against end."""
    if pos + 2 > end:
        raise DerError(f"truncated element at {pos}")
    tag, first = data[pos], data[pos + 1]
    start = pos + 2
    if first & 0x80:
        width = first & 0x7F
        if width == 0 or width > 4 or start + width > end:
            raise DerError(f"bad length encoding at {pos}")
        length = int.from_bytes(data[start:start + width], "big")
        start += width
    else:
        length = first
    if start + length > end:
        raise DerError(f"element at {pos} claims {length} bytes, {end - start} available")
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = _element(data, pos, end)
        out.append((tag, cstart, cend))
        pos = cend
    return out


def _value(data: bytes, tag: int, start: int, end: int, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise DerError("nesting too deep")
    raw = data[start:end]
    if tag == TAG_BOOLEAN:
        return raw != b"\x00"
    if tag == TAG_INTEGER:
        return int.from_bytes(raw, "big", signed=True)
    if tag == TAG_UTF8STRING:
        return raw.decode("utf-8", "replace")
    if tag in (TAG_SEQUENCE, TAG_SET):
        return [_value(data, *child, depth + 1) for child in _children(data, start, end)]
    if tag == TAG_DICTIONARY:
        return _dictionary(data, start, end, depth + 1)
    raise DerError(f"unexpected tag {tag:#x}")


def _dictionary(data: bytes, start: int, end: int, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag, cstart, cend in _children(data, start, end):
        pair = _children(data, cstart, cend)
        if tag != TAG_SEQUENCE or len(pair) != 2 or pair[0][0] != TAG_UTF8STRING:
            raise DerError("dictionary entry is not SEQUENCE { UTF8String, value }")
        key = data[pair[0][1]:pair[0][2]].decode("utf-8", "replace")
        out[key] = _value(data, *pair[1], depth)
    return out


def parse_der_entitlements(data: bytes) -> dict[str, Any]:
    tag, start, end = _element(data, 0, len(data))
    if tag != TAG_ENTITLEMENTS:
        raise DerError(f"expected [APPLICATION 16], found tag {tag:#x}")
    parts = _children(data, start, end)
    if len(parts) != 2 or parts[0][0] != TAG_INTEGER or parts[1][0] != TAG_DICTIONARY:
        raise DerError("expected { INTEGER version, dictionary }")
    return _dictionary(data, parts[1][1], parts[1][2], 1)
