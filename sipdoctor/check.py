"""The `check` pipeline: run the collectors, apply the rules and the project's configuration."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sipdoctor.advice.engine import evaluate_all
from sipdoctor.advice.loader import RuleSet
from sipdoctor.binaries.cache import VerdictCache
from sipdoctor.binaries.report import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.chains.predict import make_context
from sipdoctor.config import Config
from sipdoctor.machines.facts import machines_summary
from sipdoctor.machines.select import local_machine
from sipdoctor.model import CheckResult, Finding
from sipdoctor.plan import Planning, compute_plan
from sipdoctor.project.benchmarks import Selection
from sipdoctor.project.facts import collect_project_facts
from sipdoctor.project.fixes import command_label, flatten_stripped, ignored_hops, root_causes
from sipdoctor.project.onboarding import onboarding_facts
from sipdoctor.project.pathscan import collect_path_facts
from sipdoctor.sip.collect import collect_linux, collect_sip
from sipdoctor.system import System


@dataclass(frozen=True)
class CheckOptions:
    project: Path
    target: str  # "macos" | "linux"
    profiler: str = "generic"
    benchmarks: Selection | None = None
    """The configuration's choice of benchmark commands (sipdoctor.project.benchmarks)."""
    machine: str | None = None  # --machine NAME: a shipped model for local commands
    root: str | None = None  # --root DIR: a Mac file system laid out under DIR


@dataclass(frozen=True)
class Collecting:
    """What every collector gets: the system, the options, and the judge of binaries (SIP already applied)."""

    system: System
    options: CheckOptions
    judge: Judge


Collector = Callable[[Collecting], dict[str, Any]]


def _path(c: Collecting) -> dict[str, Any]:
    return collect_path_facts(c.system, c.judge.assumptions, c.judge)


def _project(c: Collecting) -> dict[str, Any]:
    project = collect_project_facts(c.options.project, c.system, c.judge.assumptions, c.options.profiler, c.judge,
                                    benchmarks=c.options.benchmarks)
    for command in project["commands"]:
        command["label"] = command_label(command)
    path = c.judge.machine.environment(c.system.env).get("PATH")
    project["stripped"] = flatten_stripped(project["commands"], project["project"], path)
    project["ignored"] = ignored_hops(project["commands"])
    project["causes"] = root_causes(project["stripped"], c.options.profiler)
    project["others_losing"] = list(dict.fromkeys(x["label"] for x in project["commands"]
                                                  if not x["benchmark"] and x["stripped_hops"]))
    project["machines"] = machines_summary(project["commands"])
    return {"project": project}


COLLECTORS: list[tuple[str, Collector]] = [("path", _path), ("project", _project)]
"""Each returns top-level facts (the names the rules read): `path` and `toolchains`, then `project`."""


def sip_assumption(sip: dict[str, Any] | None) -> str:
    """What the verdicts assume of SIP: the reading when there is one, else the default (on)."""
    if sip is None or (not sip["readable"] and sip["active_config"] is None):
        return "on"
    if sip["status"] == "disabled":
        return "off"
    return "on" if sip["dyld_env_stripping"] else "debug-off"


def host_facts(system: System, options: CheckOptions) -> dict[str, Any]:
    return {
        "os": system.platform,
        "target": options.target,
        "ci": system.in_ci,
        "ci_provider": "github" if system.env.get("GITHUB_ACTIONS") == "true" else None,
        "arch": platform.machine(),
    }


def collect_facts_and_judge(system: System, options: CheckOptions) -> tuple[dict[str, Any], Judge]:
    """SIP first (it decides what the binary verdicts assume), then the collectors, sharing one verdict cache;
    with the judge of the machine they were judged on (the fix plan predicts again on the same machine)."""
    sip = collect_sip(system)
    facts: dict[str, Any] = {
        "host": host_facts(system, options), "profiler": options.profiler,
        "sip": sip, "linux": collect_linux(system),
    }
    assumptions = Assumptions(target=options.target, sip=sip_assumption(sip))
    with VerdictCache() as cache:
        given = assumptions.sip if system.platform == "macos" or _recorded(sip, system) else "on"
        choice = local_machine(options.target, system.platform, sip=given, machine=options.machine,
                               root=options.root, shared=(str(options.project),))
        machine = choice.machine
        if not machine.is_host:
            assumptions = Assumptions(target="macos", sip=machine.sip.assumed, arch=machine.arch)
            if not _recorded(sip, system):
                facts["sip"] = None  # this computer's SIP says nothing about the machine judged
        facts["machine"] = machine.to_json()
        judge = Judge(assumptions, cache, machine)
        for _name, collect in COLLECTORS:
            facts.update(collect(Collecting(system, options, judge)))
        facts["onboarding"] = _onboarding(facts, system, options, judge)
    return facts, judge


def _recorded(sip: dict[str, Any] | None, system: System) -> bool:
    """A SIP reading off a Mac is a recorded `csrutil status` (SIPDOCTOR_CSRUTIL): the Mac it came from is the
    one local commands are judged for, so the model takes its SIP state."""
    return system.platform != "macos" and sip is not None and bool(sip.get("readable"))


def _onboarding(facts: dict[str, Any], system: System, options: CheckOptions, judge: Judge) -> list[dict[str, Any]]:
    """Outside any project (no command found), judge the machine itself (sipdoctor.project.onboarding)."""
    project = facts.get("project") or {}
    if project.get("commands") or project.get("package") or options.target != "macos":
        return []
    ctx = make_context(judge, options.project, judge.machine.environment(system.env), options.profiler)
    return onboarding_facts(ctx)


def apply_config(findings: Sequence[Finding], config: Config) -> tuple[Finding, ...]:
    """Drop ignored rules and apply severity overrides, keeping findings ordered by severity then rule."""
    kept = [
        replace(f, severity=config.severity.get(f.rule, f.severity)) for f in findings if f.rule not in config.ignore
    ]
    return tuple(sorted(kept, key=lambda f: (-f.severity.rank, f.rule)))


def run_check(system: System, options: CheckOptions, rules: RuleSet, config: Config, fail_on: str) -> CheckResult:
    facts, judge = collect_facts_and_judge(system, options)
    active = [r for r in rules.rules if r.id not in config.ignore]
    found, failures = evaluate_all(active, facts)
    plan = compute_plan(Planning(facts, active, system, judge.assumptions, options.profiler, options.benchmarks,
                                 judge.machine))
    return CheckResult(facts=facts, findings=apply_config(found, config), fail_on=fail_on,
                       rule_failures=tuple(f.line() for f in failures), plan=plan)
