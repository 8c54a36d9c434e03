"""Progress for work that takes a while: a spinner on standard error, shown only after a second.

Only on a terminal: never when standard error is a pipe or a file, never in CI logs, and never for a machine
format (the caller passes `enabled=False`), so JSON, SARIF and piped output stay exactly what they were.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DELAY = 1.0


def wanted(enabled: bool = True) -> bool:
    return enabled and sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get("NO_PROGRESS")


@contextmanager
def progress(message: str, *, enabled: bool = True, delay: float = DELAY) -> Iterator[None]:
    if not wanted(enabled):
        yield
        return
    from rich.console import Console

    status = Console(stderr=True).status(message)
    timer = threading.Timer(delay, status.start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        status.stop()
