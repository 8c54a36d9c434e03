"""`sipdoctor status`: the SIP state (csrutil status and the active configuration), or the Linux loader facts."""

from __future__ import annotations

from sipdoctor.commands.options import ColorMode, ColorOpt, OutputOpt, QuietOpt, ReportFormat, ReportFormatOpt


def status(fmt: ReportFormatOpt = None, output: OutputOpt = None, color: ColorOpt = ColorMode.AUTO,
           quiet: QuietOpt = False) -> int:
    """Show the SIP state (csrutil status and the active configuration), or the Linux loader facts."""
    from sipdoctor.commands.output import emit, plain_text
    from sipdoctor.render import status as render
    from sipdoctor.render.terminal import make_console
    from sipdoctor.sip.collect import collect_linux, collect_sip
    from sipdoctor.system import System

    system = System.real()
    sip, linux = collect_sip(system), collect_linux(system)
    if fmt == ReportFormat.JSON:
        emit(render.to_json(system.platform, sip, linux) + "\n", output)
    elif quiet:
        emit(render.one_line(sip, linux) + "\n", output)
    elif output is not None:
        emit(plain_text(render.human(sip, linux)), output)
    else:
        make_console(color.value).print(render.human(sip, linux))
    return 0
