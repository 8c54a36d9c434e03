"""The struct-based Mach-O reader (sipdoctor/binaries/macho.py) agrees with macholib on every fixture: slices,
architectures, file types, the __RESTRICT section and where the code signature lies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from macholib import mach_o
from macholib.MachO import MachO

from sipdoctor.binaries.macho import arch_name, read_macho
from tests.binaries.test_fixtures_macho import EXPECTED

Fixture = Callable[[str], Path]
Summary = tuple[str, str, int, int, int, bool, tuple[int, int] | None]


def macholib_summary(path: Path) -> list[Summary]:
    out = []
    for header in MachO(str(path), allow_unknown_load_commands=True).headers:
        restrict, signature = False, None
        for load, command, data in header.commands:
            if load.cmd in (mach_o.LC_SEGMENT, mach_o.LC_SEGMENT_64):
                names = [(s.segname.rstrip(b"\0"), s.sectname.rstrip(b"\0")) for s in data]
                restrict |= (b"__RESTRICT", b"__restrict") in names
            elif load.cmd == mach_o.LC_CODE_SIGNATURE:
                signature = (header.offset + command.dataoff, int(command.datasize))
        fields = header.header
        out.append((arch_name(fields.cputype, fields.cpusubtype), mach_o.MH_FILETYPE_SHORTNAMES[fields.filetype],
                    int(fields.filetype), header.offset, header.size, restrict, signature))
    return out


def lean_summary(path: Path) -> list[Summary]:
    return [(s.arch, s.filetype, s.filetype_code, s.offset, s.size, s.restrict_section, s.signature_range)
            for s in read_macho(path)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_agrees_with_macholib_on_the_real_binaries(name: str, macho_fixture: Fixture) -> None:
    path = macho_fixture(name)
    assert lean_summary(path) == macholib_summary(path)


@pytest.mark.parametrize("kind", ["plain", "restrict", "x86_64"])
def test_agrees_with_macholib_on_zig_builds(kind: str, zig_macho: dict[str, Path]) -> None:
    summary = lean_summary(zig_macho[kind])
    assert summary == macholib_summary(zig_macho[kind])
    assert summary[0][5] is (kind == "restrict")
