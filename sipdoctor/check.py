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
from sipdoctor.machines.select import local_machine
from sipdoctor.model import Finding, Severity
from sipdoctor.sip.collect import collect_linux, collect_sip
from sipdoctor.system import System

if TYPE_CHECKING:
    from sipdoctor.chains.context import Judge


@dataclass(frozen=True)
class CheckOptions:
    project: Path
    target: str  # "macos" | "linux"
    profiler: str = "generic"
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
    from sipdoctor.project.pathscan import collect_path_facts

    return collect_path_facts(c.system, c.judge.assumptions, c.judge)


def _project(c: Collecting) -> dict[str, Any]:
    from sipdoctor.machines.facts import machines_summary
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.project.fixes import flatten_stripped, ignored_hops

    project = collect_project_facts(c.options.project, c.system, c.judge.assumptions, c.options.profiler, c.judge)
    project["stripped"] = flatten_stripped(project["commands"], project["project"])
    project["ignored"] = ignored_hops(project["commands"])
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
        choice = local_machine(assumptions, system.platform, machine=options.machine, root=options.root,
                               shared=(str(options.project),), cache=cache)
        machine = choice.machine
        if not machine.is_host:
            assumptions = Assumptions(target="macos", sip=machine.sip.assumed, arch=machine.arch)
            facts["sip"] = None  # this computer's SIP says nothing about the machine judged
        facts["machine"] = machine.to_json()
        judge = Judge(assumptions, cache, machine)
        for _name, collect in COLLECTORS:
            facts.update(collect(Collecting(system, options, judge)))
        facts["onboarding"] = _onboarding(facts, system, options, judge)
    return facts


def _onboarding(facts: dict[str, Any], system: System, options: CheckOptions, judge: Judge) -> list[dict[str, Any]]:
    """Outside any project (no command found), judge the machine itself (sipdoctor.project.onboarding)."""
    from sipdoctor.chains.predict import make_context
    from sipdoctor.project.onboarding import onboarding_facts

    project = facts.get("project") or {}
    if project.get("commands") or project.get("package") or options.target != "macos":
        return []
    ctx = make_context(judge, options.project, judge.machine.environment(system.env), options.profiler)
    return onboarding_facts(ctx)


@dataclass(frozen=True)
class CheckResult:
    facts: dict[str, Any]
    findings: tuple[Finding, ...]
    fail_on: str

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
    def unverified(self) -> int:
        """Benchmark commands that could not be judged (a program missing or unknown on their machine)."""
        commands = (self.facts.get("project") or {}).get("commands", [])
        onboarding = self.facts.get("onboarding") or []
        return (sum(1 for c in commands if c.get("benchmark") and c.get("verdict") == "unknown")
                + sum(1 for p in onboarding if p.get("verdict") == "unknown"))

    @property
    def verdict(self) -> str:
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        if errors:
            return f"{_plural(errors, 'problem')} will hide processes from the profiler"
        if self.unverified:
            return f"Not verified: {_plural(self.unverified, 'benchmark command')} could not be judged"
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
    return CheckResult(facts=facts, findings=findings, fail_on=fail_on)
