"""All Rich console set-up in one place: colour choice, NO_COLOR, non-TTY, emoji or ASCII markers."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from sipdoctor.model import Verdict

if TYPE_CHECKING:
    from rich.console import Console

VERDICT_MARKERS = {
    Verdict.PROFILED: ("🔍", "[profiled]"),
    Verdict.IGNORED: ("⚪", "[ignored]"),
    Verdict.STRIPPED: ("🔒", "[stripped]"),
    Verdict.LOAD_FAILS: ("💥", "[load-fails]"),
    Verdict.UNKNOWN: ("❔", "[unknown]"),
}
UNPROFILED_MARKER = ("  ", "[not profiled]")
"""A process below a stripping ancestor: the CodSpeed docs draw it with no marker."""

VERDICT_STYLES = {
    Verdict.PROFILED: "green",
    Verdict.IGNORED: "yellow",
    Verdict.STRIPPED: "red",
    Verdict.LOAD_FAILS: "bold red",
    Verdict.UNKNOWN: "magenta",
}


def make_console(color: str = "auto", *, stderr: bool = False) -> Console:
    """A console for stdout (data) or stderr (diagnostics). color: auto | always | never."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    no_color = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    force = True if color == "always" else None
    console = Console(
        file=stream,
        force_terminal=force,
        no_color=no_color,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        width=None if stream.isatty() or force else 100,
    )
    return console


def use_ascii(console: Console) -> bool:
    """Plain ASCII markers when the terminal cannot show emoji or the user asked for no colour."""
    encoding = (console.encoding or "").lower()
    return console.no_color or not console.is_terminal or "utf" not in encoding or console.legacy_windows


def verdict_marker(verdict: Verdict, *, ascii_only: bool) -> str:
    emoji, text = VERDICT_MARKERS[verdict]
    return text if ascii_only else emoji
