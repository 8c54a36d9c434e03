"""`sipdoctor explain -- CMD ARGS...`: the predicted process tree for one command line, before it runs.

The lead's `explain` dispatches here when it is given more than one word (or `--`). Light at import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sipdoctor.cli_options import ColorMode, OutputFormat, Target
from sipdoctor.errors import ConfigError, InputError


def explain_command(argv: list[str], *, target_os: Target = Target.HOST, profiler: str = "generic",
                    sip: str = "on", arch: str | None = None, fmt: OutputFormat | None = None,
                    color: ColorMode = ColorMode.AUTO, cwd: Path | None = None, use_cache: bool = True,
                    machine: str | None = None, root: str | None = None) -> int:
    """Print the predicted tree; exit 1 when a hop strips the variable or aborts the launch, else 0.

    One word containing a blank (`explain -- "npm run bench && make"`) is parsed as a shell line; several
    words are run as an argv, the way `exec` would.
    """
    from sipdoctor.binaries import Assumptions, VerdictCache
    from sipdoctor.chains.context import Judge
    from sipdoctor.chains.predict import PROFILERS, make_context, predict_argv, predict_command_line
    from sipdoctor.chains.tree import stripped_hops
    from sipdoctor.machines.select import local_machine
    from sipdoctor.system import host_platform

    if not argv:
        raise InputError("explain --: give the command to predict, e.g. `sipdoctor explain -- npm run bench`")
    if profiler not in PROFILERS:
        raise ConfigError(f"--profiler must be one of {', '.join(PROFILERS)}, not {profiler!r}")
    if fmt == OutputFormat.GITHUB:
        raise ConfigError("explain prints human or json; --format github is for check")
    target = host_platform() if target_os == Target.HOST else target_os.value
    cache = VerdictCache() if use_cache else None
    assumptions = Assumptions(target=target, sip=sip, arch=arch)
    here = cwd or Path.cwd()
    choice = local_machine(assumptions, host_platform(), machine=machine, root=root, shared=(str(here),), cache=cache)
    if not choice.machine.is_host:
        assumptions = Assumptions(target="macos", sip=choice.machine.sip.assumed, arch=choice.machine.arch)
    judge = Judge(assumptions, cache, choice.machine)
    ctx = make_context(judge, here, choice.machine.environment(os.environ), profiler)
    single_line = len(argv) == 1 and any(c in argv[0] for c in " ;&|")
    prediction = predict_command_line(argv[0], ctx) if single_line else predict_argv(argv, ctx)
    if cache is not None:
        cache.save()
    _print(prediction, fmt, color)
    stripped = any(stripped_hops(root) for root in prediction.roots)
    return 1 if stripped else 0


def _print(prediction: object, fmt: OutputFormat | None, color: ColorMode) -> None:
    import typer

    from sipdoctor.chains.predict import Prediction
    from sipdoctor.model import Verdict
    from sipdoctor.render.terminal import VERDICT_STYLES, make_console, use_ascii
    from sipdoctor.render.tree import render_tree

    assert isinstance(prediction, Prediction)
    if fmt == OutputFormat.JSON:
        typer.echo(json.dumps({"schema_version": 1, **prediction.to_json()}, indent=2))
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
