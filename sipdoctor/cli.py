"""The command line: wires the commands (sipdoctor.commands) into Typer, and the one boundary that maps
errors to exit codes.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage, configuration or rule errors;
3 an unexpected error (a report is written); 130 interrupted. `explain` and `trace` use their own codes.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sys
from typing import Annotated, Any

import typer

from sipdoctor import __version__
from sipdoctor.commands import (
    cache,
    check,
    completion,
    explain,
    helpstyle,
    machines,
    probe,
    rules,
    run,
    scan,
    schema,
    status,
    trace,
)
from sipdoctor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, SipdoctorError

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
    rich_markup_mode=None,  # click's plain help: typer's rich help imports rich.markdown (2x the cost of --version)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sipdoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """sipdoctor: a doctor for profiling on macOS."""


app.command("check", epilog=EXIT_CODES_HELP)(check.check)
app.command("explain", epilog=explain.EPILOG)(explain.explain)
app.command("trace", context_settings=trace.CONTEXT_SETTINGS)(trace.trace)
app.command("run", context_settings=run.CONTEXT_SETTINGS)(run.run)
app.command("status")(status.status)
app.command("machines")(machines.machines)
app.add_typer(scan.app, name="scan", help="Print the raw facts: PATH, shebangs of a directory, a project.")
app.add_typer(rules.app, name="rules")
app.command("schema")(schema.schema)
app.add_typer(probe.app, name="probe")
app.add_typer(cache.app, name="cache")
app.command("completion")(completion.completion)
helpstyle.apply()


OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF})
"""Errors of writing the output itself (a full disk, /dev/full, a closed descriptor): a fault, not a bug."""


def main(argv: list[str] | None = None) -> int:
    """The single error boundary: every command runs here; no traceback reaches the user."""
    if sys.stderr is None:  # started with stderr closed: messages are lost, the work is not
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    if sys.stdout is None:
        print("sipdoctor: error: standard output is closed: nowhere to write the report", file=sys.stderr)
        return EXIT_USAGE
    clicks = _click_exceptions()
    if os.environ.get(completion.COMPLETE_VAR):
        from typer._completion_classes import completion_init

        completion_init()  # the shell is asking for candidates (see commands/completion.py)
    command = typer.main.get_command(app)
    interrupted = _note_interrupts()
    try:
        result = command.main(args=argv, prog_name="sipdoctor", standalone_mode=False)
        if interrupted:  # Typer turns Ctrl-C into a plain return of 130: say so
            _say("sipdoctor: interrupted")
            return EXIT_INTERRUPTED
    except (typer.Exit, getattr(clicks, "Exit", typer.Exit)) as exc:
        return int(exc.exit_code)
    except (typer.Abort, getattr(clicks, "Abort", typer.Abort)):  # click's form of Ctrl-C
        print("sipdoctor: interrupted", file=sys.stderr)
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
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRNOS:
            return _internal(exc, argv)
        _say(f"sipdoctor: error: cannot write the output: {exc.strerror or exc}")
        return EXIT_USAGE
    except Exception as exc:
        return _internal(exc, argv)
    finally:
        with contextlib.suppress(ValueError):
            if interrupted.handler is not None and signal.getsignal(signal.SIGINT) is interrupted.handler:
                signal.signal(signal.SIGINT, signal.default_int_handler)
    return result if isinstance(result, int) else 0


class _Interrupts(list[int]):
    handler: Any = None


def _note_interrupts() -> _Interrupts:
    """Ctrl-C raises KeyboardInterrupt as usual and is also noted in the returned list. A SIGINT that the
    caller ignores (nohup, a background job) or handles itself is left alone."""
    noted = _Interrupts()

    def on_interrupt(signo: int, _frame: object) -> None:
        noted.append(signo)
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, on_interrupt)
            noted.handler = on_interrupt
    return noted


def _internal(exc: Exception, argv: list[str] | None) -> int:
    from sipdoctor.crash import write_report

    report = write_report(exc, argv if argv is not None else sys.argv[1:])
    _say(f"sipdoctor: internal error: {type(exc).__name__}: {exc}")
    _say(f"A full report was written to {report}; please attach it to a bug report.")
    return EXIT_INTERNAL


def _say(line: str) -> None:
    """One line on stderr, when stderr itself can still be written."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _flush_stdout() -> int | None:
    """Flush stdout now rather than at interpreter exit (where a failure prints 'Exception ignored'); on a
    failure say why and point stdout at /dev/null so that the exit flush has nothing left to fail on."""
    if sys.stdout is None:
        return None
    try:
        sys.stdout.flush()
        return None
    except BrokenPipeError:
        code = 0
    except OSError as exc:
        _say(f"sipdoctor: error: cannot write the output: {exc.strerror or exc}")
        code = EXIT_USAGE
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


def _click_exceptions() -> Any:
    """Click's exception classes: vendored as typer._click by recent Typer, the click package before."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions  # type: ignore[no-redef,import-not-found,unused-ignore]
    return exceptions


def entry() -> None:
    # A check builds tens of thousands of small, long-lived dicts (one fact per command of a big Makefile):
    # collecting the young generation every 700 allocations re-walks them for nothing (mypy does the same).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    code = main()
    failed = _flush_stdout()
    sys.exit(code if failed is None or code != 0 else failed)
