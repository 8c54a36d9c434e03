"""`sipdoctor explain TARGET`: the verdict for one executable, with the reasons and evidence behind it.

Light at import: the parsing modules load inside the function. The lead registers it as
`app.command("explain")(explain)`; `explain -- CMD ARGS...` (several words) belongs to the chain prediction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sipdoctor.cli_options import (
    Arch,
    ArchOpt,
    ColorMode,
    ColorOpt,
    FormatOpt,
    OutputFormat,
    SipMode,
    SipOpt,
    Target,
    TargetOpt,
)

if TYPE_CHECKING:
    from sipdoctor.binaries.report import BinaryReport


def locate(target: str, env_path: str) -> tuple[str, list[str]]:
    """(path to judge, PATH candidates in order). A name without a slash is looked up on PATH first."""
    import os

    from sipdoctor.binaries.resolve import resolve_command
    from sipdoctor.errors import InputError

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
    import os

    from sipdoctor.binaries.cache import VerdictCache
    from sipdoctor.binaries.fileinfo import INPUT_PROBLEMS, display_path
    from sipdoctor.binaries.judge import judge_file
    from sipdoctor.binaries.report import Assumptions
    from sipdoctor.errors import InputError
    from sipdoctor.system import host_platform

    env_path = os.environ.get("PATH", os.defpath)
    path, candidates = locate(target, env_path)
    host = host_platform() if target_os == Target.HOST else target_os.value
    assume = Assumptions(target=host, sip=sip.value, arch=arch.value if arch else None)
    cache = VerdictCache() if use_cache else None
    report = judge_file(path, assume, env_path=env_path, cache=cache)
    if cache is not None:
        cache.save()
    problem = next((r for r in report.reasons if r.code in INPUT_PROBLEMS), None)
    if problem is not None and report.kind == "other":
        raise InputError(problem.message, path=display_path(path))
    return dataclasses.replace(report, target=display_path(target)), candidates


def explain(
    target: Annotated[str, typer.Argument(metavar="TARGET", help="A path, or a command name looked up on PATH.")],
    fmt: FormatOpt = None,
    color: ColorOpt = ColorMode.AUTO,
    sip: SipOpt = SipMode.ON,
    arch: ArchOpt = None,
    target_os: TargetOpt = Target.HOST,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the verdict cache.")] = False,
) -> int:
    """Explain what the loader does with the injected library for one executable, and why."""
    return explain_target(target, fmt=fmt, color=color, sip=sip, arch=arch, target_os=target_os,
                          no_cache=no_cache)


def explain_target(target: str, *, fmt: OutputFormat | None = None, color: ColorMode = ColorMode.AUTO,
                   sip: SipMode = SipMode.ON, arch: Arch | None = None, target_os: Target = Target.HOST,
                   no_cache: bool = False) -> int:
    """The body of `explain TARGET`, callable from a dispatcher that also handles `explain -- CMD ARGS...`."""
    import json

    from sipdoctor.errors import ConfigError
    from sipdoctor.model import Verdict
    from sipdoctor.render.binary import render_report, report_json
    from sipdoctor.render.terminal import make_console, use_ascii

    if fmt == OutputFormat.GITHUB:
        raise ConfigError("explain prints human or json; --format github is for check")
    report, candidates = judge_target(target, target_os=target_os, sip=sip, arch=arch, use_cache=not no_cache)
    if fmt == OutputFormat.JSON:
        typer.echo(json.dumps(report_json(report), indent=2, sort_keys=False))
    else:
        console = make_console(color.value)
        console.print(render_report(report, ascii_only=use_ascii(console), candidates=candidates))
    return 1 if report.verdict in (Verdict.STRIPPED, Verdict.LOAD_FAILS) else 0
