"""Compare a trace with the prediction (sipdoctor.chains) for the same command, and name the differences.

The prediction knows the chain a command line starts (shells, shebangs, package-manager scripts); the trace
also sees what programs start on their own (workers, helpers), which the prediction does not claim to know.
So executables in both are compared: a predicted state that the trace contradicts is a difference (an
`unknown` verdict, such as a host ELF judged for macOS, predicts nothing to contradict), and a predicted
program the trace never saw is noted. Of the programs only the trace saw, one that macOS protects (a binary of
the shipped inventory, sipdoctor/data/macos-system-binaries.md) is a difference too: a hop the prediction
missed is where the variable may be stripped (docs/macos-facts.md#sip-protected).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sipdoctor.binaries.report import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.chains.predict import make_context, predict_argv
from sipdoctor.errors import SipdoctorError
from sipdoctor.macos_paths import shipped_binary
from sipdoctor.trace.emulate import is_emulated_protected
from sipdoctor.trace.model import Node

TRACE_WORDS = {"unprofiled": "not-profiled"}
Protected = Callable[[str], bool]
"""Whether macOS protects the executable a traced process ran (its path as traced)."""


def macos_protects(emulated: frozenset[str] | None, host: str) -> Protected | None:
    """The test for a protected traced process: --emulate-sip's list, a Mac's shipped inventory, or None for a
    Linux trace judged on Linux's own rules."""
    if emulated is not None:
        return lambda exe: is_emulated_protected(exe, emulated)
    if host == "macos":
        return lambda exe: shipped_binary(exe) is not None or shipped_binary(os.path.realpath(exe)) is not None
    return None


def predicted_states(argv: Sequence[str], target: str, env: Mapping[str, str], cwd: Path
                     ) -> dict[str, set[str]] | None:
    """executable (resolved) -> the states predicted for it; None when no prediction can be made."""
    try:
        ctx = make_context(Judge(Assumptions(target=target)), cwd, dict(env))
        prediction = predict_argv(list(argv), ctx)
    except (SipdoctorError, OSError, ValueError):
        return None
    states: dict[str, set[str]] = {}
    for root in prediction.roots:
        for hop in root.walk():
            if hop.path:
                states.setdefault(os.path.realpath(hop.path), set()).add(hop.status or hop.verdict.value)
    return states


def differences(predicted: Mapping[str, set[str]], nodes: Sequence[Node], protected: Protected | None = None
                ) -> list[str]:
    """Sentences naming where the trace and the prediction disagree."""
    traced: dict[str, set[str]] = {}
    unpredicted: set[str] = set()
    for node in nodes:
        exe = os.path.realpath(node.exe)
        traced.setdefault(exe, set()).add(TRACE_WORDS.get(node.state.value, node.state.value))
        if protected is not None and exe not in predicted and protected(node.exe):
            unpredicted.add(exe)
    out = []
    for exe, expected in sorted(predicted.items()):
        seen = traced.get(exe)
        if seen is None:
            out.append(f"{exe}: predicted {_words(expected)}, not seen in the trace (not started, or too short "
                       "to observe)")
        elif not seen & expected and expected != {"unknown"}:  # an unknown verdict claims nothing
            out.append(f"{exe}: predicted {_words(expected)}, traced {_words(seen)}")
    out += [f"{exe}: traced {_words(traced[exe])}, a binary macOS protects that the prediction does not include"
            for exe in sorted(unpredicted)]
    return out


def _words(states: set[str]) -> str:
    return " or ".join(sorted(states))
