"""Why a process that started with the injection variable left no probe record.

What the trace itself saw decides first: --emulate-sip's protected list (the same test the probe made) and,
on Linux, the kernel's AT_SECURE read from /proc/<pid>/auxv. Otherwise the file is judged by
sipdoctor.binaries (SIP paths, setuid, hardened runtime and library validation on macOS; secure-execution,
static and foreign ELF files on Linux), on the host's own rules.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

from sipdoctor.binaries.report import Assumptions
from sipdoctor.model import Verdict
from sipdoctor.system import host_platform
from sipdoctor.trace.emulate import is_emulated_protected

NO_RECORD = "the variable was there but the probe left no record"
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    cause: str


@dataclass(frozen=True)
class Context:
    """What the judge knows besides the file."""

    emulated: frozenset[str] | None
    """--emulate-sip: the protected path forms written for the probe; None when not emulating."""
    target: str = field(default_factory=host_platform)


def shebang_interpreter(path: str) -> str | None:
    """The program a `#!` script names (its first word), or None for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].split()
    return os.fsdecode(words[0]) if words else None


def judge_unloaded(path: str, secure: bool | None, ctx: Context) -> Judgement:
    """Verdict for an image that started with the injection variable and left no probe record."""
    interpreter = shebang_interpreter(path) if path.startswith("/") else None
    if interpreter:
        inner = judge_unloaded(interpreter, secure, ctx)
        return Judgement(inner.verdict, f"script run by {interpreter}: {inner.cause}")
    if ctx.emulated is not None and is_emulated_protected(path, ctx.emulated):
        return Judgement(Verdict.STRIPPED, f"{path} is a SIP-protected macOS system binary (--emulate-sip)")
    report = _file_verdict(path, ctx)
    if secure:
        why = report[1] if report[0] == Verdict.STRIPPED else "the kernel set AT_SECURE"
        return Judgement(Verdict.STRIPPED, f"secure-execution mode: {why}")
    if report[0] in (Verdict.IGNORED, Verdict.LOAD_FAILS) or (report[0] == Verdict.STRIPPED and secure is None):
        return Judgement(report[0], report[1])
    return Judgement(Verdict.LOAD_FAILS, f"{NO_RECORD} ({report[1]})" if report[1] else NO_RECORD)


def _file_verdict(path: str, ctx: Context) -> tuple[Verdict, str]:
    """sipdoctor.binaries' verdict for the file, as (verdict, reasons in one sentence)."""
    from sipdoctor.binaries.judge import judge_file  # the binary readers: only once a file is judged

    machine = MACHINES.get(platform.machine().lower())
    arches = frozenset({machine}) if machine and ctx.target == "linux" else frozenset({"arm64", "x86_64"})
    report = judge_file(path, Assumptions(target=ctx.target, library_arches=arches))
    return report.verdict, "; ".join(reason.message for reason in report.reasons)
