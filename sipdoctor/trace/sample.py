"""The bundled sample benchmark (`sipdoctor trace --sample`), in the shapes of the CodSpeed docs:

- direct: the interpreter started directly (profiled everywhere);
- bash -c: the same through /bin/bash -c (stripped on a Mac: bash is SIP-protected, python runs unseen);
- env + sh shim: a package-manager-style chain, /usr/bin/env -> package manager -> /bin/sh -> a shim script
  -> two workers (all below env unseen on a Mac).

The files live in sipdoctor/trace/sample/; the interpreter is the one running sipdoctor, so it is never a
protected system binary.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SHAPE_TOOLS = {
    "direct": (),
    "bash -c": ("/bin/bash",),
    "env + sh shim": ("/usr/bin/env", "/bin/sh"),
}


def available_shapes() -> tuple[list[str], list[str]]:
    """(shapes to run, shapes skipped with the missing tool named)."""
    run, skipped = [], []
    for shape, tools in SHAPE_TOOLS.items():
        missing = [tool for tool in tools if not os.access(tool, os.X_OK)]
        if missing:
            skipped.append(f"{shape} (no {', '.join(missing)})")
        else:
            run.append(shape)
    return run, skipped


def sample_command(shapes: list[str]) -> list[str]:
    return [sys.executable, str(SAMPLE_DIR / "driver.py"), *shapes]
