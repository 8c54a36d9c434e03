"""Renderers for `rules list` and `rules show`. Pure functions of the loaded rules."""

from __future__ import annotations

import json

from sipdoctor.advice.loader import RuleSet
from sipdoctor.advice.schema import Rule
from sipdoctor.model import SCHEMA_VERSION


def table(ruleset: RuleSet) -> str:
    width = max((len(r.id) for r in ruleset.rules), default=2)
    lines = [f"{r.id:<{width}}  {r.severity.value:<7}  {r.title.source}" for r in ruleset.rules]
    lines.extend(f"note: {note}" for note in ruleset.overridden)
    return "\n".join(lines)


def to_json(ruleset: RuleSet) -> str:
    rules = [
        {"id": r.id, "severity": r.severity.value, "title": r.title.source, "source": r.source}
        for r in ruleset.rules
    ]
    payload = {"schema_version": SCHEMA_VERSION, "rules": rules, "overridden": list(ruleset.overridden)}
    return json.dumps(payload, indent=2)


def detail(rule: Rule) -> str:
    lines = [f"{rule.id} ({rule.severity.value}): {rule.title.source}", f"  from {rule.source}"]
    if rule.description:
        lines += ["", *(f"  {line}" for line in rule.description.splitlines())]
    if rule.for_each:
        lines += ["", f"  for each: {rule.for_each.source.strip()}"]
    lines += ["", f"  when: {rule.when.source.strip()}", "", "  message:"]
    lines += [f"    {line}" for line in rule.message.source.strip().splitlines()]
    for remedy in rule.remediations:
        condition = f"  (when {remedy.when.source.strip()})" if remedy.when else ""
        lines += ["", f"  fix: {remedy.text.source.strip()}{condition}"]
        if remedy.command:
            lines += [f"    $ {line}" for line in remedy.command.source.strip().splitlines()]
        if remedy.edit:
            replacement = remedy.edit.replacement
            change = remedy.edit.text.source + (f" -> {replacement.source}" if replacement else "")
            lines += [f"    edit {remedy.edit.file.source} ({remedy.edit.action}): {change}"]
        if remedy.run_instead:
            lines += [f"    run instead: {remedy.run_instead.source.strip()}"]
    if rule.references:
        lines += ["", "  references:", *(f"    {ref}" for ref in rule.references)]
    return "\n".join(lines)
