"""`check --format markdown`: the report as GitHub-flavoured Markdown, for a job summary or a pull-request comment.

The verdict, the project's commands with their verdicts, the plan (each finding with its fix), and the
predicted trees of the commands that lose processes, folded. A pure function of the result.
"""

from __future__ import annotations

from typing import Any

from sipdoctor.model import CheckResult, Finding, Severity
from sipdoctor.render.findings import remedy_lines, sip_summary
from sipdoctor.render.tree import render_tree

MARKS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def markdown(result: CheckResult) -> str:
    facts = result.facts
    ok = not result.count(Severity.ERROR)
    lines = [
        f"### sipdoctor check (target {facts['host']['target']})",
        "",
        f"{'✅' if ok else '❌'} **{_inline(result.verdict)}** · {_inline(sip_summary(facts))}",
        "",
        _counts(result),
    ]
    project = facts.get("project") or {}
    commands = project.get("commands", [])
    if commands:
        lines += ["", *_commands_table(commands, str(project.get("project") or ""))]
    if result.findings:
        lines += ["", "#### Plan", ""]
        lines += [item for index, finding in enumerate(result.findings, 1) for item in _step(index, finding)]
    losing = [c for c in commands if c["verdict"] != "profiled"]
    if losing:
        lines += ["", *_trees(losing)]
    return "\n".join(lines) + "\n"


def _counts(result: CheckResult) -> str:
    parts = [f"{result.count(Severity.ERROR)} errors", f"{result.count(Severity.WARNING)} warnings",
             f"{result.count(Severity.INFO)} notes"]
    return f"{', '.join(parts)} (exits 1 at or above: `{result.fail_on}`)"


def _commands_table(commands: list[dict[str, Any]], root: str) -> list[str]:
    rows = ["| command | defined in | benchmark | verdict | loses the profiler at |", "|---|---|---|---|---|"]
    for command in commands:
        where = _relative(str(command["file"]), root) + (f":{command['line']}" if command.get("line") else "")
        hops = ", ".join(f"`{_cell(_code(h['path'] or h['name']))}`" for h in command.get("stripped_hops") or []
                         if h.get("status") == "stripped") or "—"
        rows.append(f"| `{_cell(_code(command['run_as']))}` | {_cell(where)} | {'yes' if command['benchmark'] else ''} "
                    f"| {command['verdict']} | {hops} |")
    return rows


def _relative(file: str, root: str) -> str:
    return file[len(root):].lstrip("/") if root and file.startswith(root.rstrip("/") + "/") else file


def _step(index: int, finding: Finding) -> list[str]:
    out = [f"{index}. {MARKS[finding.severity]} **{finding.rule}** {_inline(finding.title)}  ",
           f"   {_inline(' '.join(finding.message.split()))}"]
    for remedy in finding.remediations:
        out.append(f"   - Fix: {_inline(remedy.text)}")
        out.extend(f"     `{_code(line)}`" for line in remedy_lines(remedy))
    return out


def _trees(losing: list[dict[str, Any]]) -> list[str]:
    out = ["<details><summary>Predicted process trees of the commands that lose processes</summary>", ""]
    for command in losing:
        out += ["```", *(line.text for line in render_tree(command["tree"], ascii_only=True)), "```", ""]
    return [*out, "</details>"]


def _inline(text: str) -> str:
    """Text in a Markdown line: no HTML, no line breaks."""
    return " ".join(text.replace("<", "&lt;").replace(">", "&gt;").split())


def _code(text: str) -> str:
    return " ".join(str(text).replace("`", "'").split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")
