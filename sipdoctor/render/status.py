"""Renderers for `status`: the SIP state (or the Linux loader facts) as a table or as JSON. Pure functions."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sipdoctor.model import SCHEMA_VERSION
from sipdoctor.render import utf8_text


def to_json(platform: str, sip: dict[str, Any] | None, linux: dict[str, Any] | None) -> str:
    payload: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "platform": platform, "sip": sip}
    if linux is not None:
        payload["linux"] = linux
    return utf8_text(json.dumps(payload, indent=2, ensure_ascii=False))


def human(sip: dict[str, Any] | None, linux: dict[str, Any] | None) -> RenderableType:
    parts: list[RenderableType] = []
    if sip is not None:
        parts.extend(_sip(sip))
    if linux is not None:
        parts.extend(_linux(linux))
    if not parts:
        parts.append(Text("No SIP facts on this host (set SIPDOCTOR_CSRUTIL to read a recorded csrutil output)."))
    return Group(*parts)


def one_line(sip: dict[str, Any] | None, linux: dict[str, Any] | None) -> str:
    """`status --quiet`: the state in one line."""
    if sip is not None:
        if not sip["readable"]:
            return f"SIP unreadable ({sip['error']})"
        qualifier = f" ({sip['qualifier']})" if sip["qualifier"] else ""
        kept = "stripped when an Apple system binary runs" if sip["dyld_env_stripping"] else "kept"
        return f"SIP {sip['status']}{qualifier}: DYLD_* {kept}"
    if linux is not None:
        return "Linux: no SIP; LD_PRELOAD is removed only for setuid, setgid and file-capability programs"
    return "No SIP facts on this host"


def _sip(sip: dict[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = []
    if not sip["readable"]:
        out.append(Text(f"System Integrity Protection: unreadable ({sip['error']})", "bold yellow"))
        if sip.get("raw"):
            out.append(Text("csrutil printed:"))
            out.extend(Text(f"  {line}") for line in sip["raw"].splitlines())
    else:
        qualifier = f" ({sip['qualifier']})" if sip["qualifier"] else ""
        out.append(Text(f"System Integrity Protection: {sip['status']}{qualifier}", "bold"))
    stripping = sip["dyld_env_stripping"]
    out.append(Text(
        "DYLD_* variables: stripped when an Apple system binary runs" if stripping
        else "DYLD_* variables: kept (debugging restrictions are off)",
        "red" if stripping else "green",
    ))
    if sip["protections"]:
        out.append(_protections(sip))
    for d in sip.get("disagreements", []):
        out.append(Text(
            f"csrutil says {d['protection'].replace('_', ' ')} {d['csrutil']}, but the active configuration says "
            f"{d['active_config']}; the running kernel's configuration applies.", "yellow",
        ))
    out.append(Text(f"source: {sip['source']}", "dim"))
    return out


def _protections(sip: dict[str, Any]) -> Table:
    active = (sip.get("active_config") or {}).get("protections", {})
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("protection")
    table.add_column("csrutil" + (" (implied)" if sip.get("implied") else ""))
    if active:
        table.add_column(f"active config {sip['active_config']['value']}")
    for name, value in sip["protections"].items():
        row = [name.replace("_", " "), value]
        if active:
            row.append(active.get(name, "-"))
        table.add_row(*row)
    return table


def _linux(linux: dict[str, Any]) -> list[RenderableType]:
    preload = linux["ld_so_preload"]
    secure = linux["secure_execution"]
    lines: list[RenderableType] = [
        Text("Linux loader (injection through LD_PRELOAD)", "bold"),
        Text(f"LD_PRELOAD in this environment: {linux['ld_preload'] or 'not set'}"),
        Text(f"{preload['path']}: " + (", ".join(preload["entries"]) or "present, empty")
             if preload["present"] else f"{preload['path']}: absent"),
        Text("secure-execution mode (AT_SECURE): "
             + {True: "on: LD_PRELOAD is ignored and removed here", False: "off", None: "unknown"}[secure]),
    ]
    if preload.get("error"):
        lines.append(Text(f"could not read {preload['error']}", "yellow"))
    return lines
