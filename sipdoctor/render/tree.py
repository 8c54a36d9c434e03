"""The predicted process tree as text, drawn like the CodSpeed docs' execution trees (pure: data in, lines out).

One line per process: a marker (🔍 profiled, 🔒 stripped, ...; `[profiled]` in ASCII), the command as the
process was started, the images the process went through when it exec'd more than one, and the reason.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from sipdoctor.chains.predict import Prediction
from sipdoctor.chains.tree import NOT_PROFILED, Hop, Process
from sipdoctor.model import Verdict
from sipdoctor.render.terminal import UNPROFILED_MARKER, verdict_marker

MAX_LABEL = 100


@dataclass(frozen=True)
class TreeLine:
    text: str
    status: str
    """A verdict word or "not-profiled": the renderer that prints picks the colour from it."""


def marker(status: str, *, ascii_only: bool) -> str:
    if status == NOT_PROFILED:
        return UNPROFILED_MARKER[1] if ascii_only else UNPROFILED_MARKER[0]
    return verdict_marker(Verdict(status), ascii_only=ascii_only)


def process_status(process: Process) -> tuple[str, Hop | None]:
    """The status shown for a process, and the hop that decides it (a stripping hop wins over the rest)."""
    for hop in process.chain:
        if hop.status in (Verdict.STRIPPED.value, Verdict.LOAD_FAILS.value):
            return hop.status, hop
    if not process.chain:
        return Verdict.UNKNOWN.value, None
    last = process.chain[-1]
    return last.status or last.verdict.value, last


def reason(hop: Hop | None) -> str:
    if hop is None:
        return "nothing to run"
    if hop.status == NOT_PROFILED:
        return f"not profiled: {hop.cause} removed the variable upstream"
    if hop.reinjected:
        return f"profiled: the profiler re-injects at {hop.name}"
    if not hop.path:
        return hop.reasons[0].message if hop.reasons else "not found"
    if hop.reasons and hop.status != Verdict.PROFILED.value:
        return hop.reasons[0].message
    return hop.status


def label(process: Process) -> str:
    if not process.chain:
        return "(nothing)"
    first = process.chain[0]
    argv = list(process.argv or first.argv) or [first.path]
    text = shlex.join(argv)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def chain_text(process: Process, *, ascii_only: bool) -> str:
    if len(process.chain) < 2:
        return ""
    arrow = " -> " if ascii_only else " → "
    return "  [" + arrow.join(f"{marker(h.status, ascii_only=ascii_only)} {h.path or h.argv[0]}"
                              for h in process.chain) + "]"


def render_process(process: Process, *, ascii_only: bool, prefix: str = "", last: bool = True,
                   root: bool = True) -> list[TreeLine]:
    status, deciding = process_status(process)
    branch = "" if root else (("`-- " if last else "|-- ") if ascii_only else ("└── " if last else "├── "))
    text = (f"{prefix}{branch}{marker(status, ascii_only=ascii_only)} {label(process)}"
            f"{chain_text(process, ascii_only=ascii_only)}  — {reason(deciding)}")
    lines = [TreeLine(text if not ascii_only else text.replace("—", "--"), status)]
    inner = prefix if root else prefix + ("    " if last else ("|   " if ascii_only else "│   "))
    for note in process.notes:
        lines.append(TreeLine(f"{inner}  note: {note}", Verdict.UNKNOWN.value))
    for index, child in enumerate(process.children):
        lines.extend(render_process(child, ascii_only=ascii_only, prefix=inner,
                                    last=index == len(process.children) - 1, root=False))
    return lines


def render_prediction(prediction: Prediction, *, ascii_only: bool) -> list[TreeLine]:
    lines = [TreeLine(f"$ {prediction.command}", "")]
    for root in prediction.roots:
        lines.extend(render_process(root, ascii_only=ascii_only))
    lines.extend(TreeLine(f"note: {note}", Verdict.UNKNOWN.value) for note in prediction.notes)
    return lines
