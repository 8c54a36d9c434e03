"""Helpers shared by the trace tests."""

from __future__ import annotations

import sys
from collections.abc import Callable

from sipdoctor.trace.model import Node, TraceResult

LINUX = sys.platform.startswith("linux")


def find(result: TraceResult, predicate: Callable[[Node], bool]) -> list[Node]:
    return [n for n in result.nodes() if predicate(n)]


def by_arg(result: TraceResult, needle: str) -> list[Node]:
    """Nodes with needle as one of their arguments."""
    return find(result, lambda n: needle in n.argv)
