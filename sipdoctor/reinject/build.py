"""Build the shim (native/sipdoctor_shim.c) and the opt-in exec hook (native/sipdoctor_hook.c) once per source
hash and machine, into the same cache as the probe (sipdoctor.trace.build).

macOS: the shim is a universal arm64 + x86_64 executable, ad-hoc signed without the hardened runtime, so dyld
keeps DYLD_* in it (docs/reinjection.md); the hook is a universal dylib like the probe. Linux: an ELF.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
from pathlib import Path

from sipdoctor.trace.build import (
    ProbeBuildError,
    Toolchain,
    build_atomically,
    cache_root,
    check_insertable,
    find_toolchain,
    first_that_works,
    run_tool,
    source_dir,
)

SHIM_SOURCE = "sipdoctor_shim.c"
HOOK_SOURCE = "sipdoctor_hook.c"


def _key(source: str) -> str:
    digest = hashlib.sha256((source_dir() / source).read_bytes()).hexdigest()[:16]
    return f"{digest}-{platform.machine() or 'unknown'}"


def shim_path(env: dict[str, str] | None = None) -> Path:
    return cache_root(env) / "shim" / _key(SHIM_SOURCE) / "sipdoctor-shim"


def hook_path(env: dict[str, str] | None = None) -> Path:
    suffix = ".dylib" if _is_macos() else ".so"
    return cache_root(env) / "hook" / _key(HOOK_SOURCE) / f"libsipdoctor_hook{suffix}"


def _is_macos() -> bool:
    import sys

    return sys.platform == "darwin"


def shim_commands(tc: Toolchain, source: Path, output: Path) -> list[list[str]]:
    """Compile (universal first, host-only as a fallback), then sign ad hoc without `--options runtime`."""
    common = ["-O2", "-Wall", "-o", str(output), str(source)]
    if not tc.is_macos:
        return [[tc.compiler, *common]]
    return [[tc.compiler, "-arch", "arm64", "-arch", "x86_64", *common], [tc.compiler, *common]]


def hook_commands(tc: Toolchain, source: Path, output: Path) -> list[list[str]]:
    common = ["-O2", "-Wall", "-o", str(output), str(source)]
    if not tc.is_macos:
        return [[tc.compiler, "-shared", "-fPIC", *common, "-ldl"]]
    return [[tc.compiler, "-dynamiclib", "-arch", "arm64", "-arch", "x86_64", *common],
            [tc.compiler, "-dynamiclib", *common]]


def _sign_ad_hoc(path: Path) -> None:
    """`codesign -s -`: an ad-hoc signature with no flags (no `runtime`), replacing the linker's."""
    codesign = shutil.which("codesign") or "/usr/bin/codesign"
    done = run_tool([codesign, "--force", "--sign", "-", str(path)], "re-injection shim")
    if done.returncode != 0:
        raise ProbeBuildError(f"signing the shim ad hoc failed: {done.stderr.strip()}")


def _build(target: Path, source: str, what: str, *, force: bool, env: dict[str, str] | None) -> Path:
    if target.is_file() and not force:
        return target
    tc = find_toolchain(env)

    def make(partial: Path) -> None:
        commands = shim_commands if source == SHIM_SOURCE else hook_commands
        first_that_works(commands(tc, source_dir() / source, partial), what)
        if tc.is_macos and source == SHIM_SOURCE:
            _sign_ad_hoc(partial)

    return build_atomically(target, what, make)


def build_shim(*, force: bool = False, env: dict[str, str] | None = None) -> Path:
    return _build(shim_path(env), SHIM_SOURCE, "re-injection shim", force=force, env=env)


def build_hook(*, force: bool = False, env: dict[str, str] | None = None) -> Path:
    target = hook_path(env)
    check_insertable(target)
    return _build(target, HOOK_SOURCE, "exec hook library", force=force, env=env)
