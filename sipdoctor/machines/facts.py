"""Facts about the machines a check judged on, for the rules (rules/machines.yml): one entry per machine."""

from __future__ import annotations

from typing import Any

SIP_OFF = {
    "arm64": "Apple's binaries run as arm64e and cannot load a plain arm64 library: each of them runs without "
             "it and its children keep the variable (an inference from dyld's rules, not observed)",
    "x86_64": "Apple's binaries run their x86_64 slice and load the library: they are profiled (an inference, "
              "not observed)",
}
"""What SIP off changes, per architecture (docs/machines.md "SIP off")."""


def machines_summary(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every machine that judged a command, with the benchmark commands it judged and their stripping hops.

    The same model chosen for two reasons (local commands from Linux, a self-hosted job) is listed twice."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for command in commands:
        machine = command.get("machine") or {}
        name = machine.get("name")
        if name is None:
            continue
        entry = out.setdefault((name, machine.get("note") or ""), {
            **machine, "note": machine.get("note"), "commands": [], "stripped": [],
            "sip_off": SIP_OFF.get(machine.get("arch") or "", "")})
        if command.get("benchmark"):
            entry["commands"].append(command["run_as"])
            for hop in command.get("stripped_hops", []):
                if hop["path"] not in entry["stripped"]:
                    entry["stripped"].append(hop["path"])
    return list(out.values())
