"""The predicted process tree: processes, each an exec chain of hops, and the profiler's view of each hop.

A process is one pid. Its chain is the sequence of images that pid runs: `/usr/bin/env node x.js` is one
process whose chain is env then node (env execs node). A shebang script is not a hop of its own: the kernel
runs the interpreter (the hop records the script in `via`). Children are the processes a hop spawns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sipdoctor.model import Reason, Verdict

NOT_PROFILED = "not-profiled"
"""Status of a hop that runs after a stripping (or aborting) hop: the variable is gone, whatever the binary."""


@dataclass(frozen=True)
class Hop:
    """One executable image in the predicted tree."""

    path: str
    """What the kernel executes (symlinks resolved); empty when the command was not found."""
    argv: tuple[str, ...]
    verdict: Verdict
    """The binary's own verdict, as if the injection variable reached it."""
    reasons: tuple[Reason, ...] = ()
    why: str = ""
    """Why this hop exists, e.g. "shebang of node_modules/.bin/vitest" or "npm runs scripts with sh -c"."""
    via: str | None = None
    """The path that was invoked when it differs from `path` (a symlink, a shebang script)."""
    status: str = ""
    """What the profiler sees: a verdict word, or "not-profiled" below a stripping hop. Set by propagation."""
    cause: str | None = None
    """Path of the hop that removed the variable (or aborted the launch) upstream of this one."""
    reinjected: bool = False
    """The configured profiler puts the variable back at this hop (CodSpeed's node and go shims)."""
    script: str | None = None
    """The file a script hop runs (argv[1] of `node npm`), its links resolved on the judged machine."""

    @functools.cached_property
    def name(self) -> str:  # kept in __dict__ (a frozen dataclass allows it); asked for every rule of every hop
        return (self.path or (self.argv[0] if self.argv else "")).rsplit("/", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "argv": list(self.argv),
            "via": self.via,
            "verdict": self.status or self.verdict.value,
            "own_verdict": self.verdict.value,
            "cause": self.cause,
            "reinjected": self.reinjected,
            "why": self.why,
            "reasons": [r.to_json() for r in self.reasons],
            "script": self.script,
        }


@dataclass(frozen=True)
class Process:
    chain: tuple[Hop, ...]
    argv: tuple[str, ...] = ()
    """The command as it was started (before shebangs and shims)."""
    children: tuple[Process, ...] = ()
    notes: tuple[str, ...] = field(default=())
    """Things the predictor could not follow (unparseable script, unknown version), shown under the process."""
    filtered_by: str | None = None
    """Why it starts without the variable its parent had (sipdoctor.chains.spawn.Spawn.filtered_by)."""

    def to_json(self) -> dict[str, Any]:
        out = {
            "argv": list(self.argv),
            "chain": [hop.to_json() for hop in self.chain],
            "children": [child.to_json() for child in self.children],
            "notes": list(self.notes),
        }
        if self.filtered_by:
            out["filtered_by"] = self.filtered_by
        return out

    def walk(self) -> list[Hop]:
        """Every hop, depth first, in the order the processes start."""
        hops = list(self.chain)
        for child in self.children:
            hops.extend(child.walk())
        return hops


def propagate(root: Process, reinjecting: frozenset[str] = frozenset(), cause: str | None = None) -> Process:
    """Fill in status and cause: after a hop strips the variable, every later hop is not profiled.

    `reinjecting` names programs the profiler re-arms (CodSpeed: node and go, docs/macos-facts.md#peers):
    their PATH shims restore DYLD_INSERT_LIBRARIES from a copy SIP does not prune, so the hop runs profiled.
    A `load-fails` hop aborts the launch, so nothing after it runs profiled either.
    """
    if root.filtered_by and cause is None:
        cause = FILTERED + root.filtered_by  # a cleared environment: no saved copy left to re-arm from
    chain: list[Hop] = []
    for hop in root.chain:
        hop, cause = _judge_hop(hop, reinjecting, cause)
        chain.append(hop)
    children = tuple(propagate(child, reinjecting, cause) for child in root.children)
    return _evolve(root, chain=tuple(chain), children=children)


FILTERED = "filtered: "
"""Prefix of a cause that is an environment cleared by a program, not a hop (Process.filtered_by)."""


def _judge_hop(hop: Hop, reinjecting: frozenset[str], cause: str | None) -> tuple[Hop, str | None]:
    reinjected = cause is not None and not cause.startswith(FILTERED) and hop.name in reinjecting
    if reinjected:
        cause = None
    if cause is not None and hop.verdict == Verdict.UNKNOWN and reinjecting and not cause.startswith(FILTERED):
        return _evolve(hop, status=Verdict.UNKNOWN.value, cause=cause), cause  # it may be one the profiler re-arms
    if cause is not None:
        return _evolve(hop, status=NOT_PROFILED, cause=cause), cause
    hop = _evolve(hop, status=hop.verdict.value, cause=None, reinjected=reinjected)
    if hop.verdict in (Verdict.STRIPPED, Verdict.LOAD_FAILS):
        cause = hop.path or hop.argv[0]
    return hop, cause


def stripped_hops(root: Process) -> list[Hop]:
    """Every hop that removes the variable or aborts the launch, whether or not an earlier hop already did:
    each one must be fixed before the tree runs profiled. `cause` is set when an earlier hop came first."""
    return [hop for hop in root.walk() if hop.verdict in (Verdict.STRIPPED, Verdict.LOAD_FAILS)]


T = TypeVar("T")


def _evolve(frozen: T, **changes: object) -> T:
    """dataclasses.replace without re-running __init__ (these frozen dataclasses have no __post_init__): a
    Makefile of thousands of targets propagates tens of thousands of hops."""
    clone = object.__new__(type(frozen))
    clone.__dict__.update(frozen.__dict__, **changes)
    return clone
