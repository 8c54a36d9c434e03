"""Evaluate rules over facts. Pure: facts (JSON-like data) in, findings out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sipdoctor.advice.schema import EditSpec, RemediationSpec, Rule
from sipdoctor.model import FileEdit, Finding, Remediation


@dataclass(frozen=True)
class RuleFailure:
    """A rule that raised while it was evaluated: it is left out and the rest go on."""

    rule: str
    source: str  # path:line of the rule
    message: str

    def line(self) -> str:
        return f"{self.source}: rule {self.rule} failed and was skipped: {self.message}"


def evaluate(rules: Iterable[Rule], facts: Mapping[str, Any]) -> list[Finding]:
    return evaluate_all(rules, facts)[0]


def evaluate_all(rules: Iterable[Rule], facts: Mapping[str, Any]) -> tuple[list[Finding], list[RuleFailure]]:
    """Every rule's findings; a rule that fails (a bad pattern, a function given the wrong type, a runaway
    pattern, an expression nested too deeply) is reported instead, naming its file and line."""
    findings: list[Finding] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        try:
            findings.extend(evaluate_rule(rule, facts))
        except RecursionError:
            failures.append(RuleFailure(rule.id, rule.source, "an expression is nested too deeply"))
        except Exception as exc:  # rules are user input: whatever one raises, the check goes on without it
            failures.append(RuleFailure(rule.id, rule.source, f"{type(exc).__name__}: {exc}"))
    return findings, failures


def evaluate_rule(rule: Rule, facts: Mapping[str, Any]) -> list[Finding]:
    if rule.for_each is None:
        scopes: list[Mapping[str, Any]] = [facts]
    else:
        items = rule.for_each.evaluate(facts)
        scopes = [{**facts, "item": item} for item in (items if isinstance(items, list) else [])]
    return [_finding(rule, scope) for scope in scopes if rule.when.test(scope)]


def _finding(rule: Rule, scope: Mapping[str, Any]) -> Finding:
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        title=rule.title.render(scope),
        message=reflow(rule.message.render(scope)),
        evidence=_evidence(rule, scope),
        remediations=tuple(_remediation(spec, scope) for spec in rule.remediations if _applies(spec, scope)),
        references=rule.references,
    )


def _evidence(rule: Rule, scope: Mapping[str, Any]) -> dict[str, Any]:
    if rule.evidence:
        return {name: expr.evaluate(scope) for name, expr in rule.evidence}
    item = scope.get("item")
    return dict(item) if isinstance(item, Mapping) else {}


def _applies(spec: RemediationSpec, scope: Mapping[str, Any]) -> bool:
    return spec.when is None or spec.when.test(scope)


def _remediation(spec: RemediationSpec, scope: Mapping[str, Any]) -> Remediation:
    command = spec.command.render(scope).strip() if spec.command else None
    run_instead = spec.run_instead.render(scope).strip() if spec.run_instead else None
    return Remediation(
        text=reflow(spec.text.render(scope)),
        command=command or None,
        edit=_edit(spec.edit, scope) if spec.edit else None,
        run_instead=run_instead or None,
    )


def _edit(spec: EditSpec, scope: Mapping[str, Any]) -> FileEdit:
    return FileEdit(
        file=spec.file.render(scope),
        action=spec.action,
        text=spec.text.render(scope),
        replacement=spec.replacement.render(scope) if spec.replacement else None,
    )


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of YAML block text; blank lines still separate paragraphs."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
