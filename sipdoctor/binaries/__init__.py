"""Binary verdicts: what the loader does with the injected library for one file, and why.

Public API (imported lazily so that `sipdoctor --help` does not load the binary readers):
Assumptions, BinaryReport, SliceReport, judge_file, resolve_command, read_shebang, Shebang, VerdictCache,
INPUT_PROBLEMS.
"""

from __future__ import annotations as annotations

import importlib as importlib
from typing import TYPE_CHECKING as TYPE_CHECKING
from typing import Any as Any

if TYPE_CHECKING:
    from sipdoctor.binaries.cache import VerdictCache as VerdictCache
    from sipdoctor.binaries.fileinfo import INPUT_PROBLEMS as INPUT_PROBLEMS
    from sipdoctor.binaries.judge import judge_file as judge_file
    from sipdoctor.binaries.report import Assumptions as Assumptions
    from sipdoctor.binaries.report import BinaryReport as BinaryReport
    from sipdoctor.binaries.report import SliceReport as SliceReport
    from sipdoctor.binaries.resolve import resolve_command as resolve_command
    from sipdoctor.binaries.script import Shebang as Shebang
    from sipdoctor.binaries.script import read_shebang as read_shebang

_EXPORTS = {
    "Assumptions": "report", "BinaryReport": "report", "SliceReport": "report", "judge_file": "judge",
    "resolve_command": "resolve", "read_shebang": "script", "Shebang": "script", "VerdictCache": "cache",
    "INPUT_PROBLEMS": "fileinfo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"sipdoctor.binaries.{_EXPORTS[name]}"), name)
