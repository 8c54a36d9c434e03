"""`sipdoctor run -- CMD ARGS...`: run a command so that the profiler's DYLD_* variables survive SIP's hops
(sipdoctor.reinject; docs/reinjection.md)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from sipdoctor.errors import ConfigError, InputError

CONTEXT_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}
"""As for trace: the command's own options are not taken for sipdoctor's."""
"""As for trace: the command's own options are not taken for sipdoctor's."""

CommandArg = Annotated[
    list[str] | None, typer.Argument(help="The command to run (put it after `--`).", show_default=False)
]
HookOpt = Annotated[bool, typer.Option(
    "--hook", help="Also insert the exec-hook library (off by default: read the README's risks first).")]
HookShellOpt = Annotated[Path | None, typer.Option(
    "--hook-shell", metavar="PATH", help="With --hook: run this unprotected shell (e.g. Homebrew's bash) where a "
    "profiled process execs /bin/sh or /bin/bash by absolute path.")]
ShimOpt = Annotated[list[str] | None, typer.Option(
    "--shim", metavar="NAME", help="Also shim this program name (repeatable).")]
LogOpt = Annotated[Path | None, typer.Option("--log", metavar="FILE", help="Append the shims' events to this file.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print what is covered.")]


def run(
    command: CommandArg = None,
    hook: HookOpt = False,
    hook_shell: HookShellOpt = None,
    shim: ShimOpt = None,
    log: LogOpt = None,
    quiet: QuietOpt = False,
) -> int:
    """Run a command so that an injected profiler's DYLD_* variables survive SIP's hops, without editing it.

    Saves every DYLD_* variable under a name SIP does not prune, puts a shim directory first on PATH, and
    execs the command in place (same stdin, stdout, stderr, signals and exit status).
    """
    from sipdoctor.config import load_config
    from sipdoctor.reinject.build import build_hook
    from sipdoctor.reinject.report import describe
    from sipdoctor.reinject.setup import Options, prepare
    from sipdoctor.system import host_platform
    from sipdoctor.trace.runner import resolve_program

    argv = list(command or [])
    if not argv:
        raise InputError("no command to run: `sipdoctor run -- CMD ARGS...`")
    if hook_shell is not None and not hook:
        raise ConfigError("--hook-shell needs --hook")
    _check_options(shim or [], log)
    env = dict(os.environ)
    program = resolve_program(argv, env)
    config = load_config(Path.cwd())
    shell = _checked_shell(hook_shell) if hook_shell is not None else None
    options = Options(target=host_platform(), skip=config.reinject_skip, extra_names=tuple(shim or ()),
                      log=str(log.absolute()) if log else None, hook=build_hook() if hook else None,
                      hook_shell=shell)
    prepared = prepare(argv, env, Path.cwd(), options)
    if not quiet:
        for line in [*describe(prepared), *_own_python_note(prepared.saved)]:
            print(f"sipdoctor run: {line}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    _exec(program, argv, prepared.env)
    return 0  # not reached


def _check_options(names: list[str], log: Path | None) -> None:
    from sipdoctor.reinject.shimdir import valid_name

    for name in names:
        if not valid_name(name) or ":" in name:
            raise ConfigError(f"--shim {name!r}: give a program name, not a path")
    if log is not None:
        parent = log.absolute().parent
        if log.is_dir() or not (parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)):
            raise ConfigError("cannot write the shims' events here (a directory, or its folder is missing or "
                              "not writable)", path=log)


def _own_python_note(saved: tuple[str, ...]) -> list[str]:
    """On a Mac, sipdoctor under Apple's Python is itself protected: dyld pruned DYLD_* before it could save
    them (docs/reinjection.md#prefix)."""
    from sipdoctor.macos_paths import is_protected_path

    python = os.path.realpath(sys.executable)
    if sys.platform != "darwin" or saved or not is_protected_path(python):
        return []
    return [f"sipdoctor itself runs under {python}, a SIP-protected Python, so the variables were removed before "
            "it started: install sipdoctor with a Python outside /usr and /System (Homebrew, pyenv, uv)."]


def _checked_shell(path: Path) -> str:
    resolved = os.path.realpath(path)
    if not (os.path.isfile(resolved) and os.access(resolved, os.X_OK)):
        raise ConfigError("not an executable file", path=path)
    from sipdoctor.macos_paths import is_protected_path

    if sys.platform == "darwin" and is_protected_path(resolved):
        raise ConfigError("is SIP-protected: give an unprotected shell such as Homebrew's bash", path=path)
    return str(path.absolute())


def _exec(program: str, argv: list[str], env: dict[str, str]) -> None:
    """Replace this process: Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across
    exec, so put the defaults back first."""
    for signo in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(signo, signal.SIG_DFL)
    try:
        os.execve(program, argv, env)
    except OSError as exc:
        raise InputError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
