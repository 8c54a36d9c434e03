"""Which names get a shim, and which hops of the predicted tree the shims cover.

A shim helps where a program that is not protected is reached by a PATH lookup after a stripping hop (the
lookup finds the shim first). It cannot help where the next program is run by absolute path, or is itself
protected. A version manager's shim (pyenv, rbenv, nodenv, asdf) found by that lookup is resolved by the shim
to the real interpreter, so the protected env/bash hops inside it are skipped (docs/reinjection.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

from sipdoctor.chains.predict import Prediction
from sipdoctor.chains.shims import ASDF_EXEC, MANAGER_EXEC
from sipdoctor.chains.tree import Hop, Process
from sipdoctor.model import Verdict

INTERPRETERS = ("node", "python3", "python", "ruby", "bun", "deno", "go", "java", "php")
"""Programs people profile, shimmed whenever PATH has one that is not protected."""

Strips = Callable[[Hop], bool]


@dataclass(frozen=True)
class Gap:
    """A hop that runs without the variables although the shims are in place."""

    path: str
    after: str
    why: str

    def sentence(self) -> str:
        return f"{self.path} ({self.why}, after {self.after} removed the variables)"


@dataclass
class Plan:
    names: set[str] = field(default_factory=set)
    covered: list[tuple[str, str]] = field(default_factory=list)
    """(name, the stripping hop it comes after) for each hop a shim restores."""
    gaps: list[Gap] = field(default_factory=list)

    @property
    def covers_every_hop(self) -> bool:
        return not self.gaps


def verdict_strips(hop: Hop) -> bool:
    return hop.verdict in (Verdict.STRIPPED, Verdict.LOAD_FAILS)


def manager_shim(path: str | None) -> bool:
    """A pyenv/rbenv/nodenv/asdf shim script (the shim resolves it as native/sipdoctor_shim.c does)."""
    if not path:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return head.startswith("#!") and bool(MANAGER_EXEC.search(head) or ASDF_EXEC.search(head))


def _by_path(hop: Hop) -> str | None:
    """The name looked up on PATH to reach this hop, if it was reached that way."""
    name = hop.argv[0] if hop.argv else ""
    return name if name and "/" not in name else None


def _shown(hop: Hop) -> str:
    """The stripping hop as the user wrote it: /usr/bin/sh rather than the /usr/bin/dash it links to."""
    name = hop.argv[0].rsplit("/", 1)[-1] if hop.argv else ""
    if hop.via and name and hop.via.rsplit("/", 1)[-1] == name:
        return hop.via
    return hop.path or (hop.argv[0] if hop.argv else "?")


def plan_prediction(prediction: Prediction, strips: Strips = verdict_strips) -> Plan:
    plan = Plan()
    for root in prediction.roots:
        _walk(root, None, plan, strips)
    return plan


def _walk(proc: Process, lost: str | None, plan: Plan, strips: Strips) -> None:
    if proc.filtered_by:  # a cleared environment takes the saved copies with it: no shim has anything to restore
        first = proc.chain[0].path if proc.chain else " ".join(proc.argv)
        plan.gaps.append(Gap(first or "?", "its parent", "started with a cleared environment"))
        return
    chain = list(proc.chain)
    i = 0
    while i < len(chain):
        hop, name = chain[i], _by_path(chain[i])
        if lost is not None and name and manager_shim(hop.via):
            plan.names.add(name)
            plan.covered.append((name, lost))
            lost, i = None, len(chain) - 1  # the shim execs the version's interpreter: the rest is skipped
            hop = chain[i]
            if strips(hop):
                plan.gaps.append(Gap(hop.path, _shown(hop), f"{name} resolves to a protected program"))
                lost = _shown(hop)
            i += 1
            continue
        if strips(hop):
            lost = lost or _shown(hop)
        elif lost is not None and name:
            plan.names.add(name)
            plan.covered.append((name, lost))
            lost = None
        elif lost is not None:
            plan.gaps.append(Gap(hop.path or "?", lost, "run by absolute path, no PATH lookup"))
        i += 1
    for child in proc.children:
        _walk(child, lost, plan, strips)


def interpreter_names(path: str, protected: Callable[[str], bool]) -> set[str]:
    """The interpreters found on PATH where the first match is not protected (or is a version manager's shim)."""
    out = set()
    for name in INTERPRETERS:
        found = shutil.which(name, path=path)
        if found and (manager_shim(found) or not protected(os.path.abspath(found))):
            out.add(name)
    return out
