"""What a runner predicts a program starts (sipdoctor.chains.runners and python_runners)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sipdoctor.chains.context import Context
from sipdoctor.chains.execchain import Followed


@dataclass(frozen=True)
class Spawn:
    """A child the program starts: an argv, or a shell script the program runs in-process (yarn 2+)."""

    ctx: Context
    why: str
    argv: tuple[str, ...] = ()
    inline_script: str | None = None
    filtered_by: str | None = None
    """Why the child starts without the profiler's variable although its parent had it: the program cleared
    its environment (turbo's strict env mode). Nothing can put it back, not even a re-arming profiler."""


Handler = Callable[[tuple[str, ...], Followed], tuple[list[Spawn], list[str]]]
"""A runner: (the program's argv, how it was reached) -> (its children, notes on what was not predicted)."""
