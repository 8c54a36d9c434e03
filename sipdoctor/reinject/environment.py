"""The variables `sipdoctor run` saves, and the environment the command starts with.

dyld removes only variables whose names begin with `DYLD_`, and only as a restricted process starts
(docs/reinjection.md), so a copy under another name rides through every protected hop. Each one is saved as
SIPDOCTOR_SAVED_<NAME>, byte for byte; the shim (native/sipdoctor_shim.c) restores what is missing. On Linux,
LD_PRELOAD is saved too: it is what `--emulate-sip` strips, and what secure-execution mode drops.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SAVED_PREFIX = "SIPDOCTOR_SAVED_"  # native/sipdoctor_shim.c SAVED_PREFIX
DIR_ENV = "SIPDOCTOR_REINJECT"
LOG_ENV = "SIPDOCTOR_REINJECT_LOG"
SKIP_ENV = "SIPDOCTOR_REINJECT_SKIP"
HOOK_SHELL_ENV = "SIPDOCTOR_HOOK_SHELL"  # native/sipdoctor_hook.c
INSERT = "DYLD_INSERT_LIBRARIES"
FOREIGN_COPIES = ("SAMPLY_DYLD_INSERT_LIBRARIES", "__XPC_DYLD_INSERT_LIBRARIES")
"""Copies profilers keep themselves: CodSpeed's samply fork, and upstream samply's XPC copy."""


def inject_var() -> str:
    return INSERT if sys.platform == "darwin" else "LD_PRELOAD"


def is_saved_name(name: str) -> bool:
    return name.startswith("DYLD_") or name == inject_var()


@dataclass(frozen=True)
class Saved:
    env: dict[str, str]
    names: tuple[str, ...]
    """What was saved, in words: `DYLD_INSERT_LIBRARIES`, or `DYLD_INSERT_LIBRARIES (from __XPC_...)`."""


def save(env: Mapping[str, str]) -> Saved:
    out = {k: v for k, v in env.items() if not k.startswith(SAVED_PREFIX)}
    names = []
    for name, value in env.items():
        if is_saved_name(name):
            out[SAVED_PREFIX + name] = value
            names.append(name)
    if INSERT not in env:
        foreign = next((f for f in FOREIGN_COPIES if env.get(f)), None)
        if foreign is not None:
            out[SAVED_PREFIX + INSERT] = env[foreign]
            names.append(f"{INSERT} (from {foreign})")
    return Saved(out, tuple(sorted(names)))


def with_shims(env: Mapping[str, str], shim_dir: str, *, skip: Sequence[str] = (), log: str | None = None
               ) -> dict[str, str]:
    """The shim directory first on PATH, and what the shims read."""
    out = dict(env)
    path = env.get("PATH", os.defpath)  # no PATH: execvp's default search, kept after the shims
    out["PATH"] = f"{shim_dir}:{path}" if path else shim_dir
    out[DIR_ENV] = shim_dir
    if skip:
        out[SKIP_ENV] = ":".join(skip)
    else:
        out.pop(SKIP_ENV, None)
    if log:
        out[LOG_ENV] = log
    return out
