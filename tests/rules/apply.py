"""Apply a remediation's file edit to a project copy, exactly as `FileEdit.describe()` says it."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def apply_edit(root: Path, edit: dict[str, Any]) -> None:
    """append/prepend: add the line (once: a line already there is left alone); replace: the first occurrence,
    which must exist."""
    path = root / edit["file"]
    text = path.read_text() if path.exists() else ""
    if edit["action"] == "replace":
        assert edit["text"] in text, f"{edit['text']!r} is not in {path}"
        path.write_text(text.replace(edit["text"], edit["with"], 1))
        return
    line = edit["text"]
    if line in text.splitlines():
        return
    if edit["action"] == "prepend":
        path.write_text(f"{line}\n{text}")
    else:
        path.write_text(f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}{line}\n")


def apply_all(root: Path, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every distinct edit of the findings, in order (several hops of one process share one edit)."""
    applied: list[dict[str, Any]] = []
    for finding in findings:
        for remediation in finding["remediations"]:
            edit = remediation["edit"]
            if edit is not None and edit not in applied:
                apply_edit(root, edit)
                applied.append(edit)
    return applied
