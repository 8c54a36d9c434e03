"""`sipdoctor trace -- CMD ARGS...`: run a command with the probe injected and show which processes it reached."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
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
    from sipdoctor.trace.runner import EnvHook

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
ReinjectOpt = Annotated[
    bool,
    typer.Option("--reinject", help="Run it as `sipdoctor run` would (shims restore DYLD_* after SIP's hops) and "
                 "show what the shims covered and what remains."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write the report to this file, checked before the command runs (default: human on stderr; "
                 "the other formats on stdout, and then the command's own standard output goes to standard error, "
                 "so that stdout holds only the report)."),
]


def trace(
    command: CommandArg = None,
    sample: SampleOpt = False,
    emulate_sip: EmulateOpt = False,
    reinject: ReinjectOpt = False,
    output: OutputOpt = None,
    output_format: TraceFormatOpt = None,
    color: ColorOpt = ColorMode.AUTO,
) -> int:
    """Run a command with the profiler-style probe injected and show which processes it reached.

    Exits with the command's exit status (128 + N when signal N ended it). With --format json or github and
    no -o, the report is all of standard output: the command's own output goes to standard error.
    """
    from sipdoctor.commands.progress import progress
    from sipdoctor.trace.build import build_probe
    from sipdoctor.trace.session import run_trace

    argv, skipped = _what_to_run(command or [], sample)
    if emulate_sip and sys.platform == "darwin":
        raise InputError("--emulate-sip emulates macOS on Linux; on a Mac, SIP itself strips the probe")
    fmt = output_format or TraceFormat.HUMAN
    report_on_stdout = output is None and fmt != TraceFormat.HUMAN
    target = open_output(output) if output is not None else None  # a path that cannot be written: before running
    try:
        with progress("Compiling the probe library (first use)...", enabled=fmt == TraceFormat.HUMAN):
            probe = build_probe()
        notes: list[str] = []
        hook = _reinject_hook(argv, emulate_sip, notes) if reinject else None
        result = run_trace(argv, emulate_sip=emulate_sip, compare=not sample and not reinject, probe=probe,
                           stdout_fd=2 if report_on_stdout else None, env_hook=hook)
        result.skipped = skipped
        result.reinject_notes = notes
        _report(result, fmt, color, target)
    finally:
        if target is not None:
            target.close()
    return result.exit_code


def open_output(path: Path) -> TextIO:
    """The report file, opened before the command runs: without truncating it (a trace that fails leaves it
    as it was), never blocking on a FIFO that has no reader, refusing a directory."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0), 0o666)
    except OSError as exc:
        reason = "a FIFO with no reader: writing the report would block" if exc.errno == errno.ENXIO else \
            (exc.strerror or str(exc))
        raise InputError(f"cannot write the report: {reason}", path=path) from None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w", encoding="utf-8")


def _reinject_hook(argv: list[str], emulate_sip: bool, notes: list[str]) -> EnvHook:
    from sipdoctor.config import load_config
    from sipdoctor.reinject.setup import trace_env_hook

    skip = load_config(Path.cwd()).reinject_skip
    return trace_env_hook(argv, Path.cwd(), emulate_sip=emulate_sip, skip=skip, notes=notes)


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


def _report(result: TraceResult, fmt: TraceFormat, color: ColorMode, output: TextIO | None) -> None:
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


def _write(text: str, output: TextIO | None, stream: TextIO) -> None:
    if output is None:
        stream.write(text)
        stream.flush()
        return
    try:
        if stat.S_ISREG(os.fstat(output.fileno()).st_mode):
            output.truncate(0)
        output.write(text)
        output.flush()
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=output.name) from exc
