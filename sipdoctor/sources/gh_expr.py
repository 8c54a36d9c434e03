"""GitHub Actions expressions, as far as a workflow's own text decides them on a given runner.

Enough of the language for `if:` conditions and `runs-on` values: string, number and boolean literals,
`runner.os`, `runner.arch`, `matrix.*`, `==`, `!=`, `!`, `&&`, `||` (which return an operand, as GitHub's do),
parentheses, and `startsWith`, `endsWith`, `contains` (strings compared ignoring case, GitHub's "Expressions"
documentation). Anything else (`github.*`, `needs.*`, `success()`, `secrets`) is UNKNOWN, and UNKNOWN spreads:
an `if:` that depends on it is taken to run the step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

UNKNOWN: Any = object()
TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!(),])|"
                   r"(?P<name>[A-Za-z_][\w.-]*))")
FUNCTIONS: dict[str, Callable[[str, str], bool]] = {"startswith": lambda a, b: a.lower().startswith(b.lower()),
             "endswith": lambda a, b: a.lower().endswith(b.lower()),
             "contains": lambda a, b: b.lower() in a.lower()}


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    """The value of an expression (without `${{ }}`), or UNKNOWN."""
    tokens = _tokens(text)
    if tokens is None:
        return UNKNOWN
    parser = _Parser(tokens, context)
    try:
        value = parser.either()
    except (IndexError, ValueError):
        return UNKNOWN
    return value if parser.at == len(tokens) else UNKNOWN


def condition_holds(condition: Any, context: Mapping[str, Any]) -> bool:
    """False only when the condition is known to be false here (an `if:` skips the step or job)."""
    if isinstance(condition, bool):
        return condition
    if not isinstance(condition, str) or not condition.strip():
        return True
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    value = evaluate(text, context)
    return True if value is UNKNOWN else _truthy(value)


def _tokens(text: str) -> list[tuple[str, str]] | None:
    out, at = [], 0
    while at < len(text.rstrip()):
        match = TOKEN.match(text, at)
        if match is None:
            return None
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        at = match.end()
    return out


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") if value is not UNKNOWN else True


def _equal(a: Any, b: Any) -> Any:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], context: Mapping[str, Any]) -> None:
        self.tokens, self.context, self.at = tokens, context, 0

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def either(self) -> Any:
        value = self.both()
        while self._peek() == "||":
            self._take()
            other = self.both()
            value = value if value is not UNKNOWN and _truthy(value) else (
                UNKNOWN if value is UNKNOWN else other)
        return value

    def both(self) -> Any:
        value = self.compare()
        while self._peek() == "&&":
            self._take()
            other = self.compare()
            if value is not UNKNOWN and not _truthy(value):
                continue  # false && anything: false
            value = other if value is not UNKNOWN else (UNKNOWN if other is UNKNOWN or _truthy(other) else other)
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            same = _equal(value, self.unary())
            value = same if same is UNKNOWN or op == "==" else not same
        return value

    def unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else not _truthy(value)
        return self.atom()

    def atom(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self.either()
            if self._take()[1] != ")":
                raise ValueError("unbalanced")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind != "name":
            raise ValueError(text)
        if self._peek() == "(":
            return self._call(text)
        return {"true": True, "false": False, "null": None}.get(text, self._lookup(text))

    def _call(self, name: str) -> Any:
        self._take()
        if self._peek() == ")":  # success(), always(), cancelled(): the run's state, not the workflow's text
            self._take()
            return UNKNOWN
        args = [self.either()]
        while self._peek() == ",":
            self._take()
            args.append(self.either())
        if self._take()[1] != ")":
            raise ValueError("unbalanced")
        function = FUNCTIONS.get(name.lower())
        if function is None or len(args) != 2 or any(a is UNKNOWN for a in args):
            return UNKNOWN
        return function(*(str(a) if not isinstance(a, str) else a for a in args))

    def _lookup(self, dotted: str) -> Any:
        value: Any = self.context
        for depth, part in enumerate(dotted.split(".")):
            if not isinstance(value, Mapping) or part not in value:
                # a key the matrix combination does not have is null, as on GitHub; any other name is unknown
                return None if depth > 0 and dotted.startswith("matrix.") else UNKNOWN
            value = value[part]
        return value
