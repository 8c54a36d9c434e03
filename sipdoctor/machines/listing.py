"""`sipdoctor machines`: the shipped models and what each holds (pure functions of the catalog)."""

from __future__ import annotations

import json
from typing import Any

from sipdoctor.machines.catalog import DEFAULT_MODEL, MODELS
from sipdoctor.machines.model import ModelMachine
from sipdoctor.model import SCHEMA_VERSION

HIGHLIGHTS = ("bash", "sh", "env", "make", "python3", "node", "npm", "ruby", "perl", "git", "java", "yarn", "go")


def _model_json(machine: ModelMachine) -> dict[str, Any]:
    spec = machine.spec
    programs: dict[str, dict[str, str | None] | None] = {}
    for name in HIGHLIGHTS:
        found = machine.which(name)
        if found is None:
            programs[name] = None
            continue
        known = machine.known_verdict(machine.realpath(found))
        entry = machine.entries.get(machine.realpath(found))
        programs[name] = {"path": found, "runs": machine.realpath(found),
                          "verdict": known[0].value if known else "unknown",
                          "verdict_sip_off": entry.sip_off.value if entry is not None else None}
    return {**machine.to_json(), "summary": spec.summary, "default": spec.name == DEFAULT_MODEL,
            "runs_on": list(spec.runner_labels), "homebrew": spec.homebrew, "path": machine.default_path,
            "programs": programs}


def _verdict(program: dict[str, str | None], sip: str) -> str:
    if sip == "unknown" and program["verdict_sip_off"] not in (None, program["verdict"]):
        return f"{program['verdict']}; {program['verdict_sip_off']} with SIP off"
    return str(program["verdict"])


def machines_json() -> str:
    return json.dumps({"schema_version": SCHEMA_VERSION, "machines": [_model_json(ModelMachine(m)) for m in MODELS]},
                      indent=2)


def machines_text() -> str:
    lines = []
    for spec in MODELS:
        data = _model_json(ModelMachine(spec))
        default = " (default for --target macos off a Mac)" if data["default"] else ""
        lines.append(f"{spec.name}{default}: {spec.label}")
        lines.append(f"  {spec.summary}")
        if spec.runner_labels:
            lines.append(f"  runs-on: {', '.join(spec.runner_labels)}")
        held = [f"{n}={p['path']} ({_verdict(p, spec.sip)})" for n, p in data["programs"].items() if p]
        absent = [n for n, p in data["programs"].items() if not p]
        lines.append(f"  {'; '.join(held)}")
        if absent:
            lines.append(f"  not on PATH: {', '.join(absent)}")
    return "\n".join(lines)
