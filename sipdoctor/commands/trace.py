"""`sipdoctor trace -- CMD ARGS...`: run a command with the probe injected and show which processes it reached."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from sipdoctor.commands.options import ColorMode, ColorOpt, TraceFormat, TraceFormatOpt
from sipdoctor.errors import InputError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sipdoctor.model import Finding
    from sipdoctor.trace.model import TraceResult

CONTEXT_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}
"""Register with app.command("trace", context_settings=CONTEXT_SETTINGS) so that the command's own
options (`trace python -c ...`) are not taken for sipdoctor's; `trace -- CMD ARGS...` works either way."""

CommandArg = Annotated[
    list[str] | None, typer.Argument(help="The command to run under the probe (put it after `--`).", show_default=False)
]
SampleOpt = Annotated[bool, typer.Option("--sample", help="Trace the bundled sample benchmark instead of a command.")]
EmulateOpt = Annotated[
    bool,
    typer.Option("--emulate-sip", help="Linux: behave as macOS would, stripping the probe from macOS system binaries."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write the report to this file (default: human on stderr, the other formats on stdout)."),
]


def trace(
    command: CommandArg = None,
    sample: SampleOpt = False,
    emulate_sip: EmulateOpt = False,
    output: OutputOpt = None,
    output_format: TraceFormatOpt = None,
    color: ColorOpt = ColorMode.AUTO,
) -> int:
    """Run a command with the profiler-style probe injected and show which processes it reached.

    Exits with the command's exit status (128 + N when signal N ended it).
    """
    from sipdoctor.commands.progress import progress
    from sipdoctor.trace.build import build_probe
    from sipdoctor.trace.session import run_trace

    argv, skipped = _what_to_run(command or [], sample)
    if emulate_sip and sys.platform == "darwin":
        raise InputError("--emulate-sip emulates macOS on Linux; on a Mac, SIP itself strips the probe")
    with progress("Compiling the probe library (first use)...", enabled=(output_format or "human") == "human"):
        probe = build_probe()
    result = run_trace(argv, emulate_sip=emulate_sip, compare=not sample, probe=probe)
    result.skipped = skipped
    _report(result, output_format or TraceFormat.HUMAN, color, output)
    return result.exit_code


def _what_to_run(command: list[str], sample: bool) -> tuple[list[str], list[str]]:
    from sipdoctor.trace.sample import available_shapes, sample_command

    if sample and command:
        raise InputError("give either a command or --sample, not both")
    if sample:
        shapes, skipped = available_shapes()
        return sample_command(shapes), skipped
    if not command:
        raise InputError("no command to trace: `sipdoctor trace -- CMD ARGS...`, or `sipdoctor trace --sample`")
    return list(command), []


def _report(result: TraceResult, fmt: TraceFormat, color: ColorMode, output: Path | None) -> None:
    from sipdoctor.render.terminal import make_console, use_ascii
    from sipdoctor.render.trace import render_github, render_trace, trace_json

    findings = trace_findings(result)
    if fmt == TraceFormat.JSON:
        _write(json.dumps(trace_json(result, findings), indent=2) + "\n", output, sys.stdout)
    elif fmt == TraceFormat.GITHUB:
        _write(render_github(result, findings), output, sys.stdout)
    elif fmt == TraceFormat.SARIF:
        from sipdoctor.advice.loader import load_rules
        from sipdoctor.commands.output import sarif_report

        _write(sarif_report(findings, load_rules(), None), output, sys.stdout)
    elif output is not None:
        _write(_plain(render_trace(result, findings, ascii_only=True)), output, sys.stderr)
    else:
        console = make_console(color.value, stderr=True)
        console.print(render_trace(result, findings, ascii_only=use_ascii(console), width=console.width), crop=False)


def trace_findings(result: TraceResult) -> list[Finding]:
    """The rules that read the `trace` facts, applied to this trace (rules/trace.yml and the user's own)."""
    from sipdoctor.advice.engine import evaluate_all
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.system import System
    from sipdoctor.trace.facts import trace_facts

    rules = [r for r in load_rules().rules if "trace" in r.reads]
    findings, failures = evaluate_all(rules, trace_facts(result, System.real()))
    for failure in failures:
        print(f"sipdoctor: warning: {failure.line()}", file=sys.stderr)
    return findings


def _plain(renderable: RenderableType) -> str:
    from rich.console import Console

    console = Console(no_color=True, width=100, record=True, file=io.StringIO())
    console.print(renderable, crop=False)
    return console.export_text()


def _write(text: str, output: Path | None, stream: TextIO) -> None:
    if output is None:
        stream.write(text)
        stream.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=output) from exc
