"""From a path to a BinaryReport: look at the file safely, parse it, follow shebangs, use the cache."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from sipdoctor.binaries import fileinfo, verdict
from sipdoctor.binaries.fileinfo import BadInput, FileFacts, display_path
from sipdoctor.binaries.report import Assumptions, BinaryReport
from sipdoctor.binaries.resolve import resolve_command
from sipdoctor.binaries.script import Shebang, parse_shebang
from sipdoctor.model import Reason, Verdict

if TYPE_CHECKING:
    from sipdoctor.binaries.cache import VerdictCache

Resolver = Callable[[str, str], list[str]]
MAX_INTERPRETER_DEPTH = 4  # Linux fs/exec.c BINPRM_MAX_RECURSION: a longer interpreter chain fails with ELOOP


def judge_file(path: str, assumptions: Assumptions, *, env_path: str | None = None,
               cache: VerdictCache | None = None, resolve: Resolver = resolve_command) -> BinaryReport:
    """The verdict for the program at `path` started with the injection variable, with its reasons.

    Never raises for a bad file: a directory, FIFO, broken symlink... gives `unknown` with a reason whose code
    is in fileinfo.INPUT_PROBLEMS. env_path is the PATH `#!/usr/bin/env X` searches (default: os.environ),
    with `resolve` (a run's PathIndex.resolve gives the same answers as resolve_command from one listing).
    """
    return _judge(path, assumptions, env_path, cache, 0, resolve)


def _unknown(path: str, kind: str, reason: Reason) -> BinaryReport:
    shown = display_path(path)
    return BinaryReport(shown, display_path(os.path.abspath(path)), kind, Verdict.UNKNOWN, (reason,))


def _judge(path: str, assume: Assumptions, env_path: str | None, cache: VerdictCache | None,
           depth: int, resolve: Resolver) -> BinaryReport:
    try:
        facts = fileinfo.inspect(path)
    except BadInput as exc:
        return _unknown(path, "other", Reason(exc.code, exc.message))
    cached = cache.get(facts, assume) if cache is not None else None
    if cached is not None:
        return cached
    try:
        fd = fileinfo.open_regular(facts)
    except BadInput as exc:
        return _unknown(path, "other", Reason(exc.code, exc.message))
    try:
        head = fileinfo.read_head(fd)
        shebang = parse_shebang(head)
        if shebang is None:
            report = _judge_binary(facts, fd, head, assume)
            if cache is not None:
                cache.put(facts, assume, report)
            return report
    finally:
        os.close(fd)
    return _judge_script(facts, shebang, assume, env_path, cache, depth, resolve)


def _judge_binary(facts: FileFacts, fd: int, head: bytes, assume: Assumptions) -> BinaryReport:
    from sipdoctor.binaries import elf, macho

    if macho.is_macho_magic(head):
        try:
            return verdict.judge_macho(facts, macho.read_macho(fd), assume)
        except macho.MachOFormatError as exc:
            return _unknown(facts.path, "mach-o", Reason("unparseable", f"Mach-O headers do not parse: {exc}"))
    kind = "elf" if head.startswith(b"\x7fELF") else "other"
    if assume.target == "macos":
        return verdict.judge_foreign_for_macos(facts, kind, assume)
    if kind == "other":
        return _unknown(facts.path, kind, Reason("unknown-format", "neither Mach-O, ELF nor a #! script"))
    try:
        with os.fdopen(os.dup(fd), "rb") as fh:
            info = elf.read_elf(fh)
        capabilities = elf.file_capabilities(facts.path)
    except elf.ElfFormatError as exc:
        return _unknown(facts.path, kind, Reason("unparseable", f"ELF headers do not parse: {exc}"))
    except OSError as exc:
        return _unknown(facts.path, kind, Reason("unreadable", f"cannot read extended attributes: {exc}"))
    return verdict.judge_elf_linux(facts, info, capabilities, assume)


def _hops(report: BinaryReport) -> tuple[BinaryReport, ...]:
    """A script hop contributes the executables the kernel runs for it, not itself."""
    return report.chain if report.kind == "script" and report.chain else (report,)


def _judge_script(facts: FileFacts, shebang: Shebang, assume: Assumptions, env_path: str | None,
                  cache: VerdictCache | None, depth: int, resolve: Resolver) -> BinaryReport:
    def report(chain: tuple[BinaryReport, ...], *reasons: Reason) -> BinaryReport:
        decided, why = verdict.chain_verdict(chain)
        return BinaryReport(facts.path, facts.path, "script", decided, (*reasons, *why), (), chain)

    line = Reason("shebang", f"{shebang.line}: the kernel runs {shebang.interpreter} with this script")
    if depth >= MAX_INTERPRETER_DEPTH:
        return BinaryReport(facts.path, facts.path, "script", Verdict.UNKNOWN, (line, Reason(
            "interpreter-nesting", f"more than {MAX_INTERPRETER_DEPTH} nested #! interpreters: exec fails")))
    interpreter = os.path.abspath(shebang.interpreter)  # the kernel resolves a relative one from the cwd
    named = f"{shebang.interpreter} (#! of {facts.path})"
    chain = _hops(_named(_judge(interpreter, assume, env_path, cache, depth + 1, resolve), named))
    if shebang.env_name is None:
        return report(chain, line)
    search = os.environ.get("PATH", os.defpath) if env_path is None else env_path
    matches = resolve(shebang.env_name, search)
    if not matches:
        missing = _unknown(shebang.env_name, "other", Reason("missing", f"env: {shebang.env_name}: not found "
                                                                        "on PATH"))
        return report((*chain, missing), line)
    lookup = Reason("env-lookup", f"env looks up {shebang.env_name} on PATH: {_matches(matches)}")
    found = _judge(matches[0], assume, env_path, cache, depth + 1, resolve)
    return report((*chain, *_hops(_named(found, shebang.env_name))), line, lookup)


def _named(report: BinaryReport, target: str) -> BinaryReport:
    return dataclasses.replace(report, target=target) if report.kind != "script" else report


def _matches(matches: list[str]) -> str:
    return ", ".join(f"{m} (wins)" if i == 0 else m for i, m in enumerate(matches))
