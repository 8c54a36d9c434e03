"""`sipdoctor cache path | clear`: where sipdoctor keeps its cache, and emptying it.

The cache holds the verdict cache (`verdicts.json`), the compiled probe libraries (`probe/`) and the reports of
unexpected errors (`reports/`). `clear` removes those and nothing else, so a $SIPDOCTOR_CACHE_DIR pointed at a
directory that holds other files loses none of them.
"""

from __future__ import annotations

import shutil

import typer

app = typer.Typer(help="Show or empty sipdoctor's cache (verdicts, probe builds, error reports).",
                  no_args_is_help=True, rich_markup_mode=None)
ENTRIES = ("verdicts.json", "probe", "reports")
"""What sipdoctor writes into its cache directory (besides `.verdicts-*` files of an interrupted save)."""


@app.command("path")
def cache_path() -> int:
    """Print the cache directory ($SIPDOCTOR_CACHE_DIR, else the per-user cache directory)."""
    from sipdoctor.system import cache_dir

    typer.echo(str(cache_dir()))
    return 0


@app.command("clear")
def cache_clear() -> int:
    """Remove the cached verdicts, probe builds and error reports; say what was removed."""
    from sipdoctor.errors import InputError
    from sipdoctor.system import cache_dir

    root = cache_dir()
    if not root.is_dir():
        typer.echo(f"{root}: no cache yet, nothing to clear")
        return 0
    owned = [root / name for name in ENTRIES] + sorted(root.glob(".verdicts-*"))
    removed = []
    for path in owned:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            else:
                continue
        except OSError as exc:
            raise InputError(f"cannot remove it: {exc.strerror or exc}", path=path) from exc
        removed.append(path.name)
    typer.echo(f"{root}: removed {', '.join(removed)}" if removed else f"{root}: already empty")
    return 0
