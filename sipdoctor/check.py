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
from sipdoctor.config import Config
from sipdoctor.model import CheckResult, Finding
from sipdoctor.project.facts import collect_project_facts
from sipdoctor.project.fixes import flatten_stripped, ignored_hops
from sipdoctor.project.pathscan import collect_path_facts
from sipdoctor.sip.collect import collect_linux, collect_sip
from sipdoctor.system import System


@dataclass(frozen=True)
class CheckOptions:
    project: Path
    target: str  # "macos" | "linux"
    profiler: str = "generic"


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
    project = collect_project_facts(c.options.project, c.system, c.judge.assumptions, c.options.profiler, c.judge)
    project["stripped"] = flatten_stripped(project["commands"], project["project"])
    project["ignored"] = ignored_hops(project["commands"])
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


def collect_facts(system: System, options: CheckOptions) -> dict[str, Any]:
    """SIP first (it decides what the binary verdicts assume), then the collectors, sharing one verdict cache."""
    sip = collect_sip(system)
    facts: dict[str, Any] = {
        "host": host_facts(system, options), "profiler": options.profiler,
        "sip": sip, "linux": collect_linux(system),
    }
    assumptions = Assumptions(target=options.target, sip=sip_assumption(sip))
    with VerdictCache() as cache:
        judge = Judge(assumptions, cache)
        for _name, collect in COLLECTORS:
            facts.update(collect(Collecting(system, options, judge)))
    return facts


def apply_config(findings: Sequence[Finding], config: Config) -> tuple[Finding, ...]:
    """Drop ignored rules and apply severity overrides, keeping findings ordered by severity then rule."""
    kept = [
        replace(f, severity=config.severity.get(f.rule, f.severity)) for f in findings if f.rule not in config.ignore
    ]
    return tuple(sorted(kept, key=lambda f: (-f.severity.rank, f.rule)))


def run_check(system: System, options: CheckOptions, rules: RuleSet, config: Config, fail_on: str) -> CheckResult:
    facts = collect_facts(system, options)
    active = [r for r in rules.rules if r.id not in config.ignore]
    found, failures = evaluate_all(active, facts)
    return CheckResult(facts=facts, findings=apply_config(found, config), fail_on=fail_on,
                       rule_failures=tuple(f.line() for f in failures))
