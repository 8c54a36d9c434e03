"""Message templates: text with `{expression}` placeholders (the condition language), `{{`/`}}` for braces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sipdoctor.advice.expr import ExprError, Expression, parse

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[str | Expression, ...]

    @property
    def names(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for part in self.parts:
            if isinstance(part, Expression):
                out |= part.names
        return out

    def render(self, scope: Mapping[str, Any]) -> str:
        return "".join(p if isinstance(p, str) else show(p.evaluate(scope)) for p in self.parts)


def parse_template(source: str) -> Template:
    parts: list[str | Expression] = []
    pos = 0
    for match in PLACEHOLDER.finditer(source):
        parts.append(source[pos : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
        else:
            try:
                parts.append(parse(match.group(1)))
            except ExprError as exc:
                raise ExprError(f"in placeholder {token}: {exc}", match.start() + 1) from None
        pos = match.end()
    tail = source[pos:]
    if "{" in tail or "}" in tail:
        raise ExprError("unbalanced brace in template (write {{ or }} for a literal brace)", pos + 1)
    parts.append(tail)
    return Template(source, tuple(p for p in parts if p != ""))


def show(value: Any) -> str:
    """How a fact reads in a message."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)
