"""The `check` pipeline: run the collectors, apply the rules and the project's configuration."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sipdoctor.advice.engine import evaluate
from sipdoctor.advice.loader import RuleSet
from sipdoctor.config import Config
from sipdoctor.model import Finding, Severity
from sipdoctor.sip.collect import collect_linux, collect_sip
from sipdoctor.system import System

if TYPE_CHECKING:
    from sipdoctor.chains.context import Judge
    from sipdoctor.plan import Plan
    from sipdoctor.project.benchmarks import Selection


@dataclass(frozen=True)
class CheckOptions:
    project: Path
    target: str  # "macos" | "linux"
    profiler: str = "generic"
    benchmarks: Selection | None = None
    """The configuration's choice of benchmark commands (sipdoctor.project.benchmarks)."""


@dataclass(frozen=True)
class Collecting:
    """What every collector gets: the system, the options, and the judge of binaries (SIP already applied)."""

    system: System
    options: CheckOptions
    judge: Judge


Collector = Callable[[Collecting], dict[str, Any]]


def _path(c: Collecting) -> dict[str, Any]:
    from sipdoctor.project.pathscan import collect_path_facts

    return collect_path_facts(c.system, c.judge.assumptions, c.judge)


def _project(c: Collecting) -> dict[str, Any]:
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.project.fixes import flatten_stripped, ignored_hops, root_causes

    project = collect_project_facts(c.options.project, c.system, c.judge.assumptions, c.options.profiler, c.judge,
                                    benchmarks=c.options.benchmarks)
    project["stripped"] = flatten_stripped(project["commands"], project["project"])
    project["ignored"] = ignored_hops(project["commands"])
    project["causes"] = root_causes(project["stripped"], c.options.profiler)
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
    from sipdoctor.binaries import Assumptions, VerdictCache
    from sipdoctor.chains.context import Judge

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


@dataclass(frozen=True)
class CheckResult:
    facts: dict[str, Any]
    findings: tuple[Finding, ...]
    fail_on: str
    plan: Plan | None = None

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def failing(self) -> tuple[Finding, ...]:
        if self.fail_on == "never":
            return ()
        floor = Severity(self.fail_on).rank
        return tuple(f for f in self.findings if f.severity.rank >= floor)

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    @property
    def verdict(self) -> str:
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        if errors and self.plan is not None and self.plan.summary:
            others = errors - sum(1 for f in self.findings if f.severity == Severity.ERROR and f.rule == "CHN001")
            extra = f" (and {_plural(others, 'other problem')})" if others > 0 else ""
            return f"{self.plan.summary}{extra}"
        if errors:
            return f"{_plural(errors, 'problem')} will hide processes from the profiler"
        if warnings:
            return f"Ready to profile, with {_plural(warnings, 'warning')}"
        return "Ready to profile"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def apply_config(findings: Sequence[Finding], config: Config) -> tuple[Finding, ...]:
    """Drop ignored rules and apply severity overrides, keeping findings ordered by severity then rule."""
    from dataclasses import replace

    kept = [
        replace(f, severity=config.severity.get(f.rule, f.severity)) for f in findings if f.rule not in config.ignore
    ]
    return tuple(sorted(kept, key=lambda f: (-f.severity.rank, f.rule)))


def run_check(system: System, options: CheckOptions, rules: RuleSet, config: Config, fail_on: str) -> CheckResult:
    facts = collect_facts(system, options)
    active = [r for r in rules.rules if r.id not in config.ignore]
    findings = apply_config(evaluate(active, facts), config)
    return CheckResult(facts=facts, findings=findings, fail_on=fail_on, plan=_plan(system, options, active, facts))


def _plan(system: System, options: CheckOptions, rules: Sequence[Any], facts: dict[str, Any]) -> Plan:
    from sipdoctor.plan import Planning, compute_plan

    return compute_plan(Planning(facts, rules, system, options.target, options.profiler, options.benchmarks))
