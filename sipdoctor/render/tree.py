"""The process tree as text, drawn like the CodSpeed docs' execution trees (pure: JSON data in, lines out).

One line per process: a marker (🔍 profiled, 🔒 stripped, ...; `[profiled]` in ASCII), the command as the
process was started, the images the process went through when it exec'd more than one, and the reason. It works
on the JSON form of a prediction (`Prediction.to_json()`, the `tree` of each command in `check`'s facts), so
`explain`, `check` and their JSON agree by construction.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Any

from sipdoctor.chains.tree import FILTERED, NOT_PROFILED
from sipdoctor.model import Verdict
from sipdoctor.render.terminal import UNPROFILED_MARKER, verdict_marker

MAX_LABEL = 100
Json = dict[str, Any]


@dataclass(frozen=True)
class TreeLine:
    text: str
    status: str
    """A verdict word or "not-profiled": the renderer that prints picks the colour from it."""


def marker(status: str, *, ascii_only: bool) -> str:
    if status == NOT_PROFILED:
        return UNPROFILED_MARKER[1] if ascii_only else UNPROFILED_MARKER[0]
    return verdict_marker(Verdict(status), ascii_only=ascii_only)


def process_status(process: Json) -> tuple[str, Json | None]:
    """The status shown for a process, and the hop that decides it (a stripping hop wins over the rest)."""
    for hop in process["chain"]:
        if hop["verdict"] in (Verdict.STRIPPED.value, Verdict.LOAD_FAILS.value):
            return hop["verdict"], hop
    if not process["chain"]:
        return Verdict.UNKNOWN.value, None
    last: Json = process["chain"][-1]
    return last["verdict"], last


def _name(hop: Json) -> str:
    return os.path.basename(hop["path"] or (hop["argv"][0] if hop["argv"] else ""))


def reason(hop: Json | None) -> str:
    if hop is None:
        return "nothing to run"
    status, reasons = hop["verdict"], hop["reasons"]
    if status == NOT_PROFILED and str(hop["cause"]).startswith(FILTERED):
        return f"not profiled: {hop['cause'][len(FILTERED):]}"
    if status == NOT_PROFILED:
        return f"not profiled: {hop['cause']} removed the variable upstream"
    if hop["reinjected"] and status == Verdict.PROFILED.value:
        return f"profiled: the profiler re-injects at {_name(hop)}"
    if hop["reinjected"] and reasons:
        return f"the profiler re-injects at {_name(hop)}, but {reasons[0]['message']}"
    if not hop["path"]:
        return str(reasons[0]["message"]) if reasons else "not found"
    if reasons and status != Verdict.PROFILED.value:
        return str(reasons[0]["message"])
    return str(status)


def label(process: Json) -> str:
    if not process["chain"]:
        return "(nothing)"
    first = process["chain"][0]
    argv = list(process["argv"] or first["argv"]) or [first["path"]]
    text = shlex.join(argv)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def chain_text(process: Json, *, ascii_only: bool) -> str:
    if len(process["chain"]) < 2:
        return ""
    arrow = " -> " if ascii_only else " → "
    return "  [" + arrow.join(f"{marker(h['verdict'], ascii_only=ascii_only)} {h['path'] or h['argv'][0]}"
                              for h in process["chain"]) + "]"


def render_process(process: Json, *, ascii_only: bool, prefix: str = "", last: bool = True,
                   root: bool = True) -> list[TreeLine]:
    status, deciding = process_status(process)
    branch = "" if root else (("`-- " if last else "|-- ") if ascii_only else ("└── " if last else "├── "))
    text = (f"{prefix}{branch}{marker(status, ascii_only=ascii_only)} {label(process)}"
            f"{chain_text(process, ascii_only=ascii_only)}  — {reason(deciding)}")
    lines = [TreeLine(text if not ascii_only else text.replace("—", "--"), status)]
    inner = prefix if root else prefix + ("    " if last else ("|   " if ascii_only else "│   "))
    for note in process["notes"]:
        lines.append(TreeLine(f"{inner}  note: {note}", Verdict.UNKNOWN.value))
    children = process["children"]
    for index, child in enumerate(children):
        lines.extend(render_process(child, ascii_only=ascii_only, prefix=inner,
                                    last=index == len(children) - 1, root=False))
    return lines


def render_tree(tree: Json, *, ascii_only: bool) -> list[TreeLine]:
    """A prediction in its JSON form: {"command", "children": [process], "notes"}."""
    lines = [TreeLine(f"$ {tree['command']}", "")]
    for root in tree["children"]:
        lines.extend(render_process(root, ascii_only=ascii_only))
    lines.extend(TreeLine(f"note: {note}", Verdict.UNKNOWN.value) for note in tree["notes"])
    return lines
