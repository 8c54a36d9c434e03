"""Helpers shared by the trace tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sipdoctor.trace.build import SOURCE_NAME, source_dir
from sipdoctor.trace.model import Node, TraceResult

LINUX = sys.platform.startswith("linux")


def find(result: TraceResult, predicate: Callable[[Node], bool]) -> list[Node]:
    return [n for n in result.nodes() if predicate(n)]


def by_arg(result: TraceResult, needle: str) -> list[Node]:
    """Nodes with needle as one of their arguments."""
    return find(result, lambda n: needle in n.argv)


def zig_build(target: str, cache: Path, *flags: str, suffix: str) -> Path:
    """Cross-compile the probe with `zig cc` (warnings are errors), cached by target, flags and source hash."""
    source = source_dir() / SOURCE_NAME
    digest = hashlib.sha256(source.read_bytes() + " ".join(flags).encode()).hexdigest()[:16]
    output = cache / f"libsipdoctor_probe-{target}-{digest}{suffix}"
    if not output.exists():
        partial = output.with_name(f"{output.name}.{os.getpid()}.tmp")  # xdist workers may build it at once
        argv = [sys.executable, "-m", "ziglang", "cc", "-target", target, *flags, "-O2", "-Wall", "-Wextra",
                "-Werror", "-o", str(partial), str(source)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        os.replace(partial, output)
    return output
