"""What `judge_file` answers: the assumptions it judged under and the report, with its JSON payload (schema:
sipdoctor/schemas/explain-file.schema.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sipdoctor.model import SCHEMA_VERSION, Reason, Verdict

TARGETS = ("macos", "linux")
SIP_MODES = ("on", "off", "debug-off")
ARCHES = ("arm64", "x86_64")


@dataclass(frozen=True)
class Assumptions:
    """The machine the file is judged for."""

    target: str
    """"macos" or "linux": which loader's rules apply to an ELF file (a Mach-O file is always judged as macOS)."""
    sip: str = "on"
    """"on", "off" or "debug-off" (csrutil --without debug: DYLD_* no longer stripped from protected binaries)."""
    arch: str | None = None
    """"arm64" (Apple silicon: arm64e, then arm64, then x86_64 under Rosetta) or "x86_64" (Intel); None = arm64."""
    library_arches: frozenset[str] = frozenset({"arm64", "x86_64"})
    """The slices (macOS) or ELF machines (Linux) the injected library is built for."""

    def __post_init__(self) -> None:
        if self.target not in TARGETS or self.sip not in SIP_MODES or self.arch not in (None, *ARCHES):
            raise ValueError(f"bad assumptions: target={self.target!r} sip={self.sip!r} arch={self.arch!r}")

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "sip": self.sip, "arch": self.arch,
                "library_arches": sorted(self.library_arches)}


@dataclass(frozen=True)
class SliceReport:
    """One architecture of a Mach-O file, judged on its own."""

    arch: str
    verdict: Verdict
    filetype: str
    signature: dict[str, Any] = field(default_factory=dict)
    entitlements: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"arch": self.arch, "verdict": self.verdict.value, "filetype": self.filetype,
                "signature": self.signature, "entitlements": list(self.entitlements)}

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> SliceReport:
        return cls(data["arch"], Verdict(data["verdict"]), data["filetype"], data["signature"],
                   tuple(data["entitlements"]), _reasons(data["reasons"]))


@dataclass(frozen=True)
class BinaryReport:
    """The verdict for one file, with the reasons a user can check."""

    target: str
    """What the user named (a command name or a path); the path itself when judged directly."""
    path: str
    """The absolute path judged."""
    kind: str
    """"mach-o", "elf", "script" or "other"."""
    verdict: Verdict
    reasons: tuple[Reason, ...]
    slices: tuple[SliceReport, ...] = ()
    """Mach-O: one per architecture."""
    chain: tuple[BinaryReport, ...] = ()
    """Scripts: the executables the kernel runs for it (interpreter, then what env looks up), in order."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "target": self.target,
            "path": self.path,
            "kind": self.kind,
            "verdict": self.verdict.value,
            "reasons": [reason.to_json() for reason in self.reasons],
            "slices": [piece.to_json() for piece in self.slices],
            "chain": [hop.to_json() for hop in self.chain],
        }

    def to_cache(self) -> dict[str, Any]:
        """Like to_json, plus what JSON leaves out (per-slice reasons), so the cache can rebuild the report."""
        data = self.to_json()
        data["slices"] = [piece.to_json() | {"reasons": [r.to_json() for r in piece.reasons]}
                          for piece in self.slices]
        data["chain"] = [hop.to_cache() for hop in self.chain]
        return data

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> BinaryReport:
        return cls(
            target=data["target"], path=data["path"], kind=data["kind"], verdict=Verdict(data["verdict"]),
            reasons=_reasons(data["reasons"]),
            slices=tuple(SliceReport.from_cache(piece) for piece in data["slices"]),
            chain=tuple(cls.from_cache(hop) for hop in data["chain"]),
        )

    def reason(self, code: str) -> Reason | None:
        return next((reason for reason in self.reasons if reason.code == code), None)


def _reasons(items: list[dict[str, str]]) -> tuple[Reason, ...]:
    return tuple(Reason(item["code"], item["message"]) for item in items)
