"""`sipdoctor check --fix`: apply the exact file edits that the findings' remediations carry.

Per finding, the first remediation with an edit is applied (rules list their remediations best first); an
edit shared by several findings is applied once. Edits only touch files inside the project, are written
atomically with the file's mode kept, and are idempotent: a line already there is not added twice, and a
replacement whose text is gone (the file changed since the check) is skipped and said so. Each applied edit
comes with its undo.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sipdoctor.model import FileEdit, Finding
from sipdoctor.sources.files import Unreadable, read_text

READ_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class EditOutcome:
    edit: FileEdit
    applied: bool
    note: str
    """What was done and how to undo it, or why nothing was done."""


def chosen_edits(findings: Iterable[Finding]) -> list[FileEdit]:
    edits: list[FileEdit] = []
    for finding in findings:
        edit = next((r.edit for r in finding.remediations if r.edit is not None), None)
        if edit is not None and edit not in edits:
            edits.append(edit)
    return edits


def apply_edits(root: Path, edits: Iterable[FileEdit]) -> list[EditOutcome]:
    return [apply_edit(root, edit) for edit in edits]


def apply_edit(root: Path, edit: FileEdit) -> EditOutcome:
    path = root / edit.file
    try:
        inside = path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        inside = False
    if not inside:
        return EditOutcome(edit, False, f"{path}: not changed, it is outside the project")
    target = path.resolve()  # a symbolic link inside the project keeps pointing where it did
    try:
        text = _read(target)
    except Unreadable as exc:
        return EditOutcome(edit, False, f"{path}: not changed, {exc.reason}")
    new = _edited(text, edit)
    if new is None:
        return EditOutcome(edit, False, f"{path}: not changed, {edit.text!r} is no longer there (edited since "
                                        "the check?)")
    if new == text:
        return EditOutcome(edit, False, f"{path}: already done ({edit.describe()})")
    try:
        _write_atomically(target, new)
    except OSError as exc:
        return EditOutcome(edit, False, f"{path}: not changed, {exc.strerror or exc}")
    return EditOutcome(edit, True, f"{edit.describe()} (to undo: {edit.undo()})")


def _read(path: Path) -> str:
    if not path.exists():
        return ""
    return read_text(path, READ_LIMIT, whole=True)


def _edited(text: str, edit: FileEdit) -> str | None:
    """The new text; None when a replacement's text is not there."""
    if edit.action == "replace":
        if edit.text not in text:
            return None
        return text.replace(edit.text, edit.replacement or "", 1)
    if edit.text in text.splitlines():
        return text
    if edit.action == "prepend":
        return f"{edit.text}\n{text}"
    return f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}{edit.text}\n"


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".sipdoctor")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def preview_edit(root: Path, edit: FileEdit) -> tuple[str, str] | None:
    """The file's text before and after `edit`, as apply_edit would write it; None when the edit would change
    nothing or could not be made (outside the project, unreadable, its text gone). Writes nothing."""
    path = root / edit.file
    try:
        if not path.resolve().is_relative_to(root.resolve()):
            return None
        text = _read(path.resolve())
    except (OSError, RuntimeError, UnicodeDecodeError, ValueError):
        return None
    new = _edited(text, edit)
    return None if new is None or new == text else (text, new)
