"""`sipdoctor check [PROJECT]`: this machine and a project, the fix plan first, every finding with its fix (`--fix`
makes the plan's file edits, `--diff` shows them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sipdoctor.commands.options import (
    CheckFormatOpt,
    ColorMode,
    ColorOpt,
    FailOn,
    MachineOpt,
    OutputOpt,
    Profiler,
    ProfilerOpt,
    QuietOpt,
    RootOpt,
    Target,
    TargetOpt,
    VerboseOpt,
    choices,
    machine_name,
    root_dir,
    target_platform,
)
from sipdoctor.errors import ConfigError

if TYPE_CHECKING:
    from sipdoctor.advice.loader import RuleSet
    from sipdoctor.fix import EditOutcome
    from sipdoctor.model import CheckResult


def check(
    project_arg: Annotated[str, typer.Argument(metavar="PROJECT", help="The project to check.")] = ".",
    fmt: CheckFormatOpt = None,
    output: OutputOpt = None,
    color: ColorOpt = ColorMode.AUTO,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", metavar=choices(FailOn),
                     help="Lowest severity that exits 1. Default: the configuration's, else error."),
    ] = None,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", metavar="PATH", help="Extra rule file or directory (repeatable).")
    ] = None,
    target: TargetOpt = Target.HOST,
    machine: MachineOpt = None,
    root: RootOpt = None,
    profiler: ProfilerOpt = Profiler.GENERIC,
    fix: Annotated[
        bool, typer.Option("--fix", help="Make the fix plan's file edits, then check again.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fix plan's file edits as a unified diff; write nothing.")
    ] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> int:
    """Check this machine and a project before profiling: every finding with its fix."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.check import CheckOptions, run_check
    from sipdoctor.commands.output import emit, verbosity
    from sipdoctor.commands.progress import progress
    from sipdoctor.config import load_config
    from sipdoctor.project.benchmarks import Selection
    from sipdoctor.render import findings as render
    from sipdoctor.render.terminal import make_console, use_ascii
    from sipdoctor.system import System

    level = verbosity(quiet, verbose)
    if not project_arg:  # Path("") would quietly be the current directory
        raise ConfigError("the project path is empty")
    project = Path(project_arg)
    if not os.path.isdir(project):
        raise ConfigError("not a directory (or not reachable)", path=project)
    if fix and diff:
        raise ConfigError("--fix writes the edits and --diff only shows them: use one of them")
    config = load_config(project)
    ruleset = load_rules([*config.rules, *(rules or [])])
    options = CheckOptions(project=project.resolve(), target=target_platform(target), profiler=profiler.value,
                           benchmarks=Selection(config.benchmarks, config.not_benchmarks),
                           machine=machine_name(machine), root=root_dir(root, machine))
    floor = fail_on.value if fail_on else (config.fail_on or "error")
    chosen = fmt.value if fmt else (config.format or "human")
    shown = chosen == "human" and output is None
    with progress("Checking this machine and the project...", enabled=shown and not diff):
        result = run_check(System.real(), options, ruleset, config, floor)
    if diff:
        return _print_diff(options.project, result)
    if fix:
        _apply_fixes(options.project, result)
        with progress("Checking again...", enabled=shown):
            result = run_check(System.real(), options, ruleset, config, floor)
    for failure in result.rule_failures:
        typer.echo(f"sipdoctor: warning: {failure}", err=True)
    if shown:
        console = make_console(color.value)
        console.print(render.human(result, ascii_only=use_ascii(console), width=console.width, verbosity=level),
                      crop=False)
    else:
        emit(check_report(result, chosen, ruleset, options.project, level), output)
    return result.exit_code


def check_report(result: CheckResult, chosen: str, ruleset: RuleSet, project: Path, level: int = 0) -> str:
    """The report as text in a machine format, or as plain human text for a file."""
    from sipdoctor.commands.output import plain_text, sarif_report
    from sipdoctor.render import findings as render

    if chosen == "json":
        return render.to_json(result) + "\n"
    if chosen == "github":
        return render.github(result) + "\n"
    if chosen == "sarif":
        return sarif_report(result.findings, ruleset, project)
    if chosen == "markdown":
        from sipdoctor.render.markdown import markdown

        return markdown(result)
    return plain_text(render.human(result, ascii_only=False, verbosity=level))


def _apply_fixes(project: Path, result: CheckResult) -> None:
    """Make the plan's file edits and say what changed, with the undo (stderr: stdout stays the report)."""
    from sipdoctor.fix import FixInterrupted, apply_edits

    try:
        outcomes = apply_edits(project, result.plan.file_edits if result.plan else [])
    except FixInterrupted as stopped:
        _report_edits(stopped.outcomes)
        typer.echo("sipdoctor: interrupted; the edits above were made, nothing else was changed", err=True)
        raise KeyboardInterrupt from None
    _report_edits(outcomes)
    changed = sum(o.applied for o in outcomes)
    typer.echo(f"sipdoctor: {changed} file edit{'s' if changed != 1 else ''} applied; checking again", err=True)


def _report_edits(outcomes: list[EditOutcome]) -> None:
    """Each edit, then one undo per file changed: each restores its file as it was before this run, so they
    can be run in any order, or only some of them."""
    for outcome in outcomes:
        typer.echo(f"sipdoctor: {'fixed' if outcome.applied else 'skipped'}: {outcome.note}", err=True)
    for undo in dict.fromkeys(o.undo for o in outcomes if o.applied and o.undo):
        typer.echo(f"sipdoctor: to undo: {undo}", err=True)


def _print_diff(project: Path, result: CheckResult) -> int:
    """The plan's file edits as a unified diff on stdout; nothing is written."""
    from sipdoctor.fix import diff

    text, refused = diff(project, result.plan.file_edits if result.plan else [])
    typer.echo(text, nl=False)
    for reason in refused:
        typer.echo(f"sipdoctor: not in the diff: {reason}", err=True)
    if not text:
        typer.echo("sipdoctor: the fix plan has no file edit", err=True)
    return result.exit_code
