"""Command line -> predicted process tree, with the profiler's view of every hop.

`predict_command_line("npm run bench", ctx)` parses the line (sipdoctor.chains.shell), follows each command
to the images its process runs (execchain, shims), adds the children each program starts (runners), and
propagates the verdicts: after a stripping hop every later hop is "not profiled", with that hop as the cause,
unless the profiler re-injects there (`--profiler codspeed`: node and go, docs/macos-facts.md#peers).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sipdoctor.chains.context import Context, Judge
from sipdoctor.chains.execchain import follow
from sipdoctor.chains.runners import spawns
from sipdoctor.chains.shell import parse_command_line
from sipdoctor.chains.spawn import Spawn
from sipdoctor.chains.tree import Process, propagate

MAX_DEPTH = 12
PROFILERS = {"generic": frozenset[str](), "codspeed": frozenset({"node", "go"})}
"""Programs each profiler re-injects into after a stripping hop."""


@dataclass(frozen=True)
class Prediction:
    command: str
    roots: tuple[Process, ...]
    notes: tuple[str, ...] = ()
    machine: dict[str, Any] | None = None
    """The machine it was judged on (Machine.to_json(): name, label, kind, arch, sip)."""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"command": self.command, "children": [r.to_json() for r in self.roots],
                                  "notes": list(self.notes)}
        if self.machine is not None:
            out["machine"] = self.machine
        return out


def make_context(judge: Judge, cwd: Path, env: dict[str, str], profiler: str = "generic") -> Context:
    if profiler not in PROFILERS:
        raise ValueError(f"unknown profiler {profiler!r}")
    return Context(judge=judge, cwd=cwd, env=env, profiler=profiler)


def predict_command_line(line: str, ctx: Context, why: str = "") -> Prediction:
    """The tree for a line typed at a shell prompt: each command it runs is a root."""
    roots, notes = _line(line, ctx, why)
    return _finish(line, roots, notes, ctx)


def predict_argv(argv: Sequence[str], ctx: Context, why: str = "") -> Prediction:
    """The tree for an argv run directly (no shell): what `sipdoctor explain -- CMD...` receives."""
    return _finish(" ".join(argv), [_process(tuple(argv), ctx, why)], [], ctx)


def predict_shell_script(shell_argv: Sequence[str], script: str, ctx: Context, why: str) -> Prediction:
    """A shell process started with a script (a CI `run:` step): the shell, then the script's commands."""
    followed = follow(shell_argv, ctx, why)
    children, notes = _line(script, followed.ctx or ctx, "")
    root = Process(tuple(followed.hops), tuple(shell_argv), tuple(children), tuple(followed.notes + notes))
    return _finish(" ".join(shell_argv), [root], [], ctx)


def _finish(command: str, roots: list[Process], notes: list[str], ctx: Context) -> Prediction:
    reinjecting = PROFILERS[ctx.profiler]
    return Prediction(command, tuple(propagate(r, reinjecting) for r in roots), tuple(notes),
                      ctx.machine.to_json())


def _line(line: str, ctx: Context, why: str, berry_node: str | None = None) -> tuple[list[Process], list[str]]:
    parsed = parse_command_line(line)
    notes = [parsed.error] if parsed.error else []
    roots = []
    for command in parsed.commands:
        if command.is_builtin:
            continue
        sub = ctx.with_cwd(command.cwd).with_env(command.env)
        argv = _berry_bin(command.argv, sub, berry_node) if berry_node else command.argv
        roots.append(_process(argv, sub, why or f"command `{' '.join(command.argv)}`"))
    return roots, notes


def _process(argv: tuple[str, ...], ctx: Context, why: str) -> Process:
    followed = follow(argv, ctx, why)
    notes = list(followed.notes)
    children: list[Process] = []
    if ctx.depth >= MAX_DEPTH:
        notes.append(f"stopped following children after {MAX_DEPTH} levels")
    else:
        found, spawn_notes = spawns(followed)
        notes.extend(spawn_notes)
        berry = followed.hops[-1].path if followed.hops else None
        for spawn in found:
            children.extend(_spawned(spawn, berry))
    return Process(tuple(followed.hops), argv, tuple(children), tuple(notes))


def _spawned(spawn: Spawn, parent_node: str | None) -> list[Process]:
    ctx = spawn.ctx.deeper()
    if spawn.inline_script is not None:
        berry = parent_node if "yarn 2+" in spawn.why else None
        processes, notes = _line(spawn.inline_script, ctx, "", berry_node=berry)
        if notes:
            processes = [replace(p, notes=(*p.notes, *notes)) for p in processes[:1]] + processes[1:]
        return [replace(p, chain=(replace(p.chain[0], why=f"{spawn.why}: {p.chain[0].why}"), *p.chain[1:]),
                        filtered_by=spawn.filtered_by) if p.chain else p for p in processes]
    child = _process(spawn.argv, ctx, spawn.why)
    return [replace(child, filtered_by=spawn.filtered_by) if spawn.filtered_by else child]


def _berry_bin(argv: tuple[str, ...], ctx: Context, node: str | None) -> tuple[str, ...]:
    """yarn 2+ runs a dependency's binary as `node <entry>` instead of exec-ing the .bin link."""
    if not argv or "/" in argv[0] or node is None:
        return argv
    for directory in ctx.path.split(os.pathsep):
        if directory.endswith("node_modules/.bin"):
            candidate = os.path.join(directory, argv[0])
            if os.path.exists(candidate):
                return (node, os.path.realpath(candidate), *argv[1:])
    return argv
