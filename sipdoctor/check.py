"""The `check` pipeline: run the collectors, apply the rules and the project's configuration."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdoctor.advice.engine import evaluate
from sipdoctor.advice.loader import RuleSet
from sipdoctor.config import Config
from sipdoctor.model import Finding, Severity
from sipdoctor.sip.collect import collect_linux, collect_sip
from sipdoctor.system import System


@dataclass(frozen=True)
class CheckOptions:
    project: Path
    target: str  # "macos" | "linux"
    profiler: str = "generic"


Collector = Callable[[System, CheckOptions], Any]

COLLECTORS: list[tuple[str, Collector]] = [
    ("sip", lambda system, _: collect_sip(system)),
    ("linux", lambda system, _: collect_linux(system)),
]
"""Each collector fills one top-level fact; the rules read them by that name."""


def host_facts(system: System, options: CheckOptions) -> dict[str, Any]:
    return {
        "os": system.platform,
        "target": options.target,
        "ci": system.in_ci,
        "ci_provider": "github" if system.env.get("GITHUB_ACTIONS") == "true" else None,
        "arch": platform.machine(),
    }


def collect_facts(system: System, options: CheckOptions) -> dict[str, Any]:
    facts: dict[str, Any] = {"host": host_facts(system, options), "profiler": options.profiler}
    for name, collect in COLLECTORS:
        facts[name] = collect(system, options)
    return facts


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
    def verdict(self) -> str:
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
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
    return CheckResult(facts=facts, findings=findings, fail_on=fail_on)
