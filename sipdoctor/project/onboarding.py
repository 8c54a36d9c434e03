"""`check` outside any project: what runs by each name people profile or benchmark through, on the machine.

For each program (python3, node, ruby, go, java, the script shells, make, cmake...) the predictor follows
the bare name as a command would (PATH lookup, shims, Xcode stubs) on the judged machine, and records the first
hop that strips, else the verdict of the program itself. The rules (rules/machines.yml ONB*) turn these into
findings with toolchain-aware fixes.
"""

from __future__ import annotations

from typing import Any

from sipdoctor.chains.context import Context
from sipdoctor.chains.predict import predict_argv
from sipdoctor.chains.tree import Hop

PROGRAMS: tuple[tuple[str, str], ...] = (
    ("python3", "primary"), ("node", "primary"),
    ("ruby", "runtime"), ("perl", "runtime"), ("go", "runtime"), ("java", "runtime"),
    ("bash", "shell"), ("sh", "shell"), ("make", "build"), ("cmake", "build"),
)
"""`primary`: what the supported profilers' benchmarks run (pytest/scalene, vitest/node): an error when
stripped. `runtime`: other interpreters, a warning. `shell`/`build`: Apple's on every Mac, a note with the fix."""
SHIMS = {"/.pyenv/shims/": "pyenv", "/.asdf/shims/": "asdf", "/mise/shims/": "mise", "/.volta/bin/": "volta",
         "/.rbenv/shims/": "rbenv", "/.nodenv/shims/": "nodenv"}


def onboarding_facts(ctx: Context) -> list[dict[str, Any]]:
    return [_program(name, role, ctx) for name, role in PROGRAMS]


def _program(name: str, role: str, ctx: Context) -> dict[str, Any]:
    found = ctx.judge.resolve(name, ctx.path)
    base: dict[str, Any] = {"name": name, "role": role, "machine": ctx.machine.label, "path": found[0] if found
                            else None, "runs": None, "verdict": "absent", "stripped_at": None, "stub": False,
                            "shim": None, "reasons": [], "later": None}
    if not found:
        return base
    prediction = predict_argv((name,), ctx, f"`{name}` on {ctx.machine.label}")
    hops = [h for root in prediction.roots for h in root.chain]
    stripping = next((h for h in hops if h.verdict.value in ("stripped", "load-fails")), None)
    last = hops[-1] if hops else None
    first = hops[0] if hops else None
    later = next((c for c in found[1:] if _profiled_alternative(c, ctx)), None)
    shown = stripping or last
    return {**base, "runs": last.path if last else None,
            "verdict": stripping.verdict.value if stripping else (last.verdict.value if last else "unknown"),
            "stripped_at": stripping.path if stripping else None,
            "stub": bool(first and _is_apple_stub(first, ctx)),
            "shim": next((tool for marker, tool in SHIMS.items() if marker in found[0]), None),
            "reasons": [r.message for r in shown.reasons] if shown is not None else [],
            "later": later}


def _is_apple_stub(hop: Hop, ctx: Context) -> bool:
    from sipdoctor.macos_paths import shipped_binary

    shipped = shipped_binary(hop.path) if ctx.target == "macos" else None
    return shipped is not None and shipped.is_xcode_shim


def _profiled_alternative(path: str, ctx: Context) -> bool:
    verdict, _ = ctx.judge.verdict(ctx.judge.realpath(path), ctx.path)
    return verdict.value == "profiled"
