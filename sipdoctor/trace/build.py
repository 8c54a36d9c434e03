"""Find the probe's C sources, compile them once per source hash and architecture, and say where it lives.

The compiled library goes to platformdirs' user cache dir (or $SIPDOCTOR_CACHE_DIR). Its path is what the
profiler-style injection variable will carry, so it must be a path dyld can take: no spaces
(plasma-umass/scalene#537) and no colons (the variables' separator).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sipdoctor.errors import ConfigError, SipdoctorError
from sipdoctor.system import CommandResult, run_bounded

SOURCE_NAME = "sipdoctor_probe.c"
CACHE_ENV = "SIPDOCTOR_CACHE_DIR"
COMPILE_SECONDS = 120
"""A compiler that hangs (a broken CC wrapper waiting for input, a stuck license check) must not hang trace."""
# Linux: every process of a trace loads the probe, so it is linked to be cheap to load: two segments instead
# of four and no RELRO (each is one mapping less to create, copy at fork and tear down at exit), no C
# runtime start files (their weak symbols cost failed lookups at load; the probe registers no atexit
# handlers). About 15 us per process on a fork+exec loop (bench/bench_trace.py). Dropped, with a plain link
# as the fallback, when a linker refuses them.
LEAN_LINK = ("-nostartfiles", "-Wl,-z,noseparate-code", "-Wl,-z,norelro")


class ProbeBuildError(SipdoctorError):
    """The probe cannot be compiled on this machine."""


@dataclass(frozen=True)
class Toolchain:
    compiler: str
    is_macos: bool

    @property
    def suffix(self) -> str:
        return ".dylib" if self.is_macos else ".so"


def source_dir() -> Path:
    """native/ in a source checkout, sipdoctor/_native in a wheel (pyproject's force-include)."""
    packaged = Path(str(resources.files("sipdoctor").joinpath("_native")))
    checkout = Path(__file__).resolve().parents[2] / "native"
    for candidate in (packaged, checkout):
        if (candidate / SOURCE_NAME).is_file():
            return candidate
    raise ProbeBuildError(f"the probe sources ({SOURCE_NAME}) are missing from this installation: reinstall sipdoctor")


def source_hash(directory: Path) -> str:
    """The cache key of a build: the sources and the link recipe."""
    digest = hashlib.sha256(" ".join(LEAN_LINK).encode() + b"\0")
    for path in sorted(directory.glob("*.[ch]")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root(env: dict[str, str] | None = None) -> Path:
    from sipdoctor.system import cache_dir

    return cache_dir(env)


def check_insertable(path: Path) -> None:
    """dyld and ld.so split their variables on ':' (and ld.so on spaces), and dyld fails on spaces."""
    bad = [c for c in (" ", ":", "\t") if c in str(path)]
    if bad:
        raise ConfigError(
            f"the probe path {str(path)!r} contains {bad[0]!r}, which the loader cannot take in its injection "
            f"variable (scalene#537); set {CACHE_ENV} to a directory without spaces or colons",
        )


def find_toolchain(env: dict[str, str] | None = None) -> Toolchain:
    env = dict(os.environ) if env is None else env
    is_macos = sys.platform == "darwin"
    for name in (env.get("CC", ""), "cc", "clang", "gcc"):
        found = shutil.which(name, path=env.get("PATH")) if name else None
        if found:
            return Toolchain(found, is_macos)
    fix = (
        "run `xcode-select --install` to get the Command Line Tools"
        if is_macos
        else "install your distribution's C compiler (Debian/Ubuntu: `apt-get install gcc libc6-dev`; "
        "Fedora: `dnf install gcc`; Alpine: `apk add build-base`)"
    )
    raise ProbeBuildError(f"no C compiler found to build the probe library; {fix}, or set CC")


def probe_path(env: dict[str, str] | None = None) -> Path:
    """Where the probe for these sources and this architecture is (or will be) cached."""
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    key = f"{source_hash(source_dir())}-{platform.machine() or 'unknown'}"
    return cache_root(env) / "probe" / key / f"libsipdoctor_probe{suffix}"


def compile_command(tc: Toolchain, source: Path, output: Path, *, universal: bool = True, lean: bool = True
                    ) -> list[str]:
    common = ["-O2", "-Wall", "-o", str(output), str(source)]
    if tc.is_macos:
        arches = ["-arch", "arm64", "-arch", "x86_64"] if universal else []
        return [tc.compiler, "-dynamiclib", *arches, *common]
    return [tc.compiler, "-shared", "-fPIC", *(LEAN_LINK if lean else ()), *common, "-ldl"]


def _compile(tc: Toolchain, source: Path, output: Path) -> None:
    attempts = [compile_command(tc, source, output)]
    if tc.is_macos:  # a toolchain without one of the SDK slices still gets the host architecture
        attempts.append(compile_command(tc, source, output, universal=False))
    else:  # a linker without the lean options still gets a working probe
        attempts.append(compile_command(tc, source, output, lean=False))
    first_that_works(attempts, "probe library")


def run_tool(argv: list[str], what: str) -> CommandResult:
    """Run a compiler or codesign to build `what`; one that hangs is stopped (sipdoctor.system.run_bounded)."""
    try:
        return run_bounded(argv, COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        raise ProbeBuildError(f"building the {what} did not finish within {COMPILE_SECONDS} s and was stopped: "
                              f"$ {' '.join(argv)}") from None
    except OSError as exc:
        raise ProbeBuildError(f"cannot run {argv[0]} to build the {what}: {exc.strerror or exc}") from None


def first_that_works(attempts: list[list[str]], what: str) -> None:
    """Try each command line in turn until one succeeds; else the error lists what each one said."""
    errors = []
    for argv in attempts:
        done = run_tool(argv, what)
        if done.returncode == 0:
            return
        errors.append(f"$ {' '.join(argv)}\n{done.stderr.strip()}")
    raise ProbeBuildError(f"compiling the {what} failed:\n" + "\n".join(errors))


def build_probe(*, force: bool = False, env: dict[str, str] | None = None) -> Path:
    """Return the cached probe library, compiling it first if needed (atomically: concurrent builds are safe)."""
    target = probe_path(env)
    check_insertable(target)
    if target.is_file() and not force:
        return target
    tc = find_toolchain(env)
    return build_atomically(target, "probe library", lambda partial: _compile(tc, source_dir() / SOURCE_NAME, partial))


def build_atomically(target: Path, what: str, make: Callable[[Path], None]) -> Path:
    """Build `what` into a temporary file beside `target` with `make`, then rename it into place (concurrent
    builds are safe; a failed one leaves nothing behind)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            partial = Path(tmp) / target.name
            make(partial)
            os.replace(partial, target)
    except OSError as exc:  # a read-only cache, XDG_CACHE_HOME naming a file, a HOME that does not exist
        raise ConfigError(f"cannot write the {what} under {exc.filename or target.parent}: {exc.strerror or exc}; "
                          f"set {CACHE_ENV} to a writable directory") from None
    return target
