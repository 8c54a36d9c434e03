"""The shim directory: hard links to the one shim binary, one per program name (a copy where a hard link
cannot be made; Bear's wrapper directory does the same). Kept in the cache beside the binary, named by the
set of names, created atomically: a running command keeps using it after `sipdoctor run` has exec'd."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sipdoctor.errors import ConfigError


def valid_name(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..") and "\0" not in name


def make_shim_dir(shim: Path, names: Iterable[str]) -> Path:
    chosen = sorted({n for n in names if valid_name(n)})
    if ":" in str(shim.parent):
        raise ConfigError(f"the shim directory {shim.parent} contains ':', which PATH cannot hold; "
                          "set SIPDOCTOR_CACHE_DIR to another directory")
    key = hashlib.sha256("\0".join(chosen).encode()).hexdigest()[:16]
    parent = shim.parent / "dirs"
    target = parent / key
    if target.is_dir():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=parent, prefix=".partial-"))
    try:
        for name in chosen:
            try:
                os.link(shim, partial / name)
            except OSError:
                shutil.copy2(shim, partial / name)
        with contextlib.suppress(OSError):  # another sipdoctor made the same directory first
            os.rename(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target
