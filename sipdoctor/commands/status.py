"""`sipdoctor status`: the SIP state (csrutil status and the active configuration), or the Linux loader facts."""

from __future__ import annotations

import typer

from sipdoctor.commands.options import ColorMode, ColorOpt, FormatOpt, OutputFormat
from sipdoctor.errors import ConfigError


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
