"""`sipdoctor schema [NAME]`: the JSON Schemas (draft 2020-12) of every machine-readable output.

The schemas are data files shipped inside the package, in sipdoctor/schemas/ (`sipdoctor schema` prints the
directory). Light at import: only typer and the standard library.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sipdoctor.errors import ConfigError, InputError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SUFFIX = ".schema.json"


def schema_files() -> dict[str, Path]:
    """Every shipped schema by name (`check`, `explain-file`, ...), in name order."""
    return {path.name.removesuffix(SUFFIX): path for path in sorted(SCHEMA_DIR.glob(f"*{SUFFIX}"))}


def load_schema(name: str) -> dict[str, object]:
    files = schema_files()
    if name not in files:
        known = ", ".join(files) or f"none: {SCHEMA_DIR} has no *{SUFFIX} files"
        raise ConfigError(f"no schema {name!r} (one of: {known})")
    try:
        data = json.loads(files[name].read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the schema: {exc}", path=files[name]) from exc
    if not isinstance(data, dict):
        raise InputError("not a JSON Schema object", path=files[name])
    return data


def schema(
    name: Annotated[str | None, typer.Argument(metavar="[NAME]", help="A schema name, e.g. check or trace.")] = None,
    path: Annotated[bool, typer.Option("--path", help="Print the schema file's path instead of its text.")] = False,
) -> int:
    """Print the JSON Schema of one --format json output, or list them all with the command each describes."""
    if name is None:
        width = max((len(n) for n in schema_files()), default=0)
        for known in schema_files():
            typer.echo(f"{known:<{width}}  {load_schema(known).get('title', '')}")
        typer.echo(f"\nfiles: {SCHEMA_DIR}/NAME{SUFFIX}")
        return 0
    data = load_schema(name)
    typer.echo(str(schema_files()[name]) if path else json.dumps(data, indent=2, ensure_ascii=False))
    return 0
