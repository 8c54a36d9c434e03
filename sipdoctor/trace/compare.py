"""Compare a trace with the prediction (sipdoctor.chains) for the same command, and name the differences.

The prediction knows the chain a command line starts (shells, shebangs, package-manager scripts); the trace
also sees what programs start on their own (workers, helpers), which the prediction does not claim to know.
So only executables in both are compared: a predicted state that the trace contradicts is a difference (an
`unknown` verdict, such as a host ELF judged for macOS, predicts nothing to contradict), and a predicted
program the trace never saw is noted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sipdoctor.binaries.report import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.chains.predict import make_context, predict_argv
from sipdoctor.errors import SipdoctorError
from sipdoctor.trace.model import Node

TRACE_WORDS = {"unprofiled": "not-profiled"}


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


def differences(predicted: Mapping[str, set[str]], nodes: Sequence[Node]) -> list[str]:
    """Sentences naming where the trace and the prediction disagree."""
    traced: dict[str, set[str]] = {}
    for node in nodes:
        traced.setdefault(os.path.realpath(node.exe), set()).add(TRACE_WORDS.get(node.state.value, node.state.value))
    out = []
    for exe, expected in sorted(predicted.items()):
        seen = traced.get(exe)
        if seen is None:
            out.append(f"{exe}: predicted {_words(expected)}, not seen in the trace (not started, or too short "
                       "to observe)")
        elif not seen & expected and expected != {"unknown"}:  # an unknown verdict claims nothing
            out.append(f"{exe}: predicted {_words(expected)}, traced {_words(seen)}")
    return out


def _words(states: set[str]) -> str:
    return " or ".join(sorted(states))
