"""The look of `--help`: click's plain layout, with no type metavars.

Recent Typer prints a type after every parameter (`--fix <bool>`, `--rules <list[Path]>`, `ID <str>`). Here an
argument shows its name alone, a flag nothing, a choice its values (`[human|json]`), any other option its
METAVAR (or its name in capitals). Applied once by cli.py; tests/core/test_cli_conventions.py reads every
command's help.
"""

from __future__ import annotations

import enum
from typing import Any


def _option_metavar(param: Any, ctx: Any) -> str | None:
    if param.metavar is not None:
        return str(param.metavar)
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None) if getattr(descriptor, "is_choice", False) else None
    if choices:
        return "[" + "|".join(str(c.value if isinstance(c, enum.Enum) else c) for c in choices) + "]"
    return str(param.name or "value").upper()


def _argument_metavar(param: Any, ctx: Any) -> str | None:
    return None


def apply() -> None:
    """Replace Typer's typed metavars (Typer versions without them are left as they are)."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover
        return
    for name, function in (("TyperOption", _option_metavar), ("TyperArgument", _argument_metavar)):
        cls = getattr(core, name, None)
        if cls is not None and hasattr(cls, "display_type_rich"):
            cls.display_type_rich = function
