"""The shim and the hook as macOS gets them, cross-compiled with zig and checked with sipdoctor's own Mach-O and
code-signature readers: both architectures, an executable signed ad hoc, no hardened runtime (flag 0x10000,
which would make dyld ignore DYLD_*) and no __RESTRICT section (which would make it prune them), the shim
marker in every slice, and the hook's five interpose tuples. On a Mac (the `macos` job) the real build is
checked the same way, and a real SIP hop is crossed."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from sipdoctor.binaries.codesign import CS_ADHOC, CS_RUNTIME
from sipdoctor.binaries.macho import read_macho
from sipdoctor.trace.build import source_dir

pytest.importorskip("ziglang")
TARGETS = {"aarch64-macos": "arm64", "x86_64-macos": "x86_64"}
MARKER = b"sipdoctor-reinject-shim-marker-1"
EMPTY_ENTITLEMENTS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n')


def zig_shim(target: str, cache: Path) -> Path:
    """`zig build-exe` signs ad hoc for both architectures when given (empty) entitlements; `zig cc` signs only
    arm64. The Mac build itself is clang -arch arm64 -arch x86_64 plus `codesign --sign -`."""
    source = source_dir() / "sipdoctor_shim.c"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    out = cache / f"sipdoctor-shim-{target}-{digest}"
    if not out.exists():
        entitlements = cache / "empty-entitlements.plist"
        entitlements.write_bytes(EMPTY_ENTITLEMENTS)
        partial = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        done = subprocess.run([sys.executable, "-m", "ziglang", "build-exe", "-target", target, "-lc", "-O",
                               "ReleaseSmall", "--entitlements", str(entitlements), f"-femit-bin={partial}",
                               str(source)], capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        os.replace(partial, out)
    return out


def universal(thin: list[Path], out: Path) -> Path:
    """What `lipo -create` writes: a fat header, then each slice at a 16 KB boundary."""
    align = 14
    entries, blobs, offset = [], [], 1 << align
    for path in thin:
        data = path.read_bytes()
        cputype, cpusubtype = struct.unpack("<ii", data[4:12])
        entries.append(struct.pack(">iiIII", cputype, cpusubtype, offset, len(data), align))
        blobs.append((offset, data))
        offset = (offset + len(data) + (1 << align) - 1) & ~((1 << align) - 1)
    image = bytearray(struct.pack(">II", 0xCAFEBABE, len(thin)) + b"".join(entries))
    for at, data in blobs:
        image += b"\0" * (at - len(image)) + data
    out.write_bytes(bytes(image))
    return out


def test_universal_shim_is_ad_hoc_signed_without_hardened_runtime(zig_cache: Path, tmp_path: Path) -> None:
    thin = [zig_shim(t, zig_cache) for t in sorted(TARGETS)]
    slices = read_macho(universal(thin, tmp_path / "sipdoctor-shim"))
    assert sorted(s.arch for s in slices) == ["arm64", "x86_64"]
    for s in slices:
        assert s.is_executable and not s.restrict_section
        assert s.signature is not None and s.signature_error is None
        assert s.signature.flags & CS_ADHOC and not s.signature.flags & CS_RUNTIME
    for path in thin:
        assert MARKER in path.read_bytes()


def test_hook_cross_compiles_with_its_interpose_tuples(zig_cache: Path) -> None:
    from macholib.MachO import MachO

    from tests.trace.test_macos_build import sections

    source = source_dir() / "sipdoctor_hook.c"
    for target, arch in TARGETS.items():
        out = zig_cache / f"libsipdoctor_hook-{target}-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}.dylib"
        if not out.exists():
            done = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", target, "-dynamiclib", "-O2",
                                   "-Wall", "-Wextra", "-Werror", "-o", str(out), str(source)],
                                  capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, done.stderr
        (header,) = MachO(str(out)).headers
        found = sections(header)
        assert [size for seg, sect, size in found if (seg, sect) == (b"__DATA", b"__interpose")] == [5 * 16]
        assert read_macho(out)[0].arch == arch


@pytest.mark.macos
def test_real_build_on_a_mac(tmp_path: Path) -> None:
    from sipdoctor.reinject.build import build_shim

    slices = read_macho(build_shim(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path)}))
    assert sorted(s.arch for s in slices) == ["arm64", "x86_64"]
    for s in slices:
        assert s.signature is not None and s.signature.flags & CS_ADHOC and not s.signature.flags & CS_RUNTIME


@pytest.mark.macos
def test_a_real_sip_hop_is_crossed_on_a_mac(tmp_path: Path) -> None:
    """/bin/sh is SIP-protected: dyld prunes DYLD_* there; the python3 shim below it restores them."""
    python_dir = tmp_path / "py"
    python_dir.mkdir()
    (python_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    env = {"PATH": f"{python_dir}:/usr/bin:/bin", "DYLD_SIPDOCTOR_TEST": "kept byte for byte",
           "SIPDOCTOR_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    child = "import os; print(os.environ.get('DYLD_SIPDOCTOR_TEST'))"
    line = f'python3 -c "{child}"'
    plain = subprocess.run(["/bin/sh", "-c", line], env=env, capture_output=True, text=True, check=True)
    assert plain.stdout == "None\n"
    done = subprocess.run([sys.executable, "-m", "sipdoctor", "run", "-q", "--", "/bin/sh", "-c", line], env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout == "kept byte for byte\n"


def test_shim_skips_an_x86_64_target_with_an_arm64_only_library(zig_cache: Path, tmp_path: Path) -> None:
    """The shim's Mach-O reading, run here: an x86_64-only program (Rosetta on Apple silicon) cannot load an
    arm64-only library, so nothing is restored (dyld would terminate it); a universal library is fine."""
    if not sys.platform.startswith("linux"):
        pytest.skip("runs the Linux shim on Mach-O files")
    from sipdoctor.reinject.build import build_shim
    from sipdoctor.reinject.shimdir import make_shim_dir
    from sipdoctor.trace.shim_events import read_events
    from tests.binaries.conftest import PLAIN_C
    from tests.binaries.conftest import zig_build as zig_program
    from tests.trace.trace_helpers import zig_build

    real = tmp_path / "real"
    real.mkdir()
    target = real / "tool"
    target.write_bytes(zig_program(PLAIN_C, "x86_64-macos").read_bytes())
    target.chmod(0o755)
    arm64_lib = zig_build("aarch64-macos", zig_cache, "-dynamiclib", suffix=".dylib")
    both = universal([arm64_lib, zig_build("x86_64-macos", zig_cache, "-dynamiclib", suffix=".dylib")],
                     tmp_path / "both.dylib")
    shim_dir = make_shim_dir(build_shim(env={**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path / "cache")}), ["tool"])
    outcomes = []
    for library in (arm64_lib, both):
        log = tmp_path / f"{library.name}.log"
        env = {"PATH": f"{shim_dir}:{real}", "SIPDOCTOR_REINJECT": str(shim_dir), "SIPDOCTOR_REINJECT_LOG": str(log),
               "SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES": str(library)}
        subprocess.run(["tool"], executable=str(shim_dir / "tool"), env=env, capture_output=True, check=False)
        first = read_events(log)[0]
        outcomes.append((first.outcome, first.detail.split(":")[0]))
    assert outcomes == [("skipped", "architecture"), ("restored", "DYLD_INSERT_LIBRARIES")]


@pytest.mark.macos
def test_samply_copy_is_restored_on_a_mac(tmp_path: Path) -> None:
    """`sipdoctor run` outside the profiler: nothing of ours saved, but samply's __XPC_ copy survives /bin/sh and
    the shim restores DYLD_INSERT_LIBRARIES from it."""
    from sipdoctor.reinject.build import build_hook, build_shim
    from sipdoctor.reinject.shimdir import make_shim_dir

    cache = {**os.environ, "SIPDOCTOR_CACHE_DIR": str(tmp_path / "cache")}
    library = str(build_hook(env=cache))  # any loadable dylib stands in for samply's
    shim_dir = make_shim_dir(build_shim(env=cache), ["python3"])
    python_dir = tmp_path / "py"
    python_dir.mkdir()
    (python_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    env = {"PATH": f"{shim_dir}:{python_dir}:/usr/bin:/bin", "SIPDOCTOR_REINJECT": str(shim_dir),
           "__XPC_DYLD_INSERT_LIBRARIES": library, "HOME": str(tmp_path)}
    child = "import os; print(os.environ.get('DYLD_INSERT_LIBRARIES'))"
    done = subprocess.run(["/bin/sh", "-c", f'python3 -c "{child}"'], env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout == f"{library}\n"
