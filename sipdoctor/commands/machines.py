"""`sipdoctor machines`: the machine models (GitHub's macOS runners, developer Macs, a fresh Mac) and what each
holds; `--machine NAME` judges local commands on one of them."""

from __future__ import annotations

from sipdoctor.commands.options import OutputOpt, ReportFormat, ReportFormatOpt


def machines(fmt: ReportFormatOpt = None, output: OutputOpt = None) -> int:
    """List the machine models (GitHub's macOS runners, developer Macs, a fresh Mac) and what each holds."""
    from sipdoctor.commands.output import emit
    from sipdoctor.machines.listing import machines_json, machines_text

    emit((machines_json() if fmt == ReportFormat.JSON else machines_text()) + "\n", output)
    return 0
