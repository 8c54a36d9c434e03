"""`sipdoctor machines`: the machine models (GitHub's macOS runners, developer Macs, a fresh Mac) and what each
holds; `--machine NAME` judges local commands on one of them."""

from __future__ import annotations

import typer

from sipdoctor.commands.options import FormatOpt, OutputFormat
from sipdoctor.errors import ConfigError


def machines(fmt: FormatOpt = None) -> int:
    """List the machine models (GitHub's macOS runners, developer Macs, a fresh Mac) and what each holds."""
    from sipdoctor.machines.listing import machines_json, machines_text

    if fmt == OutputFormat.GITHUB:
        raise ConfigError("machines prints human or json")
    typer.echo(machines_json() if fmt == OutputFormat.JSON else machines_text())
    return 0
