"""Collect the SIP facts (macOS, or anywhere SIPDOCTOR_CSRUTIL names a stand-in) and the Linux loader facts."""

from __future__ import annotations

from typing import Any

from sipdoctor.sip.active_config import decode_config
from sipdoctor.sip.csrutil import CsrutilParseError, CsrutilStatus, parse_csrutil
from sipdoctor.system import CommandNotFound, System

CSRUTIL = "/usr/bin/csrutil"
CSRUTIL_ENV = "SIPDOCTOR_CSRUTIL"
COMPARED = ("filesystem_protections", "debugging_restrictions")


def collect_sip(system: System) -> dict[str, Any] | None:
    """The `sip` object of the JSON contract, or None where there is no SIP to read (Linux, no stand-in)."""
    stand_in = system.env.get(CSRUTIL_ENV)
    if stand_in:
        return _from_csrutil(system, stand_in, f"{CSRUTIL_ENV}={stand_in}", active=None)
    if system.platform != "macos":
        return None
    return _from_csrutil(system, CSRUTIL, "csrutil status", active=system.read_csr_config())


def _from_csrutil(system: System, program: str, source: str, active: int | None) -> dict[str, Any]:
    try:
        result = system.run([program, "status"])
    except CommandNotFound as exc:
        return _unreadable(source, f"could not run {program}: {exc}", raw=None, active=active)
    text = result.stdout + (result.stderr if not result.stdout.strip() else "")
    try:
        parsed = parse_csrutil(text)
    except CsrutilParseError as exc:
        detail = f"exit status {result.returncode}; {exc}" if result.returncode else str(exc)
        return _unreadable(source, f"unrecognised csrutil output ({detail})", raw=text, active=active)
    return _readable(parsed, source, active)


def _readable(parsed: CsrutilStatus, source: str, active: int | None) -> dict[str, Any]:
    stripping = parsed.dyld_env_stripping
    disagreements: list[dict[str, str]] = []
    active_json = None
    if active is not None:
        decoded = decode_config(active)
        active_json = {"value": f"{active:#x}", "protections": decoded}
        disagreements = [
            {"protection": name, "csrutil": parsed.protections[name], "active_config": decoded[name]}
            for name in COMPARED
            if name in parsed.protections and parsed.protections[name] != decoded[name]
        ]
        stripping = decoded["debugging_restrictions"] == "enabled"  # the running kernel's word wins
    return {
        "readable": True,
        "status": parsed.status,
        "qualifier": parsed.qualifier,
        "custom": parsed.custom,
        "protections": parsed.protections,
        "implied": parsed.implied,
        "unsupported_configuration": parsed.unsupported_note,
        "dyld_env_stripping": stripping,
        "source": source,
        "active_config": active_json,
        "disagreements": disagreements,
        "error": None,
        "raw": None,
    }


def _unreadable(source: str, error: str, raw: str | None, active: int | None) -> dict[str, Any]:
    decoded = decode_config(active) if active is not None else None
    return {
        "readable": False,
        "status": None,
        "qualifier": None,
        "custom": False,
        "protections": decoded or {},
        "implied": False,
        "unsupported_configuration": False,
        # Unknown: assume the default (SIP on), unless the kernel told us otherwise.
        "dyld_env_stripping": decoded["debugging_restrictions"] == "enabled" if decoded else True,
        "source": source,
        "active_config": {"value": f"{active:#x}", "protections": decoded} if decoded else None,
        "disagreements": [],
        "error": error,
        "raw": raw,
    }


def collect_linux(system: System) -> dict[str, Any] | None:
    """The Linux injection facts: LD_PRELOAD, /etc/ld.so.preload, secure-execution mode (ld.so(8))."""
    if system.platform != "linux":
        return None
    preload_file = system.fs_root / "etc" / "ld.so.preload"
    entries: list[str] = []
    error = None
    try:
        if preload_file.is_file():
            text = preload_file.read_text("utf-8", errors="replace")
            entries = [word for line in text.splitlines() for word in line.split("#")[0].split()]
    except OSError as exc:
        error = f"{preload_file}: {exc.strerror or exc}"
    return {
        "injection_variable": "LD_PRELOAD",
        "ld_preload": system.env.get("LD_PRELOAD") or None,
        "ld_so_preload": {
            "path": str(preload_file),
            "present": preload_file.exists(),
            "entries": entries,
            "error": error,
        },
        "secure_execution": system.secure_execution(),
    }
