"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. A pure function of findings, rules and file texts.

Every result carries a location, because GitHub code scanning rejects a whole file when one result has none
(docs/integrations.md). A finding about a file of the project is a result at that file and line; a finding about
the machine (the SIP state, a script on PATH, a traced process) has no file of the project to point at, so it is
a tool execution notification of the run instead: still in the log, never an alert on an unrelated line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sipdoctor.advice.schema import Rule
from sipdoctor.model import FileEdit, Finding, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Tool:
    """Who wrote the log: name, version, home page, and where the built-in rules are documented."""

    version: str
    information_uri: str | None = None
    rules_doc_uri: str | None = None
    """The rules page; a built-in rule's help is `<this>#<id in lower case>`."""
    builtin_rules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Located:
    """A finding placed in the project: a path relative to its root (POSIX) and a line (None: the whole file)."""

    finding: Finding
    path: str | None
    line: int | None


def locate(findings: Sequence[Finding], project: Path | None) -> list[Located]:
    """Place each finding at the project file (and line) its evidence names; elsewhere, at no file."""
    out: list[Located] = []
    for finding in findings:
        file, line = finding.evidence.get("file"), finding.evidence.get("line")
        path = None
        if isinstance(file, str) and project is not None:
            candidate = Path(file) if Path(file).is_absolute() else project / file
            if candidate.is_relative_to(project) and candidate != project:
                path = candidate.relative_to(project).as_posix()
        out.append(Located(finding, path, line if isinstance(line, int) and line > 0 and path else None))
    return out


def sarif(
    located: Sequence[Located], rules: Sequence[Rule], tool: Tool, *, root_uri: str | None,
    changes: Mapping[FileEdit, tuple[str, str]] | None = None,
) -> str:
    """The log as JSON text. `changes` maps an edit to its file's text before and after it, exactly as
    `check --fix` would write it (sipdoctor/fix.py); an edit missing there (it would change nothing, or cannot
    be made) is not offered as a fix."""
    used = _used_rules(located, rules)
    index = {rule.id: i for i, rule in enumerate(used)}
    results = [_result(item, index, changes or {}) for item in located if item.path is not None]
    notes = [_notification(item.finding, index) for item in located if item.path is None]
    run: dict[str, Any] = {
        "tool": {"driver": _driver(used, tool)},
        "columnKind": "utf16CodeUnits",
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
        "results": results,
    }
    if root_uri is not None:
        run["originalUriBaseIds"] = {ROOT: {"uri": root_uri}}
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _used_rules(located: Sequence[Located], rules: Sequence[Rule]) -> list[Rule]:
    """The rules of the findings, in the ruleset's order (a rule that fired but is not in it is skipped)."""
    fired = {item.finding.rule for item in located}
    return [rule for rule in rules if rule.id in fired]


def _driver(rules: Sequence[Rule], tool: Tool) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "sipdoctor", "version": tool.version, "semanticVersion": tool.version}
    if tool.information_uri:
        driver["informationUri"] = tool.information_uri
    driver["rules"] = [_descriptor(rule, tool) for rule in rules]
    return driver


def _descriptor(rule: Rule, tool: Tool) -> dict[str, Any]:
    title = static_title(rule)
    description = " ".join(rule.description.split()) or title
    help_uri = f"{tool.rules_doc_uri}#{rule.id.lower()}" if tool.rules_doc_uri and rule.id in tool.builtin_rules \
        else None
    help_text = description + (f"\n\nSee {help_uri}" if help_uri else f"\n\nRule defined in {rule.source}")
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule_name(title),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": _help_markdown(rule, description, help_uri)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["profiling", "macos"], "precision": "high"},
    }
    if help_uri:
        out["helpUri"] = help_uri
    return out


def static_title(rule: Rule) -> str:
    """The rule's title without its placeholders (`{item.path}` becomes `…`)."""
    return PLACEHOLDER.sub("…", rule.title.source).replace("{{", "{").replace("}}", "}").strip()


def rule_name(title: str) -> str:
    """A SARIF rule name: the title's words in CamelCase (`SipIsDisabledEntirely`)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _help_markdown(rule: Rule, description: str, help_uri: str | None) -> str:
    lines = [f"**{rule.id}** ({rule.severity.value}): {description}"]
    if rule.references:
        lines += ["", "References:", *(f"- {ref}" for ref in rule.references)]
    if help_uri:
        lines += ["", f"[Documentation]({help_uri})"]
    return "\n".join(lines)


def _message(finding: Finding) -> str:
    text = f"{finding.title}\n\n{finding.message.strip()}"
    for remedy in finding.remediations:
        text += f"\n\nFix: {remedy.text}"
        if remedy.command:
            text += f"\n  $ {remedy.command}"
        if remedy.run_instead and remedy.run_instead != remedy.command:
            text += f"\n  run instead: {remedy.run_instead}"
    return text


def _result(item: Located, index: Mapping[str, int], changes: Mapping[FileEdit, tuple[str, str]]) -> dict[str, Any]:
    finding = item.finding
    region = {"startLine": item.line} if item.line else None
    physical: dict[str, Any] = {"artifactLocation": _artifact(item.path or "")}
    if region:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"sipdoctorFinding/v1": _fingerprint(item)},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    fixes = [fix for remedy in finding.remediations if remedy.edit
             for fix in [_fix(remedy.text, remedy.edit, changes)] if fix is not None]
    if fixes:
        result["fixes"] = fixes
    return result


def _notification(finding: Finding, index: Mapping[str, int]) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "associatedRule": {"id": finding.rule},
    }
    if finding.rule in index:
        note["associatedRule"]["index"] = index[finding.rule]
    return note


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(path, safe="/"), "uriBaseId": ROOT}


def _fingerprint(item: Located) -> str:
    """Stable per rule, place and evidence: several findings of one rule on one line stay separate alerts."""
    evidence = {k: v for k, v in item.finding.evidence.items() if k not in ("file", "line")}
    key = json.dumps([item.finding.rule, item.path, item.line, evidence], sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------------
# Fixes: the same change `check --fix` makes (sipdoctor/fix.py), as a region of the file and its new text


def _fix(description: str, edit: FileEdit, changes: Mapping[FileEdit, tuple[str, str]]) -> dict[str, Any] | None:
    if edit not in changes:
        return None
    old, new = changes[edit]
    return {
        "description": {"text": description},
        "artifactChanges": [{"artifactLocation": _artifact(edit.file), "replacements": [replacement(old, new)]}],
    }


def replacement(old: str, new: str) -> dict[str, Any]:
    """One SARIF replacement that turns `old` into `new`: the span between their common prefix and suffix."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return _replacement(old, prefix, len(old) - suffix, new[prefix:len(new) - suffix])


def _replacement(text: str, start: int, end: int, inserted: str) -> dict[str, Any]:
    start_line, start_column = _position(text, start)
    end_line, end_column = _position(text, end)
    region = {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}
    return {"deletedRegion": region, "insertedContent": {"text": inserted}}


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in UTF-16 code units, the run's columnKind) of a character offset."""
    before = text[:offset]
    line = before.count("\n") + 1
    column_text = before[before.rfind("\n") + 1:]
    return line, len(column_text.encode("utf-16-le")) // 2 + 1
