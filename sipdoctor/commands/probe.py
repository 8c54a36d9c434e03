"""`sipdoctor probe build | path`: build or locate the probe library that `trace` injects."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Build or locate the probe library that `trace` injects.", no_args_is_help=True,
                  rich_markup_mode=None)

ForceOpt = Annotated[bool, typer.Option("--force", help="Rebuild even when a cached build exists.")]


@app.command("build")
def probe_build(force: ForceOpt = False) -> int:
    """Compile the probe library for this machine (done automatically on first use) and print its path."""
    from sipdoctor.commands.progress import progress
    from sipdoctor.trace.build import build_probe

    with progress("Compiling the probe library..."):
        path = build_probe(force=force)
    typer.echo(str(path))
    return 0


@app.command("path")
def probe_path() -> int:
    """Print where the probe library for this machine is; exit 1 when it is not built yet."""
    from sipdoctor.trace.build import probe_path as cached_path

    path = cached_path()
    typer.echo(str(path))
    if not path.is_file():
        typer.echo("not built yet: run `sipdoctor probe build` (or any `sipdoctor trace`)", err=True)
        return 1
    return 0
