"""Pure renderers for `sipdoctor explain TARGET`: a BinaryReport to a Rich renderable, or to a JSON dict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sipdoctor.render.terminal import VERDICT_STYLES, verdict_marker

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from sipdoctor.binaries.report import BinaryReport, SliceReport


def report_json(report: BinaryReport) -> dict[str, Any]:
    """The JSON payload of `explain TARGET` (schema: sipdoctor/schemas/explain-file.schema.json)."""
    return report.to_json()


def _headline(report: BinaryReport, ascii_only: bool) -> Text:
    from rich.text import Text

    line = Text()
    line.append(f"{verdict_marker(report.verdict, ascii_only=ascii_only)} ")
    line.append(report.verdict.value, style=VERDICT_STYLES[report.verdict])
    line.append(f"  {report.path}  ({report.kind})")
    if report.target != report.path:
        line.append(f"  for {report.target}", style="dim")
    return line


def _slice_line(piece: SliceReport, ascii_only: bool) -> Text:
    from rich.text import Text

    sig = piece.signature
    evidence = f"flags={sig['flags_text']} team={sig.get('team_id') or 'none'}" if "flags_text" in sig else (
        "unsigned" if not sig.get("present") else f"signature error: {sig.get('error')}")
    entitlements = ", ".join(piece.entitlements) or "none"
    line = Text(f"  {verdict_marker(piece.verdict, ascii_only=ascii_only)} {piece.arch:<8}")
    line.append(f"{piece.verdict.value:<11}", style=VERDICT_STYLES[piece.verdict])
    line.append(f"{piece.filetype:<8} {evidence}  entitlements: {entitlements}")
    return line


def render_report(report: BinaryReport, *, ascii_only: bool, candidates: Sequence[str] = ()) -> RenderableType:
    """Verdict, PATH candidates (first wins), reasons with evidence, slices, and the interpreter chain."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = [_headline(report, ascii_only)]
    if len(candidates) > 0:
        parts.append(Text("PATH order:", style="bold"))
        parts += [Text(f"  {i + 1}. {c}" + ("  (wins)" if i == 0 else "")) for i, c in enumerate(candidates)]
    parts.append(Text("why:", style="bold"))
    parts += [Text(f"  - {reason.code}: {reason.message}") for reason in report.reasons]
    if report.slices:
        parts.append(Text("slices:", style="bold"))
        parts += [_slice_line(piece, ascii_only) for piece in report.slices]
    if report.chain:
        parts.append(Text("chain (what the kernel runs, in order):", style="bold"))
        for index, hop in enumerate(report.chain, start=1):
            hop_line = Text(f"  {index}. ").append_text(_headline(hop, ascii_only))
            parts.append(hop_line)
            parts += [Text(f"       {reason.code}: {reason.message}", style="dim") for reason in hop.reasons]
    return Group(*parts)
