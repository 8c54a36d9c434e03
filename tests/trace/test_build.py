"""Building and locating the probe: cache key, insertion-path check, the missing-compiler message."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path

import pytest

from sipdoctor.errors import ConfigError
from sipdoctor.trace.build import ProbeBuildError, build_probe, check_insertable, probe_path, source_dir


def test_sources_are_found_in_the_checkout() -> None:
    assert (source_dir() / "sipdoctor_probe.c").is_file()


def test_probe_is_keyed_by_source_hash_and_architecture(tmp_path: Path) -> None:
    path = probe_path({"SIPDOCTOR_CACHE_DIR": str(tmp_path)})
    assert path.parent.parent == tmp_path / "probe"
    digest, arch = path.parent.name.rsplit("-", 1)
    assert arch == platform.machine() and len(digest) == 16


def test_build_is_cached_and_forced(tmp_path: Path) -> None:
    env = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path)}
    first = build_probe(env=env)
    stamp = first.stat().st_mtime_ns
    assert build_probe(env=env) == first and first.stat().st_mtime_ns == stamp
    assert build_probe(env=env, force=True) == first
    assert list(first.parent.iterdir()) == [first]  # no temporary files left behind


@pytest.mark.parametrize("bad", ["/tmp/with space/lib.so", "/tmp/a:b/lib.so"])
def test_paths_the_loader_cannot_take_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigError, match="SIPDOCTOR_CACHE_DIR"):
        check_insertable(Path(bad))


def test_cache_dir_with_a_space_is_refused_before_building(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scalene#537"):
        build_probe(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path / "my cache")})


def test_missing_compiler_names_the_fix(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with pytest.raises(ProbeBuildError, match=r"apt-get install gcc|xcode-select --install"):
        build_probe(env={"PATH": str(empty), "CC": "", "SIPDOCTOR_CACHE_DIR": str(tmp_path / "c")})


def test_compiler_errors_are_reported(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    cc = fake / "cc"
    cc.write_text("#!/bin/sh\necho 'fatal: out of ink' >&2\nexit 1\n")
    cc.chmod(0o755)
    with pytest.raises(ProbeBuildError, match="out of ink"):
        build_probe(env={"PATH": f"{fake}:{os.defpath}", "SIPDOCTOR_CACHE_DIR": str(tmp_path / "c")})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the lean ELF layout is Linux's")
def test_probe_is_cheap_to_load(probe: Path) -> None:
    """Every process of a trace loads the probe: two segments and no RELRO (fewer mappings per process), and
    no libc function on the record path (each would cost a new process a lazy binding)."""
    from elftools.elf.elffile import ELFFile

    with probe.open("rb") as stream:
        elf = ELFFile(stream)
        segments = [seg["p_type"] for seg in elf.iter_segments()]
        imported = {sym.name for sym in elf.get_section_by_name(".dynsym").iter_symbols()
                    if sym["st_shndx"] == "SHN_UNDEF" and sym.name}
    assert segments.count("PT_LOAD") == 2 and "PT_GNU_RELRO" not in segments
    only_off_the_record_path = {
        "environ", "__environ", "__errno_location",  # hooks keep errno as the real call left it
        "dlsym",  # the real exec/spawn/fork functions, looked up on first use
        "getauxval", "realpath",  # the constructor: the path as executed, a relative one resolved
        "open", "close", "fstat", "mmap", "munmap",  # --emulate-sip's protected-path list
    }
    assert imported <= only_off_the_record_path, imported - only_off_the_record_path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the lean link is Linux's")
def test_a_linker_without_the_lean_options_still_builds_the_probe(tmp_path: Path) -> None:
    real = shutil.which("cc") or shutil.which("gcc")
    if real is None:
        pytest.skip("no C compiler")
    fake = tmp_path / "bin" / "cc"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-nostartfiles*) echo "ld: unknown option" >&2; exit 1;; esac\n'
                    f'exec {real} "$@"\n')
    fake.chmod(0o755)
    built = build_probe(env={"PATH": f"{fake.parent}:{os.defpath}", "CC": str(fake),
                             "SIPDOCTOR_CACHE_DIR": str(tmp_path / "c")})
    assert built.is_file() and b"execve" in built.read_bytes()
