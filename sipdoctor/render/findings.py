"""Renderers for `check`: human (Rich), JSON, and GitHub workflow-command annotations. Pure functions."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from sipdoctor.model import SCHEMA_VERSION, CheckResult, Finding, Plan, Remediation, Severity, Step, Verdict
from sipdoctor.project.fixes import command_label, join_commands
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
    machine = facts.get("machine") or {}
    if machine.get("kind") in ("model", "root"):
        return f"judged on {machine['label']} ({machine['arch']}, SIP {machine['sip']['state']})"
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
    parts: list[RenderableType] = list(wrapped(f"sipdoctor check (target {target}) {dot} {sip_summary(result.facts)}",
                                               width, 4, "bold"))
    parts.extend(plan_lines(result.plan, width))
    parts.extend(_trees(result.facts, ascii_only, width, every=verbosity > 0))
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        group = [f for f in result.findings if f.severity == severity]
        if group:
            parts.append(Text(""))
            parts.append(Text(f"{HEADINGS[severity]} ({len(group)})", STYLES[severity]))
            parts.extend(render_finding(f, ascii_only, width, evidence=verbosity > 0) for f in group)
    parts.append(Text(""))
    parts.append(_verdict_line(result, ascii_only))
    return Group(*parts)


STEP_TITLES = {"edit": "Edit {file}", "run-instead": "Run instead of `{command}`",
               "install": "Install (listed here, never run by sipdoctor)", "command": "Run"}


def plan_lines(plan: Plan | None, width: int) -> list[RenderableType]:
    """The fix plan as numbered steps, each exact change on its own line (never wrapped: it stays copyable)."""
    if plan is None or not plan.losing:
        return []
    out: list[RenderableType] = [Text(""), Text(f"Fix plan: {plan.summary}", "bold")]
    for number, step in enumerate(plan.steps, 1):
        edit = step.change.get("edit") or {}
        where = f"{edit.get('file')}:{edit['line']}" if edit.get("line") else edit.get("file")
        title = STEP_TITLES[step.kind].format(file=where, command=step.change.get("command", ""))
        check = "confirmed by predicting again" if step.confirmed else "not checked by the prediction"
        fixes = ", ".join(step.commands)
        lines = wrapped(f"  {number}. {title}  [{step.rule}; for {fixes}; {check}]", width, 7)
        lines[0].stylize("bold", len(f"  {number}. "), len(f"  {number}. {title}"))
        out.extend(lines)
        out.extend(_exact(line) for line in _step_change(step))
    for unfixed in plan.unfixed:
        verb = "cannot be verified after this plan" if unfixed.unverified else "is not fixed by this plan"
        out.extend(_wrapped(f"{unfixed.command} {verb}: {unfixed.reason}", 2, width, "yellow"))
    return out


def _step_change(step: Step) -> list[str]:
    if step.kind == "edit":
        return [str(step.change["describe"])]
    if step.kind == "run-instead":
        return [f"$ {step.change['run_instead']}"]
    return [f"$ {line}" for line in str(step.change["command"]).splitlines()]


def _exact(line: str) -> Text:
    return Text(f"       {line}", "bold", no_wrap=True, overflow="ignore")


CI_FIRST = {"codspeed-action": 0, "codspeed.yml": 0, "workflow": 1}
MAX_TREES = 5
"""Trees drawn without --verbose: a monorepo has dozens of benchmark commands, mostly with the same cause."""


def _trees(facts: dict[str, Any], ascii_only: bool, width: int = 100, every: bool = False) -> list[RenderableType]:
    """The predicted tree of each benchmark command that loses processes (the first MAX_TREES unless `every`);
    the other losing commands together on one line."""
    commands = (facts.get("project") or {}).get("commands", [])
    losing = [c for c in commands if c["verdict"] in ("stripped", "load-fails")]
    unjudged = [c for c in commands if c["verdict"] == "unknown"]
    if not commands:
        return []
    # what runs under the profiler in CI first (CodSpeed's steps, then workflow steps), then the project's own
    benchmarks = sorted((c for c in [*losing, *unjudged] if c["benchmark"]), key=lambda c: CI_FIRST.get(c["source"], 2))
    drawn = benchmarks if every else benchmarks[:MAX_TREES]
    heading = f"Predicted process trees: {len(losing)} of {len(commands)} project commands lose processes"
    heading += f", {len(unjudged)} could not be judged" if unjudged else ""
    out: list[RenderableType] = [Text(""), Text(heading, "bold")]
    for command in drawn:
        on = (command.get("machine") or {}).get("label")
        out.extend(wrapped(f"  {command['source']} `{command['name']}` ({_where(command)})"
                           + (f", judged on {on}" if on else ""), width, 6, "dim"))
        for line in render_tree(command["tree"], ascii_only=ascii_only):
            out.extend(Text(piece, TREE_STYLES.get(line.status, ""), no_wrap=True, overflow="ignore")
                       for piece in hanging("    " + line.text, width))
    if len(drawn) < len(benchmarks):
        rest = benchmarks[len(drawn):]
        out.extend(_wrapped(f"and {len(rest)} more benchmark commands ({join_commands(command_label(c) for c in rest)}"
                            f"): `check -v` draws them all", 2, width, "dim"))
    others = [c for c in losing if c not in benchmarks]
    if others:
        text = "also losing processes (not benchmarks): " + join_commands(command_label(c) for c in others)
        out.extend(_wrapped(text, 2, width, "dim"))
    return out


TREE_GLYPHS = " │├└─|`-"


def wrapped(line: str, width: int, indent: int, style: str = "") -> list[Text]:
    """A heading wrapped at spaces with its continuation indented (paths and commands are never cut)."""
    pieces = textwrap.wrap(line, width, subsequent_indent=" " * indent, break_long_words=False,
                           break_on_hyphens=False) if len(line) > width and width - indent >= 30 else [line]
    return [Text(piece, style, no_wrap=True, overflow="ignore") for piece in pieces or [line]]


def hanging(line: str, width: int) -> list[str]:
    """A tree line wrapped at spaces, the continuation indented under the process it belongs to (words,
    paths and commands are never cut)."""
    prefix = len(line) - len(line.lstrip(TREE_GLYPHS)) + 4
    if len(line) <= width or width - prefix < 30:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent=" " * prefix, break_long_words=False,
                         break_on_hyphens=False, drop_whitespace=True) or [line]


def _where(command: dict[str, Any]) -> str:
    return f"{command['file']}:{command['line']}" if command.get("line") else str(command["file"])


def _wrapped(text: str, indent: int, width: int, style: str = "", first: str = "") -> list[Text]:
    """Indented, wrapped paragraphs (no trailing padding, unlike Rich's Padding)."""
    out: list[Text] = []
    for paragraph in text.split("\n\n"):
        lines = textwrap.wrap(paragraph, max(width - indent, 30), initial_indent=first, break_long_words=False,
                              break_on_hyphens=False) or [first]
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
        lines.extend(Text(f"        {line}", "bold", no_wrap=True, overflow="ignore") for line in remedy_lines(remedy))
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
    if result.unverified or result.unrecognised_losing or result.nothing_found:  # nothing failed, nothing ready
        return Text(f"! {result.verdict}", "bold yellow")
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
        "plan": result.plan.to_json() if result.plan is not None else None,
        "findings": [f.to_json() for f in result.findings],
        "commands": [_command_json(c) for c in project.get("commands", [])],
        "problems": project.get("problems", []),
        "path": {"entries": path.get("entries", []), "shadowing": path.get("shadowing", [])},
        "toolchains": facts.get("toolchains"),
        "machine": facts.get("machine"),
        "onboarding": facts.get("onboarding") or [],
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
    keys = ("source", "file", "line", "name", "label", "directory", "command", "run_as", "benchmark", "profiler", "job",
            "verdict", "filters", "tree", "reinject", "stripped_hops", "machine", "unverified")
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
