"""What `sipdoctor run` (and `trace --reinject`) says before the command starts: what it saved, which names it
shims, which predicted hops the shims cover, and what they cannot cover. Pure: lines from a Prepared."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sipdoctor.reinject.setup import Prepared

NEVER_COVERED = (
    "Never covered by shims: a program run by absolute path after a protected hop (`--hook` with "
    "`--hook-shell` covers /bin/sh run by a profiled process), `env -i` and sudo (the saved copies go too), "
    "login shells and path_helper that put /usr/bin before the shim directory, programs that remove the "
    "variables on purpose (list them under reinject-skip in [tool.sipdoctor]), and targets that cannot load "
    "the library's architecture (the shim skips those and logs why)."
)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def describe(prepared: Prepared) -> list[str]:
    lines = []
    if prepared.saved:
        lines.append(f"Saved {', '.join(prepared.saved)} under SIPDOCTOR_SAVED_* (SIP prunes only DYLD_* names).")
    else:
        lines.append("Nothing to save: no DYLD_* variable here. Run this under the profiler "
                     "(`samply record sipdoctor run -- CMD`); shims still restore from copies a launcher keeps "
                     "itself (samply's __XPC_DYLD_INSERT_LIBRARIES).")
    names = ", ".join(prepared.names) or "none"
    lines.append(f"Shims ({prepared.shim_dir}): {names}.")
    plan = prepared.plan
    if plan.covered:
        covered = _unique([f"{name} after {after}" for name, after in plan.covered])
        lines.append("Predicted hops the shims restore: " + "; ".join(covered) + ".")
    if plan.gaps:
        lines.append("Predicted hops they cannot cover: " + "; ".join(_unique([g.sentence() for g in plan.gaps]))
                     + ".")
    elif plan.covered:
        lines.append("Every predicted stripping hop is followed by a shim.")
    if prepared.prediction_note:
        lines.append(prepared.prediction_note + ".")
    lines.append(NEVER_COVERED)
    return lines
