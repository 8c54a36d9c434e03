"""The command line: Typer commands of a few lines each, and the one boundary that maps errors to exit codes.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage, configuration or rule errors;
3 an unexpected error (a report is written); 130 interrupted. `explain` and `trace` use their own codes (below).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sipdoctor import __version__
from sipdoctor.cli_options import (
    ArchOpt,
    CheckFormatOpt,
    ColorMode,
    ColorOpt,
    FormatOpt,
    OutputFormat,
    OutputOpt,
    SipMode,
    SipOpt,
    Target,
    TargetOpt,
)
from sipdoctor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, SipdoctorError
from sipdoctor.project.command import scan_app
from sipdoctor.trace.command import TRACE_CONTEXT_SETTINGS, probe_build, probe_path, trace

if TYPE_CHECKING:
    from sipdoctor.advice.loader import RuleSet
    from sipdoctor.check import CheckResult
    from sipdoctor.model import Finding

EXIT_CODES_HELP = (
    "Exit codes: 0 ready (nothing at or above --fail-on), 1 findings at or above --fail-on, "
    "2 bad usage, configuration or rules, 3 internal error (a report is written), 130 interrupted."
)

app = typer.Typer(
    name="sipdoctor",
    help="Find where macOS SIP, hardened runtime and library validation hide processes from an injected "
    "profiler (DYLD_INSERT_LIBRARIES; LD_PRELOAD on Linux), and say how to fix it.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="List, show and validate the YAML rules.", no_args_is_help=True)
probe_app = typer.Typer(help="Build or locate the probe library that `trace` injects.", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sipdoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """sipdoctor: a doctor for profiling on macOS."""


def _target(target: Target) -> str:
    from sipdoctor.system import host_platform

    return host_platform() if target == Target.HOST else target.value


@app.command(epilog=EXIT_CODES_HELP)
def check(
    project: Annotated[Path, typer.Argument(help="The project to check.")] = Path("."),
    fmt: CheckFormatOpt = None,
    output: OutputOpt = None,
    color: ColorOpt = ColorMode.AUTO,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Lowest severity that exits 1: error, warning, info, never.")
    ] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rule file or directory.")] = None,
    target: TargetOpt = Target.HOST,
    profiler: Annotated[
        str, typer.Option("--profiler", help="generic, or codspeed (re-injects for Node.js and Go).")
    ] = "generic",
    fix: Annotated[
        bool, typer.Option("--fix", help="Apply the exact file edits the findings suggest, then check again.")
    ] = False,
) -> int:
    """Check this machine and a project before profiling: every finding with its fix."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.check import CheckOptions, run_check
    from sipdoctor.commands.output import emit
    from sipdoctor.config import FAIL_ON, load_config
    from sipdoctor.render import findings as render
    from sipdoctor.render.terminal import make_console, use_ascii
    from sipdoctor.system import System

    if not project.is_dir():
        raise ConfigError("not a directory", path=project)
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if profiler not in ("generic", "codspeed"):
        raise ConfigError(f"--profiler must be generic or codspeed, not {profiler!r}")
    config = load_config(project)
    ruleset = load_rules([*config.rules, *(rules or [])])
    options = CheckOptions(project=project.resolve(), target=_target(target), profiler=profiler)
    result = run_check(System.real(), options, ruleset, config, fail_on or config.fail_on or "error")
    if fix:
        _apply_fixes(options.project, result.findings)
        result = run_check(System.real(), options, ruleset, config, fail_on or config.fail_on or "error")
    chosen = fmt.value if fmt else (config.format or "human")
    if chosen == "human" and output is None:
        console = make_console(color.value)
        console.print(render.human(result, ascii_only=use_ascii(console), width=console.width), crop=False)
    else:
        emit(_check_report(result, chosen, ruleset, options.project), output)
    return result.exit_code


def _check_report(result: CheckResult, chosen: str, ruleset: RuleSet, project: Path) -> str:
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
    return plain_text(render.human(result, ascii_only=False))


def _apply_fixes(project: Path, findings: tuple[Finding, ...]) -> None:
    """Apply the findings' edits and say what changed (stderr: stdout stays the report, JSON included)."""
    from sipdoctor.fix import apply_edits, chosen_edits

    outcomes = apply_edits(project, chosen_edits(findings))
    for outcome in outcomes:
        typer.echo(f"sipdoctor: {'fixed' if outcome.applied else 'skipped'}: {outcome.note}", err=True)
    changed = sum(o.applied for o in outcomes)
    typer.echo(f"sipdoctor: {changed} file edit{'s' if changed != 1 else ''} applied; checking again", err=True)


@app.command(
    epilog="Exit codes: 0 profiled (or only ignored), 1 a process is stripped or its launch aborts "
    "(load-fails), 2 bad usage or an unusable target.",
)
def explain(
    words: Annotated[list[str], typer.Argument(metavar="TARGET | -- CMD ARGS...",
                                               help="An executable (path or command name), or a command line.")],
    fmt: FormatOpt = None,
    color: ColorOpt = ColorMode.AUTO,
    sip: SipOpt = SipMode.ON,
    arch: ArchOpt = None,
    target: TargetOpt = Target.HOST,
    profiler: Annotated[str, typer.Option("--profiler", help="generic, or codspeed (re-injects for Node.js and Go).")]
    = "generic",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the verdict cache.")] = False,
) -> int:
    """Why one executable, or the processes of one command line, will or will not be profiled."""
    from sipdoctor.binaries.command import explain_target
    from sipdoctor.chains.command import explain_command

    if len(words) == 1 and not any(c in words[0] for c in " ;&|"):
        return explain_target(words[0], fmt=fmt, color=color, sip=sip, arch=arch, target_os=target,
                              no_cache=no_cache)
    return explain_command(list(words), target_os=target, profiler=profiler, sip=sip.value,
                           arch=arch.value if arch else None, fmt=fmt, color=color, use_cache=not no_cache)


app.command("trace", context_settings=TRACE_CONTEXT_SETTINGS)(trace)


@app.command()
def status(fmt: FormatOpt = None, color: ColorOpt = ColorMode.AUTO) -> int:
    """Show the SIP state (csrutil status and the active configuration), or the Linux loader facts."""
    from sipdoctor.render import status as render
    from sipdoctor.render.terminal import make_console
    from sipdoctor.sip.collect import collect_linux, collect_sip
    from sipdoctor.system import System

    if fmt == OutputFormat.GITHUB:
        raise ConfigError("status prints human or json; --format github is for check")
    system = System.real()
    sip, linux = collect_sip(system), collect_linux(system)
    if fmt == OutputFormat.JSON:
        typer.echo(render.to_json(system.platform, sip, linux))
    else:
        make_console(color.value).print(render.human(sip, linux))
    return 0


app.add_typer(scan_app, name="scan", help="Print the raw facts: PATH, shebangs of a directory, a project.")
app.add_typer(rules_app, name="rules")
app.add_typer(probe_app, name="probe")
probe_app.command("build")(probe_build)
probe_app.command("path")(probe_path)


@rules_app.command("list")
def rules_list(
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rule file or directory.")] = None,
    fmt: FormatOpt = None,
) -> int:
    """List every rule: ID, severity, title and where it comes from."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.render import rules as render

    ruleset = load_rules(rules or [])
    typer.echo(render.to_json(ruleset) if fmt == OutputFormat.JSON else render.table(ruleset))
    return 0


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="Rule ID, e.g. SIP001.")],
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rule file or directory.")] = None,
) -> int:
    """Show one rule in full: condition, message, remediations, references."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.render import rules as render

    ruleset = load_rules(rules or [])
    rule = ruleset.get(rule_id.upper())
    if rule is None:
        raise ConfigError(f"no rule {rule_id!r} (see `sipdoctor rules list`)")
    typer.echo(render.detail(rule))
    return 0


@rules_app.command("validate")
def rules_validate(
    files: Annotated[list[Path], typer.Argument(help="Rule files or directories to validate.")],
) -> int:
    """Validate rule files: exit 0 when every file is valid, 2 with the first error of each bad file."""
    from sipdoctor.advice.loader import load_file, rule_files
    from sipdoctor.errors import RuleError

    failed = False
    for location in files:
        try:
            paths = rule_files(location)
            if not paths:
                raise RuleError("no rule files (*.yml, *.yaml) here", path=location)
            for path in paths:
                typer.echo(f"{path}: {len(load_file(path))} rules OK")
        except RuleError as exc:
            typer.echo(f"sipdoctor: error: {exc.located()}", err=True)
            failed = True
    return EXIT_USAGE if failed else 0


@rules_app.command("docs")
def rules_docs(
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rule file or directory.")] = None,
) -> int:
    """Print the built-in (and --rules) rules as Markdown: the source of docs/rules.md."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.render.rulesdoc import markdown

    typer.echo(markdown(load_rules(rules or [], include_user=False)), nl=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The single error boundary: every command runs here; no traceback reaches the user."""
    clicks = _click_exceptions()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="sipdoctor", standalone_mode=False)
    except (typer.Exit, getattr(clicks, "Exit", typer.Exit)) as exc:
        return int(exc.exit_code)
    except (typer.Abort, getattr(clicks, "Abort", typer.Abort)):
        return EXIT_INTERRUPTED
    except clicks.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except SipdoctorError as exc:
        print(f"sipdoctor: error: {exc.located()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sipdoctor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): not an error worth a report
        return 0
    except Exception as exc:
        from sipdoctor.crash import write_report

        report = write_report(exc, argv if argv is not None else sys.argv[1:])
        print(f"sipdoctor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"A full report was written to {report}; please attach it to a bug report.", file=sys.stderr)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


def _click_exceptions() -> Any:
    """Click's exception classes: vendored as typer._click by recent Typer, the click package before."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions  # type: ignore[no-redef,import-not-found,unused-ignore]
    return exceptions


def entry() -> None:
    sys.exit(main())
