"""Parse `csrutil status` output (formats: docs/macos-facts.md#csrutil).

The structure, not a fixed list, is parsed: any status word, any parenthesised qualifier, any number of tab-indented
`Label: value` configuration lines, and any trailing lines (the "unsupported configuration" sentence and others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STATUS_LINE = re.compile(
    r"^\s*System Integrity Protection status:\s*(?P<word>[A-Za-z][A-Za-z-]*)\s*(?:\((?P<qualifier>[^)]*)\))?\s*\.?\s*$",
    re.IGNORECASE,
)
CONFIG_LINE = re.compile(r"^[ \t]+(?P<label>[^:]+?)\s*:\s*(?P<value>\S.*?)\.?\s*$")
UNSUPPORTED = "unsupported configuration"

# The protections a plain `enabled.`/`disabled.` status implies (labels of the Apple Silicon list, csrstat's table).
IMPLIED_PROTECTIONS = (
    "apple_internal",
    "kext_signing",
    "filesystem_protections",
    "debugging_restrictions",
    "dtrace_restrictions",
    "nvram_protections",
    "basesystem_verification",
)


class CsrutilParseError(ValueError):
    """The text is not `csrutil status` output."""


@dataclass(frozen=True)
class CsrutilStatus:
    status: str
    qualifier: str | None
    custom: bool
    protections: dict[str, str] = field(default_factory=dict)
    implied: bool = False
    unsupported_note: bool = False

    @property
    def dyld_env_stripping(self) -> bool:
        """SIP strips DYLD_* from protected binaries while Debugging Restrictions are on (CSR_ALLOW_TASK_FOR_PID)."""
        debugging = self.protections.get("debugging_restrictions")
        if debugging is not None:
            return debugging == "enabled"
        return self.status != "disabled"


def snake_case(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def parse_csrutil(text: str) -> CsrutilStatus:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if STATUS_LINE.match(line)]
    if not starts:
        raise CsrutilParseError("no 'System Integrity Protection status:' line")
    if len({STATUS_LINE.match(lines[i])["word"].lower() for i in starts}) > 1:  # type: ignore[index]
        raise CsrutilParseError("more than one 'System Integrity Protection status:' line, and they disagree")
    start = starts[0]
    match = STATUS_LINE.match(lines[start])
    assert match is not None
    word = match["word"].lower()
    qualifier = match["qualifier"].strip() if match["qualifier"] else None
    protections, extra = _configuration(lines[start + 1 :])
    implied = not protections and word in ("enabled", "disabled")
    if implied:
        protections = _implied(word)
    return CsrutilStatus(
        status=word,
        qualifier=qualifier,
        custom=bool(qualifier and "custom" in qualifier.lower()) or (bool(protections) and not implied),
        protections=protections,
        implied=implied,
        unsupported_note=any(UNSUPPORTED in line.lower() for line in extra),
    )


def _configuration(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    protections: dict[str, str] = {}
    extra: list[str] = []
    for line in lines:
        if not line.strip() or line.strip().lower() == "configuration:":
            continue
        config = CONFIG_LINE.match(line)
        if config:
            protections[snake_case(config["label"])] = config["value"].strip().lower()
        else:
            extra.append(line.strip())
    return protections, extra


def _implied(word: str) -> dict[str, str]:
    if word == "disabled":
        return dict.fromkeys(IMPLIED_PROTECTIONS, "disabled")
    implied = dict.fromkeys(IMPLIED_PROTECTIONS, "enabled")
    implied["apple_internal"] = "disabled"
    return implied
