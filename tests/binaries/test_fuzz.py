"""Fuzz the Mach-O and signature readers: only their own error types escape, and judging gives `unknown`."""

from __future__ import annotations

import contextlib
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipdoctor.binaries import Assumptions, judge_file
from sipdoctor.binaries.codesign import CodeSignatureError, parse_signature
from sipdoctor.binaries.der import DerError, parse_der_entitlements
from sipdoctor.binaries.macho import MachOFormatError, MachOSlice, read_macho

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SEEDS = ["uvx_hardened_noent_arm64", "pyinstaller_run_fat_linkersigned", "libXau_dylib_adhoc"]
U32 = st.one_of(st.sampled_from([0, 1, 7, 8, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0]), st.integers(0, 2**32 - 1))


@pytest.fixture(scope="module")
def seeds(macho_fixture: Callable[[str], Path]) -> dict[str, bytes]:
    return {name: macho_fixture(name).read_bytes() for name in SEEDS}


def _signature(data: bytes) -> bytes:
    slices = read_macho_bytes(data)
    offset, size = next(s.signature_range for s in slices if s.signature_range)
    return data[offset:offset + size]


def read_macho_bytes(data: bytes) -> list[MachOSlice]:
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        return read_macho(handle.name)


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None, limit: int) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        position %= min(limit, len(out) - 4)
        struct.pack_into(">I", out, position, value)
    return bytes(out[:cut]) if cut is not None else bytes(out)


@FUZZ
@given(name=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 2**20), U32), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 4096)))
def test_headers_and_load_commands(seeds: dict[str, bytes], name: str, edits: list[tuple[int, int]],
                                   cut: int | None) -> None:
    """Lying ncmds/sizeofcmds/cmdsize/nsects, fat offsets outside the file, truncation."""
    data = _mutate(seeds[name], edits, cut, limit=4096)
    with contextlib.suppress(MachOFormatError):
        read_macho_bytes(data)


@FUZZ
@given(name=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 2**20), U32), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 20000)))
def test_signature_blobs(seeds: dict[str, bytes], name: str, edits: list[tuple[int, int]],
                         cut: int | None) -> None:
    """Lying blob counts, offsets and lengths; CodeDirectory string offsets; truncated blobs."""
    blob = _mutate(_signature(seeds[name]), edits, cut, limit=2048)
    with contextlib.suppress(CodeSignatureError):
        parse_signature(blob)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_signature_and_der(blob: bytes) -> None:
    with contextlib.suppress(CodeSignatureError):
        parse_signature(blob)
    with contextlib.suppress(DerError):
        parse_der_entitlements(blob)


@FUZZ
@given(prefix=st.sampled_from([b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xce"]),
       body=st.binary(max_size=200))
def test_judging_garbage_with_mach_o_magic_is_unknown(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(prefix + body)
    report = judge_file(str(path), Assumptions("macos"))
    assert report.kind == "mach-o"
    if report.verdict.value == "unknown":
        assert report.reasons


def test_fat_header_pointing_outside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fat"
    path.write_bytes(struct.pack(">IIiiIII", 0xCAFEBABE, 1, 0x0100000C, 0, 0x1000, 0xFFFFFF00, 14) + b"\0" * 64)
    with pytest.raises(MachOFormatError, match="outside the file"):
        read_macho(path)
    report = judge_file(str(path), Assumptions("macos"))
    assert report.verdict.value == "unknown" and report.reasons[0].code == "unparseable"


def test_huge_sizes_are_refused_before_reading(tmp_path: Path) -> None:
    header = struct.pack("<IiiIIII", 0xFEEDFACE, 12, 0, 2, 1, 0xFFFFFFF0, 0)
    path = tmp_path / "huge"
    path.write_bytes(header + b"\0" * 64)
    with pytest.raises(MachOFormatError):
        read_macho(path)
    superblob = struct.pack(">III", 0xFADE0CC0, 0xFFFFFFFF, 0xFFFFFFFF)
    with pytest.raises(CodeSignatureError):
        parse_signature(superblob)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 2**12), U32), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 8192)))
def test_judging_damaged_elf_never_raises(tmp_path: Path, edits: list[tuple[int, int]], cut: int | None) -> None:
    original = Path("/bin/true").read_bytes() if Path("/bin/true").exists() else b""
    if original[:4] != b"\x7fELF":
        pytest.skip("no ELF /bin/true")
    path = tmp_path / "damaged"
    path.write_bytes(b"\x7fELF" + _mutate(original, edits, cut, limit=1024)[4:])
    report = judge_file(str(path), Assumptions("linux"))
    assert report.kind == "elf"
