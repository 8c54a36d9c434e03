"""What a rule is, and the validation of one rule mapping from YAML (file, line and key in every error)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdoctor.advice.catalog import first_unknown
from sipdoctor.advice.expr import ExprError, Expression, parse
from sipdoctor.advice.template import Template, parse_template
from sipdoctor.errors import RuleError
from sipdoctor.model import Severity
from sipdoctor.sources.yamlines import LineDict

RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")

FACT_ROOTS = frozenset({"host", "sip", "linux", "project", "path", "toolchains", "profiler", "trace"})
"""Top-level facts a condition may read; `item` is added for rules with `for_each`."""

RULE_KEYS = {
    "id": "stable ID such as SIP001 (required)",
    "severity": "error | warning | info (required)",
    "title": "one line (required; may use {placeholders})",
    "when": "condition (required)",
    "for_each": "expression giving a list: one finding per element, bound as `item`",
    "message": "text with {placeholders} (required)",
    "remediations": "list of {text, command, when}",
    "references": "list of URLs or source citations",
    "evidence": "mapping of name -> expression, shown with the finding",
    "description": "longer text for `rules show` and docs/rules.md",
    "example": "facts the rule fires on, for docs/rules.md and tests",
}
REMEDIATION_KEYS = {
    "text": "what to do (required)",
    "command": "a command to paste",
    "edit": "a file edit: {file, append | prepend | replace + with}",
    "run_instead": "the command line to run instead",
    "when": "condition",
}
EDIT_KEYS = {"file": "the file to change (required)", "append": "a line to add at the end",
             "prepend": "a line to add at the top", "replace": "text to replace", "with": "its replacement"}


@dataclass(frozen=True)
class EditSpec:
    file: Template
    action: str
    text: Template
    replacement: Template | None


@dataclass(frozen=True)
class RemediationSpec:
    text: Template
    command: Template | None
    when: Expression | None
    edit: EditSpec | None = None
    run_instead: Template | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: Template
    when: Expression
    message: Template
    for_each: Expression | None = None
    remediations: tuple[RemediationSpec, ...] = ()
    references: tuple[str, ...] = ()
    evidence: tuple[tuple[str, Expression], ...] = ()
    description: str = ""
    example: dict[str, Any] | None = None
    source: str = ""
    """Where the rule was loaded from: `path:line`."""

    @property
    def reads(self) -> frozenset[str]:
        """The top-level facts the rule's condition and loop read (a command evaluates only the rules that
        read what it collected)."""
        return self.when.names | (self.for_each.names if self.for_each else frozenset())


@dataclass(frozen=True)
class _Where:
    path: Path
    mapping: LineDict

    def line(self, key: str | None = None) -> int:
        if key is not None and key in getattr(self.mapping, "key_lines", {}):
            return self.mapping.key_lines[key]
        return getattr(self.mapping, "line", 0) or 1

    def error(self, message: str, key: str | None = None) -> RuleError:
        prefix = f"key '{key}': " if key else ""
        return RuleError(prefix + message, path=self.path, line=self.line(key))


def build_rule(mapping: Any, path: Path) -> Rule:
    if not isinstance(mapping, LineDict):
        raise RuleError(f"a rule must be a mapping, not {_kind(mapping)}", path=path)
    where = _Where(path, mapping)
    _check_keys(where, RULE_KEYS, "rule")
    rule_id = _required_str(where, "id")
    if not RULE_ID.match(rule_id):
        raise where.error(f"'{rule_id}' is not a rule ID (letters then three digits, e.g. SIP001)", "id")
    for_each = _optional_expr(where, "for_each")
    roots = FACT_ROOTS | ({"item"} if for_each else set())
    return Rule(
        id=rule_id,
        severity=_severity(where),
        title=_template(where, "title", roots),
        when=_expr(where, "when", roots),
        message=_template(where, "message", roots),
        for_each=for_each,
        remediations=_remediations(where, roots),
        references=tuple(_str_list(where, "references")),
        evidence=_evidence(where, roots),
        description=_optional_str(where, "description"),
        example=_example(where),
        source=f"{path}:{where.line()}",
    )


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", bool: "true/false", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def _check_keys(where: _Where, allowed: dict[str, str], what: str) -> None:
    for key in where.mapping:
        if key not in allowed:
            raise where.error(f"unknown key in a {what} (allowed: {', '.join(allowed)})", key)


def _required_str(where: _Where, key: str) -> str:
    if key not in where.mapping:
        raise where.error(f"missing required key '{key}' ({RULE_KEYS.get(key) or REMEDIATION_KEYS.get(key)})")
    value = where.mapping[key]
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"must be a non-empty string, not {_kind(value)}", key)
    return value.strip()


def _optional_str(where: _Where, key: str) -> str:
    return _required_str(where, key) if key in where.mapping else ""


def _severity(where: _Where) -> Severity:
    value = _required_str(where, "severity")
    try:
        return Severity(value)
    except ValueError:
        raise where.error(f"'{value}' is not a severity (error, warning, info)", "severity") from None


def _parsed(where: _Where, key: str, text: str, roots: frozenset[str], template: bool) -> Any:
    try:
        parsed = parse_template(text) if template else parse(text)
    except ExprError as exc:
        column = f" (column {exc.column})" if exc.column else ""
        shown = "" if template else f": {text.strip()!r}"
        raise where.error(f"{exc}{column}{shown}", key) from None
    unknown = sorted(parsed.names - roots)
    if unknown:
        raise where.error(f"unknown fact '{unknown[0]}' (known: {', '.join(sorted(roots))})", key)
    for expression in parsed.parts if isinstance(parsed, Template) else [parsed]:
        wrong = first_unknown(expression.tree) if isinstance(expression, Expression) else None
        if wrong is not None:
            raise where.error(f"unknown fact '{wrong[0]}' (column {wrong[1]}; the facts are listed in "
                              "docs/rules.md)", key)
    return parsed


def _expr(where: _Where, key: str, roots: frozenset[str]) -> Expression:
    value: Expression = _parsed(where, key, _required_str(where, key), roots, template=False)
    return value


def _optional_expr(where: _Where, key: str) -> Expression | None:
    return _expr(where, key, FACT_ROOTS) if key in where.mapping else None


def _template(where: _Where, key: str, roots: frozenset[str]) -> Template:
    value: Template = _parsed(where, key, _required_str(where, key), roots, template=True)
    return value


def _str_list(where: _Where, key: str) -> list[str]:
    value = where.mapping.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error("must be a list of strings", key)
    return value


def _remediations(where: _Where, roots: frozenset[str]) -> tuple[RemediationSpec, ...]:
    value = where.mapping.get("remediations", [])
    if not isinstance(value, list):
        raise where.error(f"must be a list, not {_kind(value)}", "remediations")
    out = []
    for entry in value:
        if not isinstance(entry, LineDict):
            raise where.error(f"each remediation must be a mapping, not {_kind(entry)}", "remediations")
        inner = _Where(where.path, entry)
        _check_keys(inner, REMEDIATION_KEYS, "remediation")
        out.append(
            RemediationSpec(
                text=_template(inner, "text", roots),
                command=_template(inner, "command", roots) if "command" in entry else None,
                when=_expr(inner, "when", roots) if "when" in entry else None,
                edit=_edit(inner, roots) if "edit" in entry else None,
                run_instead=_template(inner, "run_instead", roots) if "run_instead" in entry else None,
            )
        )
    return tuple(out)


def _edit(where: _Where, roots: frozenset[str]) -> EditSpec:
    value = where.mapping["edit"]
    if not isinstance(value, LineDict):
        raise where.error(f"must be a mapping {{file, append | prepend | replace + with}}, not {_kind(value)}", "edit")
    inner = _Where(where.path, value)
    _check_keys(inner, EDIT_KEYS, "file edit")
    actions = [key for key in ("append", "prepend", "replace") if key in value]
    if len(actions) != 1:
        raise inner.error("a file edit takes exactly one of append, prepend, replace")
    if (actions[0] == "replace") != ("with" in value):
        raise inner.error("'with' goes with 'replace', and only with it")
    return EditSpec(
        file=_template(inner, "file", roots),
        action=actions[0],
        text=_template(inner, actions[0], roots),
        replacement=_template(inner, "with", roots) if "with" in value else None,
    )


def _evidence(where: _Where, roots: frozenset[str]) -> tuple[tuple[str, Expression], ...]:
    if "evidence" not in where.mapping:
        return ()
    value = where.mapping["evidence"]
    if not isinstance(value, LineDict):
        raise where.error(f"must be a mapping of name -> expression, not {_kind(value)}", "evidence")
    inner = _Where(where.path, value)
    return tuple((name, _expr(inner, name, roots)) for name in value)


def _example(where: _Where) -> dict[str, Any] | None:
    value = where.mapping.get("example")
    if value is not None and not isinstance(value, dict):
        raise where.error(f"must be a mapping of facts, not {_kind(value)}", "example")
    return value
