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

    def describe(self) -> str:
        if self.action == "replace":
            return f"in {self.file}, replace {self.text!r} with {self.replacement!r}"
        where = "at the end of" if self.action == "append" else "at the top of"
        return f"add the line {self.text!r} {where} {self.file}"

    def undo(self) -> str:
        if self.action == "replace":
            return f"replace {self.replacement!r} with {self.text!r} again"
        return f"delete that line from {self.file}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "action": self.action, "text": self.text, "with": self.replacement}


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


@dataclass(frozen=True)
class CheckResult:
    """What `check` found: the facts collected, the findings (ordered), and the severity that fails."""

    facts: dict[str, Any]
    findings: tuple[Finding, ...]
    fail_on: str
    rule_failures: tuple[str, ...] = ()
    """`path:line: rule X failed and was skipped: why`, one per rule that raised (said on stderr)."""

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
