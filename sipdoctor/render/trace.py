"""Renderers for `sipdoctor trace`: pure functions from a TraceResult to text, Rich text or a JSON dict.

The human tree follows the CodSpeed docs' execution trees: 🔍 for a profiled process, 🔒 for one that
stripped the variable, no marker for a process the profiler does not see.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sipdoctor.model import SCHEMA_VERSION, Verdict
from sipdoctor.render.terminal import UNPROFILED_MARKER, VERDICT_STYLES, verdict_marker

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Group, RenderableType

    from sipdoctor.model import Finding
    from sipdoctor.trace.model import Node, TraceResult

LABEL_WIDTH = 48

STATE_VERDICT = {
    "profiled": Verdict.PROFILED,
    "stripped": Verdict.STRIPPED,
    "ignored": Verdict.IGNORED,
    "load-fails": Verdict.LOAD_FAILS,
}


# ---------------------------------------------------------------------------------------------------
# JSON (schema: sipdoctor/schemas/trace.schema.json)


def trace_json(result: TraceResult, findings: Sequence[Finding] = ()) -> dict[str, Any]:
    coverage = result.coverage
    fraction = coverage.cpu_profiled_fraction
    return {
        "schema_version": SCHEMA_VERSION,
        "command": list(result.command),
        "exit_code": result.exit_code,
        "processes": [_process_json(node) for node in result.nodes()],
        "coverage": {
            "processes_profiled": coverage.processes_profiled,
            "processes_total": coverage.processes_total,
            "cpu_profiled_fraction": None if fraction is None else round(fraction, 4),
        },
        "missed_estimate": result.missed_estimate,
        "incomplete": result.incomplete,
        "findings": [f.to_json() for f in findings],
        **({} if result.shim_events is None else {"reinject": {
            "events": [e.to_json() for e in result.shim_events], "notes": list(result.reinject_notes)}}),
    }


def _process_json(node: Node) -> dict[str, Any]:
    return {
        "pid": node.pid,
        "ppid": node.ppid,
        "exe": node.exe,
        "argv": list(node.argv),
        "state": node.state.value,
        "cause": node.cause,
        "cpu_seconds": round(node.cpu_seconds, 4),
        **({} if node.shim is None else {"shim": node.shim.to_json()}),
        **({"is_shim": True} if node.is_shim else {}),
    }


# ---------------------------------------------------------------------------------------------------
# Human


def node_marker(node: Node, *, ascii_only: bool) -> str:
    verdict = STATE_VERDICT.get(node.state.value)
    if verdict is None:
        emoji, text = UNPROFILED_MARKER
        return text if ascii_only else emoji
    return verdict_marker(verdict, ascii_only=ascii_only)


def _short(word: str) -> str:
    """An argument as a reader wants it: system paths in full (/bin/bash), other paths by their name."""
    if word.startswith("/") and not word.startswith(("/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/")):
        return word.rsplit("/", 1)[-1] or word
    return word


def node_label(node: Node) -> str:
    label = shlex.join(_short(w) for w in node.argv) if node.argv else node.exe
    label = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 3] + "..."
    if node.shim is not None:
        label += f"  [shim: {node.shim.outcome}]"
    if node.is_shim:
        label += "  (the shim)"
    return label


@dataclass(frozen=True)
class Row:
    head: str
    """Tree prefix, marker and label."""
    cpu: str
    cause: str | None
    """Shown under the node for the processes that lost the probe themselves (not for the unprofiled)."""
    cause_prefix: str
    style: str


def tree_rows(result: TraceResult, *, ascii_only: bool) -> list[Row]:
    total = result.coverage.cpu_total
    branch, last, pipe = ("|-- ", "`-- ", "|   ") if ascii_only else ("├── ", "└── ", "│   ")
    rows: list[Row] = []

    def visit(node: Node, prefix: str, connector: str, child_prefix: str) -> None:
        verdict = STATE_VERDICT.get(node.state.value)
        share = f"{100 * node.cpu_seconds / total:3.0f}%" if total > 0 else ""
        cause = node.cause if node.state.value != "unprofiled" else None
        rows.append(Row(f"{prefix}{connector}{node_marker(node, ascii_only=ascii_only)} {node_label(node)}",
                        f"{node.cpu_seconds:6.2f}s {share}", cause,
                        child_prefix + (pipe if node.children else "    "),
                        VERDICT_STYLES[verdict] if verdict else "dim"))
        for i, child in enumerate(node.children):
            is_last = i == len(node.children) - 1
            visit(child, child_prefix, last if is_last else branch, child_prefix + ("    " if is_last else pipe))

    for root in result.roots:
        visit(root, "", "", "")
    return rows


def summary_lines(result: TraceResult) -> list[str]:
    """Coverage, where the CPU time went blind and what to do, what may have been missed."""
    cov = result.coverage
    fraction = cov.cpu_profiled_fraction
    cpu = "no CPU time measured" if fraction is None else (
        f"{100 * fraction:.0f}% of CPU time ({cov.cpu_profiled:.2f}s of {cov.cpu_total:.2f}s) profiled")
    lines = [f"Coverage: {cov.processes_profiled} of {cov.processes_total} processes profiled; {cpu}."]
    if result.emulate_sip:
        lines.append("Emulating macOS SIP (--emulate-sip): processes macOS would protect ran without the probe.")
    if result.prediction_differences:
        lines.append("The trace differs from the prediction (sipdoctor explain):")
        lines += [f"  - {difference}" for difference in result.prediction_differences]
    elif result.prediction_differences is not None:
        lines.append("The trace agrees with the prediction (sipdoctor explain) for every predicted program.")
    lines += reinject_lines(result)
    if result.skipped:
        lines.append("Sample shapes skipped (tool missing here): " + ", ".join(result.skipped) + ".")
    if result.malformed_records:
        lines.append(f"Warning: {result.malformed_records} probe records could not be read.")
    return lines


def reinject_lines(result: TraceResult) -> list[str]:
    """trace --reinject: what the shims did (covered) and what still ran without the profiler (remaining)."""
    if result.shim_events is None:
        return []
    events = result.shim_events
    restored = [e for e in events if e.outcome == "restored"]
    lines = [f"Re-injection (--reinject): {len(events)} shim runs, {len(restored)} restored the variables."]
    for outcome in ("restored", "present", "skipped", "nothing-saved", "not-found", "exec-failed"):
        counts: dict[str, int] = {}
        for event in events:
            if event.outcome == outcome:
                counts[event.sentence()] = counts.get(event.sentence(), 0) + 1
        lines += [f"  {outcome}: {text}" + (f" (x{n})" if n > 1 else "") for text, n in counts.items()]
    remaining = [(node, cpu) for node, cpu in result.blind_spots() if cpu > 0]
    if remaining:
        lines.append("Remaining blind spots: " + "; ".join(
            f"{node.exe or '?'} (pid {node.pid}, {cpu:.2f}s)" for node, cpu in remaining[:5]) + ".")
    else:
        lines.append("Remaining blind spots: none with CPU time.")
    lines += [f"  {note}" for note in result.reinject_notes]
    return lines


def render_trace(result: TraceResult, findings: Sequence[Finding] = (), *, ascii_only: bool,
                 width: int = 100) -> Group:
    from rich.console import Group
    from rich.text import Text

    from sipdoctor.render.findings import render_finding

    text = Text()
    rows = tree_rows(result, ascii_only=ascii_only)
    cpu_width = max((len(row.cpu) for row in rows), default=0) + 2
    head = min(max((len(row.head) for row in rows), default=0), max(24, width - cpu_width - 1))
    for row in rows:
        text.append(_fit(row.head, head, ascii_only).ljust(head), style=row.style)
        text.append(f"  {row.cpu}\n", style=row.style)  # the marker names the state
        if row.cause:
            text.append(f"{row.cause_prefix}  {row.cause}\n", style="dim")
    text.append("\n")
    text.append("\n".join(summary_lines(result)))
    parts: list[RenderableType] = [text]
    if findings:
        parts.append(Text(""))
    parts.extend(render_finding(f, ascii_only, width) for f in findings)
    return Group(*parts)


def _fit(head: str, width: int, ascii_only: bool) -> str:
    """A tree row cut to the column, so that a deep tree keeps one line per process and its CPU column."""
    if len(head) <= width:
        return head
    ellipsis = "..." if ascii_only else "\u2026"
    return head[:width - len(ellipsis)] + ellipsis


def render_github(result: TraceResult, findings: Sequence[Finding] = ()) -> str:
    """Workflow-command annotations: one per finding, then a notice with the coverage."""
    from sipdoctor.render.findings import annotation

    out = [annotation(f) for f in findings]
    out.append(f"::notice title=sipdoctor trace::{summary_lines(result)[0]}")
    return "\n".join(out) + "\n"
