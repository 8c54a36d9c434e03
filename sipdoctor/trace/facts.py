"""The facts of a finished trace, for the rule engine (rules/trace.yml): where CPU time went unseen, and why.

    trace: {command, exit_code, emulate_sip, missed_estimate,
            coverage: {processes_profiled, processes_total, cpu_profiled_fraction},
            blind_spots: [{pid, exe, name, argv, state, cause, cpu_seconds, percent,
                           started_by, started_by_tool}]}     # largest first

`percent` is the share of all observed CPU time hidden in and below the blind spot; `started_by_tool` names the
program that started it as a user knows it (`npm` for `node .../npm-cli.js`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sipdoctor.project.fixes import NODE_TOOLS
from sipdoctor.project.toolchains import collect_toolchains

if TYPE_CHECKING:
    from sipdoctor.system import System
    from sipdoctor.trace.model import Node, TraceResult


def trace_facts(result: TraceResult, system: System) -> dict[str, Any]:
    coverage = result.coverage
    target = "macos" if result.emulate_sip or system.platform == "macos" else "linux"
    return {
        "host": {"os": system.platform, "target": target, "ci": system.in_ci},
        "profiler": "generic",
        "toolchains": collect_toolchains(system),
        "trace": {
            "command": list(result.command),
            "exit_code": result.exit_code,
            "emulate_sip": result.emulate_sip,
            "missed_estimate": result.missed_estimate,
            "incomplete": result.incomplete,
            "coverage": {
                "processes_profiled": coverage.processes_profiled,
                "processes_total": coverage.processes_total,
                "cpu_profiled_fraction": coverage.cpu_profiled_fraction,
            },
            "blind_spots": _blind_spots(result),
        },
    }


def _blind_spots(result: TraceResult) -> list[dict[str, Any]]:
    parents = {id(child): node for node in result.nodes() for child in node.children}
    total = result.coverage.cpu_total
    out = []
    for node, seconds in result.blind_spots():
        parent = parents.get(id(node))
        out.append({
            "pid": node.pid,
            "exe": node.exe,
            "name": os.path.basename(node.exe),
            "argv": list(node.argv),
            "state": node.state.value,
            "cause": node.cause,
            "cpu_seconds": round(seconds, 3),
            "percent": round(100 * seconds / total) if total > 0 else 0,
            "started_by": parent.exe if parent else None,
            "started_by_tool": tool_of(parent) if parent else None,
        })
    return out


def tool_of(node: Node) -> str:
    """`node .../npm-cli.js run bench` is npm; anything else is its executable's name."""
    argv = node.argv
    if len(argv) > 1 and os.path.basename(node.exe).startswith("node"):
        tool = NODE_TOOLS.get(os.path.basename(argv[1]))
        if tool:
            return tool
    return os.path.basename(node.exe)
