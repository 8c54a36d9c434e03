"""The shared vocabulary: verdicts, severities, findings (fixed in docs/macos-facts.md#verdicts)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
"""The version of every JSON payload (their schemas: sipdoctor/schemas/*.schema.json). Adding a key keeps it;
removing or renaming one bumps it, in every payload and schema at once."""


class Verdict(enum.StrEnum):
    """What happens to a process started with the injection variable."""

    PROFILED = "profiled"
    """The library loads into this process."""
    IGNORED = "ignored"
    """The process runs without the library, but the variable stays for its children."""
    STRIPPED = "stripped"
    """The process runs without the library and the variable is removed: its subtree is invisible."""
    LOAD_FAILS = "load-fails"
    """The variable is honoured but the library is rejected: the launch aborts."""
    UNKNOWN = "unknown"
    """Not enough information (unreadable file, unparseable binary)."""


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True)
class Reason:
    """One checkable reason behind a verdict, e.g. code "hardened-runtime" with its evidence in the message."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class FileEdit:
    """An exact change to one file: append or prepend a line, or replace one piece of text with another."""

    file: str
    action: str  # "append" | "prepend" | "replace"
    text: str
    replacement: str | None = None
    line: int | None = None
    """replace: the line the text is on (the command's line in its file); None: anywhere in the file."""
    span: int = 1
    """replace: how many lines from `line` the command covers."""

    def describe(self) -> str:
        if self.action == "replace":
            where = f"{self.file}:{self.line}" if self.line else self.file
            return f"in {where}, replace {self.text!r} with {self.replacement!r}"
        where = "at the end of" if self.action == "append" else "at the top of"
        return f"add the line {self.text!r} {where} {self.file}"

    def undo(self) -> str:
        if self.action == "replace":
            return f"replace {self.replacement!r} with {self.text!r} again"
        return f"delete that line from {self.file}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "action": self.action, "text": self.text, "with": self.replacement,
                "line": self.line, "lines": self.span}


@dataclass(frozen=True)
class Remediation:
    """One way to fix a finding: what to do, and the exact command, file edit or replacement command line."""

    text: str
    command: str | None = None
    """A command to paste into a terminal."""
    edit: FileEdit | None = None
    run_instead: str | None = None
    """The command line to run instead of the one that loses the profiler."""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "command": self.command,
            "edit": self.edit.to_json() if self.edit else None,
            "run_instead": self.run_instead,
        }


@dataclass(frozen=True)
class Finding:
    """A rule that fired, with the evidence it fired on."""

    rule: str
    severity: Severity
    title: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediations: tuple[Remediation, ...] = ()
    references: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "evidence": self.evidence,
            "remediations": [r.to_json() for r in self.remediations],
            "references": list(self.references),
        }


@dataclass
class Step:
    rule: str
    kind: str  # "edit" | "run-instead" | "command" | "install"
    text: str
    change: dict[str, Any]
    commands: list[str]
    confirmed: bool
    cause: str
    edit: FileEdit | None = None
    hops: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    """(command key, hop id) pairs this step was chosen for: confirmed when they are gone."""

    def to_json(self, number: int) -> dict[str, Any]:
        return {"step": number, "rule": self.rule, "kind": self.kind, "text": self.text, "change": self.change,
                "commands": self.commands, "confirmed": self.confirmed, "cause": self.cause}


@dataclass(frozen=True)
class Unfixed:
    command: str
    reason: str
    unverified: bool = False
    """Nothing strips any more after the steps, but a program on the way could not be judged."""

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "reason": self.reason, "unverified": self.unverified}


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    losing: tuple[str, ...] = ()
    """The benchmark commands that lose the profiler now (labels such as `npm run bench`)."""
    fixed: tuple[str, ...] = ()
    """Those that the steps make profiled (confirmed or with an install step the prediction cannot check)."""
    unfixed: tuple[Unfixed, ...] = ()

    @property
    def file_edits(self) -> list[FileEdit]:
        return [s.edit for s in self.steps if s.kind == "edit" and s.edit is not None]

    @property
    def summary(self) -> str:
        if not self.losing:
            return ""
        lose = f"{_plural(len(self.losing), 'benchmark command')} {'loses' if len(self.losing) == 1 else 'lose'} " \
               "the profiler"
        changes = _plural(len(self.steps), "change") + (" fixes" if len(self.steps) == 1 else " fix")
        if not self.unfixed:
            return f"{lose}; {changes} {'it' if len(self.losing) == 1 else 'all of them'}"
        if self.steps and all(u.unverified for u in self.unfixed):
            left = "it" if len(self.unfixed) == 1 else f"{len(self.unfixed)} of them"
            return f"{lose}; after {_plural(len(self.steps), 'change')}, {left} cannot be verified"
        if not self.fixed:
            return f"{lose}; no change found fixes {'it' if len(self.losing) == 1 else 'them'}"
        return f"{lose}; {changes} {len(self.fixed)} of them"

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "losing": list(self.losing), "fixed": list(self.fixed),
                "steps": [s.to_json(i) for i, s in enumerate(self.steps, 1)],
                "unfixed": [u.to_json() for u in self.unfixed]}


@dataclass(frozen=True)
class CheckResult:
    """What `check` found: the facts collected, the findings (ordered), and the severity that fails."""

    facts: dict[str, Any]
    findings: tuple[Finding, ...]
    fail_on: str
    rule_failures: tuple[str, ...] = ()
    """`path:line: rule X failed and was skipped: why`, one per rule that raised (said on stderr)."""
    plan: Plan | None = None
    """The fix plan (sipdoctor.plan): the steps that make every benchmark command profiled."""

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
    def unrecognised_losing(self) -> int:
        """With no benchmark among the project's commands: how many of the others lose processes to SIP."""
        project = self.facts.get("project") or {}
        if any(c.get("benchmark") for c in project.get("commands", [])):
            return 0
        return len(project.get("others_losing") or [])

    @property
    def unverified(self) -> str:
        """What could not be judged on its machine: benchmark commands, and outside a project the programs."""
        project = self.facts.get("project") or {}
        commands = project.get("commands", [])
        onboarding = self.facts.get("onboarding") or []
        jobs = [f"job `{j['job']}`" for j in project.get("unjudged", []) if j.get("benchmark")]  # MCH004
        # `unverified` also holds unknown hops below a stripping hop the profiler re-arms (CodSpeed's node)
        count = sum(1 for c in commands
                    if c.get("benchmark") and (c.get("verdict") == "unknown" or c.get("unverified")))
        programs = [p["name"] for p in onboarding if p.get("verdict") == "unknown"]
        parts = [_plural(count, "benchmark command")] if count else []
        parts += [", ".join(f"`{p}`" for p in programs)] if programs else []
        parts += [", ".join(jobs)] if jobs else []
        return " and ".join(parts)

    @property
    def nothing_found(self) -> bool:
        """A project (it has a package.json) with no command to judge: no scripts, targets, recipes or macOS
        steps. Not "ready": nothing was judged. (A directory that is no project judges the machine instead.)"""
        project = self.facts.get("project")
        return (isinstance(project, dict) and project.get("package") is not None and not project.get("commands")
                and not project.get("unjudged"))

    @property
    def verdict(self) -> str:
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        if errors and self.plan is not None and self.plan.summary:
            others = errors - sum(1 for f in self.findings if f.severity == Severity.ERROR and f.rule == "CHN001")
            extra = f" (and {_plural(others, 'other problem')})" if others > 0 else ""
            return f"{self.plan.summary}{extra}"
        if errors:
            return f"{_plural(errors, 'problem')} will hide processes from the profiler"
        if self.unverified:
            return f"Not verified: {self.unverified} could not be judged"
        if self.unrecognised_losing:
            n = self.unrecognised_losing
            return (f"No benchmark command recognised ({_plural(n, 'other command')} "
                    f"{'loses' if n == 1 else 'lose'} processes to SIP; see CHN004)")
        if self.nothing_found:
            return ("Nothing to judge: no script, target, recipe or macOS workflow step found here "
                    "(`sipdoctor explain -- CMD` judges one command line)")
        if warnings:
            return f"Ready to profile, with {_plural(warnings, 'warning')}"
        return "Ready to profile"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
