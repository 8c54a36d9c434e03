"""The whole decision: from the facts about one file to a verdict with reasons. Pure: no I/O here.

Meanings of the verdicts: docs/macos-facts.md#verdicts. Each rule cites the section of docs/macos-facts.md it
rests on. Dylibs and bundles get `unknown` with reason code `not-an-executable`: they are not programs, so
the process that loads them decides.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence

from sipdoctor.binaries.codesign import CS_REQUIRE_LV, CS_RESTRICT, CS_RUNTIME, describe_flags
from sipdoctor.binaries.elf import ElfInfo
from sipdoctor.binaries.fileinfo import FileFacts
from sipdoctor.binaries.macho import MachOSlice
from sipdoctor.binaries.report import Assumptions, BinaryReport, SliceReport
from sipdoctor.macos_paths import is_protected_path, shipped_binary
from sipdoctor.model import Reason, Verdict

ALLOW_DYLD = "com.apple.security.cs.allow-dyld-environment-variables"
DISABLE_LV = "com.apple.security.cs.disable-library-validation"
SLICE_PREFERENCE = {"arm64": ("arm64e", "arm64", "x86_64h", "x86_64"), "x86_64": ("x86_64h", "x86_64", "i386")}
LIBRARY_ARCH_FOR = {"x86_64h": "x86_64"}  # an x86_64h process loads x86_64 code; arm64e needs arm64e
DECIDED = (Verdict.STRIPPED, Verdict.LOAD_FAILS, Verdict.UNKNOWN)

Judgement = tuple[Verdict, tuple[Reason, ...]]


def _setugid(facts: FileFacts) -> str | None:
    bits = [name for bit, name in ((stat.S_ISUID, "setuid"), (stat.S_ISGID, "setgid")) if facts.mode & bit]
    return "/".join(bits) or None


def sip_protection(facts: FileFacts) -> Reason | None:
    """SF_RESTRICTED (read only on a Mac) or a SIP-protected directory (docs/macos-facts.md#sip-protected)."""
    if facts.sf_restricted:
        return Reason("sf-restricted", f"st_flags: restricted ({facts.st_flags:#x}): SIP protects this file")
    where = next((p for p in (facts.path, facts.real_path) if is_protected_path(p)), None)
    if where is None:
        return None
    shipped = shipped_binary(where) or shipped_binary(facts.path)
    if shipped is None:
        ships = "macOS 15.4 ships no executable of that name there (the directory is protected all the same)"
    elif shipped.is_xcode_shim:
        ships = "macOS ships it: an Xcode command-line stub that execs the real tool"
    else:
        ships = f"macOS ships this binary ({shipped.kind})"
    return Reason("sip-protected-path", f"{where} is in a SIP-protected directory; {ships}")


def file_level(facts: FileFacts, assume: Assumptions) -> tuple[Verdict | None, tuple[Reason, ...]]:
    """What applies to the whole file on macOS whatever slice runs: SIP protection, setuid/setgid."""
    reasons: list[Reason] = []
    protection = sip_protection(facts)
    if protection and assume.sip == "on":
        return Verdict.STRIPPED, (protection, Reason(
            "sip-strips", "dyld removes DYLD_* from protected processes while SIP is on: this process and "
                          "everything it starts run without the library (docs/macos-facts.md#sip-protected)"))
    if protection:
        reasons += [protection, Reason("sip-off", f"SIP is {assume.sip}: protected binaries keep DYLD_*")]
    setugid = _setugid(facts)
    if setugid:
        return Verdict.STRIPPED, (*reasons, Reason(
            "setuid", f"mode {stat.S_IMODE(facts.mode):04o} ({setugid}): dyld prunes DYLD_* for setuid/setgid "
                      "programs (dyld pruneEnvVars, docs/macos-facts.md#prune)"))
    return None, tuple(reasons)


def _hardened(flags: str, team: str | None, entitled: dict[str, bool]) -> Judgement:
    """Hardened runtime: the allow-dyld entitlement, then library validation (docs/macos-facts.md#hardened-runtime,
    #library-validation)."""
    ent = f"team={team or 'none'}, entitlements: {', '.join(k for k, v in entitled.items() if v) or 'none'}"
    if not entitled[ALLOW_DYLD]:
        return Verdict.IGNORED, (Reason("hardened-runtime", f"flags={flags}, {ent}: hardened runtime without "
            f"{ALLOW_DYLD}, so dyld does not insert the library; DYLD_* stays in the environment for its "
            "children (inferred from dyld's source: AMFI keeps PRINT/SHARED_CACHE, so no pruning; not observed)"),)
    if not entitled[DISABLE_LV]:
        return Verdict.LOAD_FAILS, (Reason("library-validation", f"flags={flags}, {ent}: DYLD_* is honoured but "
            f"library validation rejects a library not signed with Team ID {team or '(none)'}, and dyld terminates "
            "the launch: this program will abort when started under the profiler"),)
    return Verdict.PROFILED, (Reason("hardened-allows", f"flags={flags}, {ent}: hardened, but both "
                                     "entitlements let dyld insert an ad-hoc signed library"),)


def _signature_verdict(piece: MachOSlice, assume: Assumptions) -> Judgement | None:
    sig = piece.signature
    if sig is None:
        if piece.arch.startswith("arm64"):
            return Verdict.UNKNOWN, (Reason("unsigned", "arm64 code must be signed to run on Apple silicon; "
                                            "this slice has no code signature"),)
        return None
    flags = describe_flags(sig.flags)
    if sig.flags & CS_RESTRICT and assume.sip == "on":
        return Verdict.STRIPPED, (Reason("cs-restrict", f"flags={flags}: CS_RESTRICT makes dyld treat the "
                                         "process as restricted while SIP is on (docs/macos-facts.md#sip-protected)"),)
    entitled = {key: sig.entitled(key) for key in (ALLOW_DYLD, DISABLE_LV)}
    if sig.flags & CS_RUNTIME:
        return _hardened(flags, sig.team_id, entitled)
    if sig.flags & CS_REQUIRE_LV and not entitled[DISABLE_LV]:
        return Verdict.IGNORED, (Reason("library-validation", f"flags={flags}: library validation without "
            "hardened runtime: an ad-hoc library is silently not loaded (reported on Sonoma, "
            "docs/macos-facts.md#library-validation)"),)
    return None


def judge_slice(piece: MachOSlice, assume: Assumptions) -> Judgement:
    """One architecture of a Mach-O file under macOS rules."""
    if not piece.is_executable:
        return Verdict.UNKNOWN, (Reason("not-an-executable", f"MH_{piece.filetype.upper()} is not a program: "
                                        "whether the library loads is decided by the process that loads it"),)
    if piece.restrict_section:
        return Verdict.STRIPPED, (Reason("restrict-section", "has a __RESTRICT,__restrict section: dyld treats "
                                         "the process as restricted and prunes DYLD_* "
                                         "(docs/macos-facts.md#sip-protected)"),)
    if piece.signature_error:
        return Verdict.UNKNOWN, (Reason("signature-unparseable", f"code signature: {piece.signature_error}"),)
    decided = _signature_verdict(piece, assume)
    if decided and decided[0] != Verdict.PROFILED:
        return decided
    needed = LIBRARY_ARCH_FOR.get(piece.arch, piece.arch)
    if needed not in assume.library_arches:
        have = ", ".join(sorted(assume.library_arches))
        return Verdict.LOAD_FAILS, (Reason("arch-mismatch", f"the {piece.arch} process needs a {needed} library "
            f"(the library has {have}): dyld terminates the launch (incompatible architecture)"),)
    signed = describe_flags(piece.signature.flags) if piece.signature else "unsigned"
    return Verdict.PROFILED, decided[1] if decided else (Reason("no-restriction", f"flags={signed}, not "
        "hardened, no __RESTRICT section: dyld honours DYLD_INSERT_LIBRARIES"),)


def running_slice(slices: Sequence[MachOSlice], assume: Assumptions) -> MachOSlice | None:
    arches = {piece.arch: piece for piece in slices}
    return next((arches[a] for a in SLICE_PREFERENCE[assume.arch or "arm64"] if a in arches), None)


def slice_report(piece: MachOSlice, verdict: Verdict, reasons: tuple[Reason, ...]) -> SliceReport:
    sig = piece.signature
    signature: dict[str, object] = {"present": piece.signature_range is not None, "error": piece.signature_error}
    if sig:
        signature |= {"flags": sig.flags, "flags_text": describe_flags(sig.flags), "team_id": sig.team_id,
                      "identifier": sig.primary.identifier, "platform": sig.primary.platform,
                      "cms_size": sig.cms_size, "entitlement_formats": list(sig.entitlement_formats),
                      "code_directories": [{"slot": cd.slot, "version": f"{cd.version:#x}", "hash": cd.hash_name,
                                            "flags": cd.flags} for cd in sig.directories]}
    entitlements = tuple(sorted(sig.entitlements)) if sig else ()
    return SliceReport(piece.arch, verdict, piece.filetype, signature, entitlements, reasons)


def judge_macho(facts: FileFacts, slices: Sequence[MachOSlice], assume: Assumptions) -> BinaryReport:
    file_verdict, file_reasons = file_level(facts, assume)
    reports = []
    for piece in slices:
        verdict, reasons = judge_slice(piece, assume)
        reports.append(slice_report(piece, file_verdict or verdict, reasons))
    runs = running_slice(slices, assume)
    mac = "an Intel Mac" if assume.arch == "x86_64" else "Apple silicon"
    if runs is None:
        verdict, reasons = Verdict.UNKNOWN, (Reason("no-runnable-slice", f"no slice runs on {mac} "
                                             f"(has {', '.join(p.arch for p in slices)})"),)
    else:
        chosen = reports[list(slices).index(runs)]
        rosetta = " under Rosetta" if assume.arch != "x86_64" and runs.arch.startswith("x86_64") else ""
        verdict = chosen.verdict
        running = (Reason("running-slice", f"the {runs.arch} slice runs on {mac}{rosetta}"),)
        reasons = (*(running if runs.is_executable else ()), *chosen.reasons)
    if file_verdict:
        verdict = file_verdict
    others = tuple(Reason("other-slice", f"{r.arch} slice: {r.verdict.value} ({r.reasons[0].code})")
                   for r in reports if runs and r.arch != runs.arch and r.reasons)
    return BinaryReport(facts.path, facts.path, "mach-o", verdict, (*file_reasons, *reasons, *others),
                        tuple(reports))


def judge_foreign_for_macos(facts: FileFacts, kind: str, assume: Assumptions) -> BinaryReport:
    """A non-Mach-O file judged for a Mac (--target macos): only its path can tell (`check --target macos`
    relies on this)."""
    file_verdict, reasons = file_level(facts, assume)
    if file_verdict is None:
        note = "this host's file is not Mach-O, so the Mac's own binary at this path cannot be examined"
        if not reasons:
            note = f"{kind} file, not a macOS executable"
        reasons = (*reasons, Reason("not-macos-executable", note))
    return BinaryReport(facts.path, facts.path, kind, file_verdict or Verdict.UNKNOWN, reasons)


def judge_elf_linux(facts: FileFacts, elf: ElfInfo, capabilities: bytes | None,
                    assume: Assumptions) -> BinaryReport:
    """glibc's loader (ld.so(8), docs/macos-facts.md#linux): AT_SECURE strips, no interpreter ignores, wrong class
    fails."""
    def report(verdict: Verdict, *reasons: Reason) -> BinaryReport:
        return BinaryReport(facts.path, facts.path, "elf", verdict, reasons)

    setugid = _setugid(facts)
    if setugid:
        return report(Verdict.STRIPPED, Reason("secure-execution", f"mode {stat.S_IMODE(facts.mode):04o} "
            f"({setugid}): run by another user, AT_SECURE is set and ld.so removes LD_PRELOAD (ld.so(8))"))
    if capabilities is not None:
        return report(Verdict.STRIPPED, Reason("file-capabilities", "security.capability xattr present: the "
            "kernel sets AT_SECURE for a non-root user and ld.so removes LD_PRELOAD (ld.so(8))"))
    if elf.elf_type not in ("ET_EXEC", "ET_DYN"):
        return report(Verdict.UNKNOWN, Reason("not-an-executable", f"{elf.elf_type} is not a program"))
    if elf.interpreter is None and elf.elf_type == "ET_DYN" and not elf.static_pie:
        return report(Verdict.UNKNOWN, Reason("not-an-executable", "a shared library (no interpreter): the "
                                              "process that loads it decides"))
    if elf.interpreter is None:
        return report(Verdict.IGNORED, Reason("static", f"statically linked {elf.arch} executable (no PT_INTERP): "
            "no dynamic loader runs, so LD_PRELOAD is ignored but stays for its children"))
    if elf.arch not in assume.library_arches:
        have = ", ".join(sorted(assume.library_arches))
        return report(Verdict.LOAD_FAILS, Reason("elf-arch-mismatch", f"ELFCLASS{elf.elf_class} {elf.machine} "
            f"process, library built for {have}: ld.so rejects it (wrong ELF class or machine)"))
    return report(Verdict.PROFILED, Reason("dynamic", f"dynamically linked {elf.arch} (interpreter "
        f"{elf.interpreter}), no setuid/setgid, no file capabilities: ld.so loads LD_PRELOAD"))


def chain_verdict(hops: Sequence[BinaryReport]) -> Judgement:
    """A script runs as its chain: the first hop that strips, fails or is unknown decides; `ignored` hops
    keep the variable for the next one; otherwise the last hop (the process running the script) decides."""
    if not hops:
        return Verdict.UNKNOWN, (Reason("no-interpreter", "no interpreter to run"),)
    for index, hop in enumerate(hops):
        if hop.verdict in DECIDED:
            first = hop.reasons[0].code if hop.reasons else hop.verdict.value
            later = ", ".join(h.path for h in hops[index + 1:])
            tail = ""
            if hop.verdict == Verdict.STRIPPED and later:
                tail = f"; after it, {later} start without the library whatever their own verdict"
            return hop.verdict, (Reason("chain", f"{hop.verdict.value} at {hop.path} ({first}){tail}"),)
    last = hops[-1]
    return last.verdict, (Reason("chain", f"{last.path} runs the script: {last.verdict.value}"),)
