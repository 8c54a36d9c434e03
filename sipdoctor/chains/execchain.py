"""Follow one command to the images its process runs: PATH lookup, symlinks, shebangs, exec-ing shims.

The kernel runs a script's interpreter, not the script (execve(2) "Interpreter scripts"); `/usr/bin/env X`
looks X up on PATH and execs it (env(1)); shims exec the real program (sipdoctor.chains.shims).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from sipdoctor.chains.context import Context
from sipdoctor.chains.shims import Continuation, next_exec
from sipdoctor.chains.tree import Hop
from sipdoctor.model import Reason, Verdict

MAX_HOPS = 24
"""A shebang or shim cycle stops here instead of looping."""


@dataclass
class Followed:
    hops: list[Hop] = field(default_factory=list)
    program: tuple[str, ...] = ()
    """The argv as the last program sees it, argv[0] being the name it was invoked by (`npm`, `node`)."""
    notes: list[str] = field(default_factory=list)
    ctx: Context | None = None
    """The context after the chain (env changes made by `env NAME=VALUE`)."""


def locate(name: str, ctx: Context) -> str | None:
    """The file the kernel (or execvp) would run for argv[0]."""
    if "/" in name:
        return name if os.path.isabs(name) else os.path.normpath(ctx.cwd / name)
    found = ctx.judge.resolve(name, ctx.path)
    return found[0] if found else None


def real_path(path: str) -> str:
    """On this computer (the project's own files); a program on the judged machine: ctx.judge.realpath."""
    try:
        return os.path.realpath(path, strict=True)
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the path
        return path  # missing, or a symlink loop: judged as given, the judge says why


def follow(argv: Sequence[str], ctx: Context, why: str) -> Followed:
    out = Followed(program=(os.path.basename(argv[0]), *argv[1:]) if argv else (), ctx=ctx)
    pending_via: str | None = None
    for _ in range(MAX_HOPS):
        if not argv:
            return out
        invoked = locate(argv[0], ctx)
        if invoked is None:
            out.hops.append(_not_found(argv, why, ctx))
            return out
        path = ctx.judge.realpath(invoked)
        shebang = ctx.judge.shebang(path) if ctx.judge.is_file(path) else None
        if shebang is not None:
            argv = [shebang.interpreter, *shebang.args, invoked, *argv[1:]]
            pending_via = invoked if pending_via is None else pending_via
            why = f"{why}; shebang of {invoked}" if why else f"shebang of {invoked}"
            continue
        verdict, reasons = ctx.judge.verdict(invoked, ctx.path)  # the path as executed: /bin on a Mac is no link
        via = pending_via or (invoked if invoked != path else None)
        vias = {pending_via, *(h.via for h in out.hops)}
        script = ctx.judge.realpath(argv[1]) if len(argv) > 1 and argv[1] in vias else None
        hop = Hop(path=path, argv=tuple(argv), verdict=verdict, reasons=reasons, why=why, via=via, script=script)
        out.hops.append(hop)
        pending_via = None
        step = next_exec(hop, ctx)
        if step is None:
            out.ctx = ctx
            return out
        argv, ctx, why, out.program = _apply(step, out, ctx)
    out.notes.append(f"stopped after {MAX_HOPS} hops: the chain loops")
    return out


def _apply(step: Continuation, out: Followed, ctx: Context) -> tuple[list[str], Context, str, tuple[str, ...]]:
    out.notes.extend(step.notes)
    new_ctx = ctx.with_env(step.env)
    program = step.program or (os.path.basename(step.argv[0]), *step.argv[1:]) if step.argv else out.program
    return list(step.argv), new_ctx, step.why, tuple(program)


def _not_found(argv: Sequence[str], why: str, ctx: Context) -> Hop:
    where = "this computer" if ctx.machine.is_host else ctx.machine.label
    reason = Reason("not-found", f"`{argv[0]}` is not on the PATH of {where} ({short_path(ctx.path)})"
                    if "/" not in argv[0] else f"{argv[0]} does not exist on {where}")
    return Hop(path="", argv=tuple(argv), verdict=Verdict.UNKNOWN, reasons=(reason,), why=why)


def short_path(path: str, keep: int = 4) -> str:
    """A long PATH as its first and last entries and how many there are: a message names where it looked
    without a 30-entry line (the JSON tree keeps every entry)."""
    entries = path.split(os.pathsep)
    if len(entries) <= keep + 1:
        return path
    return f"{os.pathsep.join([*entries[:keep - 1], '...', entries[-1]])}, {len(entries)} directories"
