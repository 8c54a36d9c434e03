"""`sipdoctor explain TARGET | -- CMD ARGS...`: why one executable, or the processes of one command line, will
or will not be profiled.

One word naming a file or a command on PATH is judged as a binary (the verdict, its reasons and evidence);
anything else is a command line whose process tree is predicted before it runs.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sipdoctor.commands.options import (
    Arch,
    ArchOpt,
    ColorMode,
    ColorOpt,
    MachineOpt,
    OutputOpt,
    Profiler,
    ProfilerOpt,
    QuietOpt,
    ReportFormat,
    ReportFormatOpt,
    RootOpt,
    SipMode,
    SipOpt,
    Target,
    TargetOpt,
    machine_name,
    root_dir,
    target_platform,
)
from sipdoctor.errors import ConfigError, InputError

if TYPE_CHECKING:
    from sipdoctor.binaries.report import BinaryReport

EPILOG = ("Exit codes: 0 profiled (or only ignored), 1 a process is stripped or its launch aborts "
          "(load-fails), 2 bad usage or an unusable target.")


def explain(
    words: Annotated[list[str], typer.Argument(metavar="TARGET | -- CMD ARGS...",
                                               help="An executable (path or command name), or a command line.")],
    fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
    color: ColorOpt = ColorMode.AUTO,
    sip: SipOpt = SipMode.ON,
    arch: ArchOpt = None,
    target: TargetOpt = Target.HOST,
    profiler: ProfilerOpt = Profiler.GENERIC,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the verdict cache.")] = False,
    machine: MachineOpt = None,
    root: RootOpt = None,
    quiet: QuietOpt = False,
) -> int:
    """Why one executable, or the processes of one command line, will or will not be profiled."""
    if len(words) == 1 and not any(c in words[0] for c in " ;&|") and not _on_another_machine(
            words[0], target, machine, root):
        return explain_target(words[0], fmt=fmt, color=color, sip=sip, arch=arch, target_os=target,
                              no_cache=no_cache, output=output, quiet=quiet)
    return explain_command(list(words), target_os=target, profiler=profiler.value, sip=sip.value,
                           arch=arch.value if arch else None, fmt=fmt, color=color, use_cache=not no_cache,
                           output=output, quiet=quiet, machine=machine_name(machine), root=root_dir(root, machine))


def _on_another_machine(word: str, target: Target, machine: str | None, root: Path | None) -> bool:
    """With --root or --machine, a name or a path is the machine's and is predicted there. Off a Mac with
    --target macos, a command name is the developer-Mac model's (never this computer's program of that name);
    a path without --root/--machine still names this computer's file, judged as it says."""
    from sipdoctor.system import host_platform

    if root is not None or (machine is not None and machine != "host"):
        return True
    off_a_mac = target_platform(target) == "macos" and host_platform() != "macos" and machine != "host"
    return off_a_mac and "/" not in word


def locate(target: str, env_path: str) -> tuple[str, list[str]]:
    """(path to judge, PATH candidates in order). A name without a slash is looked up on PATH first."""
    from sipdoctor.binaries.resolve import resolve_command

    if "/" in target:
        return target, []
    candidates = resolve_command(target, env_path)
    if candidates:
        return candidates[0], candidates
    if os.path.lexists(target):
        return target, []
    raise InputError(f"{target}: not found on PATH and no such file in the current directory")


def judge_target(target: str, *, target_os: Target, sip: SipMode, arch: Arch | None,
                 use_cache: bool) -> tuple[BinaryReport, list[str]]:
    import dataclasses

    from sipdoctor.binaries.cache import VerdictCache
    from sipdoctor.binaries.fileinfo import INPUT_PROBLEMS, display_path
    from sipdoctor.binaries.judge import judge_file
    from sipdoctor.binaries.report import Assumptions

    env_path = os.environ.get("PATH", os.defpath)
    path, candidates = locate(target, env_path)
    assume = Assumptions(target=target_platform(target_os), sip=sip.value, arch=arch.value if arch else None)
    cache = VerdictCache() if use_cache else None
    report = judge_file(path, assume, env_path=env_path, cache=cache)
    if cache is not None:
        cache.save()
    problem = next((r for r in report.reasons if r.code in INPUT_PROBLEMS), None)
    if problem is not None and report.kind == "other":
        raise InputError(problem.message, path=display_path(path))
    return dataclasses.replace(report, target=display_path(target)), candidates


def explain_target(target: str, *, fmt: ReportFormat | None = None, color: ColorMode = ColorMode.AUTO,
                   sip: SipMode = SipMode.ON, arch: Arch | None = None, target_os: Target = Target.HOST,
                   no_cache: bool = False, output: Path | None = None, quiet: bool = False) -> int:
    """`explain TARGET`: the verdict for one executable, with the reasons and evidence behind it."""
    from sipdoctor.commands.output import emit, plain_text
    from sipdoctor.model import Verdict
    from sipdoctor.render.binary import render_report, report_json
    from sipdoctor.render.terminal import make_console, use_ascii

    report, candidates = judge_target(target, target_os=target_os, sip=sip, arch=arch, use_cache=not no_cache)
    if fmt == ReportFormat.JSON:
        emit(json.dumps(report_json(report), indent=2, sort_keys=False) + "\n", output)
    elif quiet:
        emit(f"{report.target}: {report.verdict.value}\n", output)
    elif output is not None:
        emit(plain_text(render_report(report, ascii_only=False, candidates=candidates)), output)
    else:
        console = make_console(color.value)
        console.print(render_report(report, ascii_only=use_ascii(console), candidates=candidates))
    return 1 if report.verdict in (Verdict.STRIPPED, Verdict.LOAD_FAILS) else 0


def explain_command(argv: list[str], *, target_os: Target = Target.HOST, profiler: str = "generic",
                    sip: str = "on", arch: str | None = None, fmt: ReportFormat | None = None,
                    color: ColorMode = ColorMode.AUTO, cwd: Path | None = None, use_cache: bool = True,
                    output: Path | None = None, quiet: bool = False, machine: str | None = None,
                    root: str | None = None) -> int:
    """`explain -- CMD ARGS...`: print the predicted tree; exit 1 when a hop strips the variable or aborts the
    launch, else 0.

    One word containing a blank (`explain -- "npm run bench && make"`) is parsed as a shell line; several
    words are run as an argv, the way `exec` would.
    """
    from sipdoctor.binaries import Assumptions, VerdictCache
    from sipdoctor.chains.context import Judge
    from sipdoctor.chains.predict import PROFILERS, make_context, predict_argv, predict_command_line
    from sipdoctor.chains.tree import stripped_hops
    from sipdoctor.commands.output import emit
    from sipdoctor.machines.select import local_machine
    from sipdoctor.model import Verdict
    from sipdoctor.system import host_platform

    if not argv:
        raise InputError("explain --: give the command to predict, e.g. `sipdoctor explain -- npm run bench`")
    if profiler not in PROFILERS:
        raise ConfigError(f"--profiler must be one of {', '.join(PROFILERS)}, not {profiler!r}")
    cache = VerdictCache() if use_cache else None
    here = cwd or Path.cwd()
    chosen = local_machine(target_platform(target_os), host_platform(), sip=sip, arch=arch, machine=machine,
                           root=root, shared=(str(here),)).machine
    assumptions = Assumptions(target=chosen.target, sip=chosen.sip.assumed if not chosen.is_host else sip,
                              arch=chosen.arch if not chosen.is_host else arch)
    judge = Judge(assumptions, cache, chosen)
    ctx = make_context(judge, here, chosen.environment(os.environ), profiler)
    single_line = len(argv) == 1 and any(c in argv[0] for c in " ;&|")
    prediction = predict_command_line(argv[0], ctx) if single_line else predict_argv(argv, ctx)
    if cache is not None:
        cache.save()
    hops = [hop for root in prediction.roots for hop in stripped_hops(root)]
    unknown = [hop for root in prediction.roots for hop in root.walk() if hop.status == Verdict.UNKNOWN.value]
    if quiet and fmt != ReportFormat.JSON:
        where = ", ".join(dict.fromkeys(f"{h.path or h.argv[0]} ({h.verdict.value})" for h in hops))
        said = "loses the variable at " + where if hops else "no process loses the variable"
        if unknown and not hops:
            said += ", but " + ", ".join(dict.fromkeys(h.path or h.argv[0] for h in unknown)) + " cannot be judged"
        emit(f"{shlex.join(argv)}: {said}\n", output)
    else:
        _print(prediction, fmt, color, output)
    stripped = bool(hops)
    return 1 if stripped else 0


def _print(prediction: object, fmt: ReportFormat | None, color: ColorMode, output: Path | None = None) -> None:
    from sipdoctor.chains.predict import Prediction
    from sipdoctor.commands.output import emit
    from sipdoctor.model import SCHEMA_VERSION, Verdict
    from sipdoctor.render.terminal import VERDICT_STYLES, make_console, use_ascii
    from sipdoctor.render.tree import render_tree

    assert isinstance(prediction, Prediction)
    if fmt == ReportFormat.JSON:
        emit(json.dumps({"schema_version": SCHEMA_VERSION, **prediction.to_json()}, indent=2) + "\n", output)
        return
    if output is not None:
        emit("".join(line.text + "\n" for line in render_tree(prediction.to_json(), ascii_only=False)), output)
        return
    from rich.text import Text

    console = make_console(color.value)
    machine = prediction.machine or {}
    if machine:
        console.print(Text(f"Judged on {machine['label']} ({machine['arch']}, SIP {machine['sip']['state']})"
                           + (f": {machine['note']}" if machine.get("note") else ""), style="bold"))
    for line in render_tree(prediction.to_json(), ascii_only=use_ascii(console)):
        style = VERDICT_STYLES.get(Verdict(line.status)) if line.status in set(Verdict) else "dim"
        console.print(Text(line.text, style=style or ""), soft_wrap=True)
