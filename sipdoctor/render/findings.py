"""Renderers for `check`: human (Rich), JSON, and GitHub workflow-command annotations. Pure functions."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from sipdoctor.model import SCHEMA_VERSION, CheckResult, Finding, Remediation, Severity, Verdict
from sipdoctor.render import utf8_text
from sipdoctor.render.terminal import VERDICT_STYLES
from sipdoctor.render.tree import render_tree

HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Notes"}
STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MARKS = {Severity.ERROR: ("✗", "x"), Severity.WARNING: ("⚠", "!"), Severity.INFO: ("ℹ", "i")}
TREE_STYLES = {v.value: VERDICT_STYLES[v] for v in Verdict} | {"not-profiled": "dim"}
GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def sip_summary(facts: dict[str, Any]) -> str:
    sip, linux = facts.get("sip"), facts.get("linux")
    if sip is not None:
        if not sip["readable"]:
            return "SIP status unreadable"
        qualifier = f" ({sip['qualifier']})" if sip["qualifier"] else ""
        stripping = "strips" if sip["dyld_env_stripping"] else "does not strip"
        return f"SIP {sip['status']}{qualifier}: {stripping} DYLD_* at Apple's binaries"
    if facts["host"]["target"] == "macos":
        return "SIP assumed on (no csrutil on this host)"
    if linux is not None:
        return "Linux: LD_PRELOAD injection"
    return "no SIP facts on this host"


def human(result: CheckResult, *, ascii_only: bool, width: int = 100, verbosity: int = 0) -> RenderableType:
    """The report; `verbosity` -1 (--quiet) is the verdict line alone, 1 (--verbose) adds each finding's evidence."""
    if verbosity < 0:
        return _verdict_line(result, ascii_only)
    target = result.facts["host"]["target"]
    dot = "-" if ascii_only else "·"
    parts: list[RenderableType] = [Text(f"sipdoctor check (target {target}) {dot} {sip_summary(result.facts)}", "bold")]
    parts.extend(_trees(result.facts, ascii_only))
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        group = [f for f in result.findings if f.severity == severity]
        if group:
            parts.append(Text(""))
            parts.append(Text(f"{HEADINGS[severity]} ({len(group)})", STYLES[severity]))
            parts.extend(render_finding(f, ascii_only, width, evidence=verbosity > 0) for f in group)
    parts.append(Text(""))
    parts.append(_verdict_line(result, ascii_only))
    return Group(*parts)


def _trees(facts: dict[str, Any], ascii_only: bool) -> list[RenderableType]:
    """The predicted tree of each benchmark command that loses processes (of every losing command when the
    project has no benchmark-looking one); the other losing commands on one line each."""
    commands = (facts.get("project") or {}).get("commands", [])
    losing = [c for c in commands if c["verdict"] != "profiled"]
    if not commands:
        return []
    drawn = [c for c in losing if c["benchmark"]] or losing
    out: list[RenderableType] = [Text(""), Text(
        f"Predicted process trees: {len(losing)} of {len(commands)} project commands lose processes", "bold")]
    for command in drawn:
        out.append(Text(f"  {command['source']} `{command['name']}` ({_where(command)})", "dim"))
        out.extend(Text("    " + line.text, TREE_STYLES.get(line.status, ""), no_wrap=True, overflow="ignore")
                   for line in render_tree(command["tree"], ascii_only=ascii_only))
    others = [c for c in losing if c not in drawn]
    if others:
        out.append(Text("  also losing processes (not benchmarks): " + ", ".join(
            f"`{c['run_as']}`" for c in others), "dim"))
    return out


def _where(command: dict[str, Any]) -> str:
    return f"{command['file']}:{command['line']}" if command.get("line") else str(command["file"])


def _wrapped(text: str, indent: int, width: int, style: str = "", first: str = "") -> list[Text]:
    """Indented, wrapped paragraphs (no trailing padding, unlike Rich's Padding)."""
    out: list[Text] = []
    for paragraph in text.split("\n\n"):
        lines = textwrap.wrap(paragraph, max(width - indent, 30), initial_indent=first) or [first]
        out.extend(Text(" " * indent + line, style) for line in lines)
    return out


def render_finding(finding: Finding, ascii_only: bool, width: int, *, evidence: bool = False) -> RenderableType:
    mark = MARKS[finding.severity][1 if ascii_only else 0]
    lines: list[RenderableType] = [
        Text.assemble((f"  {mark} ", STYLES[finding.severity]), (finding.rule, "bold"), f"  {finding.title}")
    ]
    lines.extend(_wrapped(finding.message, 6, width))
    if evidence and finding.evidence:
        lines.append(Text("      Evidence:", "dim"))
        lines.extend(Text(f"        {key}: {json.dumps(value, ensure_ascii=False)}", "dim", overflow="fold")
                     for key, value in finding.evidence.items())
    for remedy in finding.remediations:
        lines.extend(_wrapped(remedy.text, 6, width, first="Fix: "))
        lines.extend(Text(f"        {line}", "bold") for line in remedy_lines(remedy))
    return Group(*lines)


def remedy_lines(remedy: Remediation) -> list[str]:
    """The exact actions of a remediation: a command, a file edit (with its undo), a command to run instead."""
    out = [f"$ {line}" for line in (remedy.command or "").splitlines()]
    if remedy.edit:
        out.append(f"edit: {remedy.edit.describe()} (undo: {remedy.edit.undo()})")
    if remedy.run_instead and remedy.run_instead != remedy.command:
        out.append(f"run instead: {remedy.run_instead}")
    return out


def _verdict_line(result: CheckResult, ascii_only: bool) -> Text:
    if result.count(Severity.ERROR):
        return Text(f"{'x' if ascii_only else '✗'} {result.verdict}", "bold red")
    return Text(f"{'ok' if ascii_only else '✓'} {result.verdict}", "bold green")


def to_json(result: CheckResult) -> str:
    facts = result.facts
    project = facts.get("project") or {}
    path = facts.get("path") or {}
    payload = {
        "schema_version": SCHEMA_VERSION,
        "platform": facts["host"]["os"],
        "target": facts["host"]["target"],
        "profiler": facts.get("profiler"),
        "sip": facts.get("sip"),
        "linux": facts.get("linux"),
        "findings": [f.to_json() for f in result.findings],
        "commands": [_command_json(c) for c in project.get("commands", [])],
        "problems": project.get("problems", []),
        "path": {"entries": path.get("entries", []), "shadowing": path.get("shadowing", [])},
        "toolchains": facts.get("toolchains"),
        "summary": {
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "notes": result.count(Severity.INFO),
            "fail_on": result.fail_on,
            "verdict": result.verdict,
            "exit_code": result.exit_code,
        },
    }
    return utf8_text(json.dumps(payload, indent=2, ensure_ascii=False))


def _command_json(command: dict[str, Any]) -> dict[str, Any]:
    keys = ("source", "file", "line", "name", "command", "run_as", "benchmark", "job", "verdict", "tree",
            "reinject", "stripped_hops")
    return {key: command.get(key) for key in keys}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(result: CheckResult) -> str:
    """One workflow command per finding (::error/::warning/::notice), then the verdict as plain text."""
    lines = [annotation(f) for f in result.findings]
    lines.append(result.verdict)
    return "\n".join(lines)


def annotation(finding: Finding) -> str:
    props = [f"title={_escape_property(f'{finding.rule} {finding.title}')}"]
    file, line = finding.evidence.get("file"), finding.evidence.get("line")
    if isinstance(file, str):
        props.insert(0, f"file={_escape_property(file)}")
        if isinstance(line, int):
            props.insert(1, f"line={line}")
    body = finding.message
    for remedy in finding.remediations:
        body += f"\nFix: {remedy.text}" + "".join(f"\n  {line}" for line in remedy_lines(remedy))
    return f"::{GITHUB_LEVELS[finding.severity]} {','.join(props)}::{_escape_data(body)}"
