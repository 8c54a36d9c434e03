"""Exact file edits on bytes: a `FileEdit` applied so that everything else in the file keeps its bytes.

The file's layout (UTF-8 byte-order mark, dominant line ending, final newline or not) is read first and kept:
an added line gets the file's line ending, a replacement's newlines become it. A replacement changes the text
only where it starts and ends at a command boundary (start of the line's value, a shell separator) on the lines
the edit names, never a piece of a longer command or of a quoted argument. Pure functions: `sipdoctor.fix`
writes the result, `sipdoctor.plan` applies it to a scratch copy (docs/fix-plan.md, "Safe edits").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sipdoctor.model import FileEdit

BOM = "\ufeff"
BEFORE = re.compile(
    r"(?:^\s*(?:-\s+)?(?:[\w.-]+:\s*)?[@+-]*"  # start of a line, a YAML `run: ` value, a recipe's @/-/+ prefix
    r"|(?<!\\)\"\s*:\s*\""  # the start of a JSON string value
    r"|(?:[;&|({]|\|\||&&)\s*"  # after a shell separator
    r"|\b(?:then|do|else)\s+)$"
)
AFTER = re.compile(r"^(?:\s*$|\s*(?:[;&|)}]|#)|\"\s*(?:[,}\]]|$))")


class EditRefused(ValueError):
    """The edit cannot be made as it says (its text is not where it points); the message says why."""


@dataclass(frozen=True)
class Layout:
    bom: bool
    eol: str
    final_newline: bool


def decode(data: bytes) -> tuple[str, Layout]:
    """The text without its BOM, and the layout to write it back with. Raises UnicodeDecodeError."""
    text = data.decode("utf-8")
    bom = text.startswith(BOM)
    body = text[1:] if bom else text
    crlf = body.count("\r\n")
    eol = "\r\n" if crlf and crlf >= body.count("\n") - crlf else "\n"
    return body, Layout(bom, eol, body.endswith("\n") or not body)


def encode(text: str, layout: Layout) -> bytes:
    return ((BOM if layout.bom else "") + text).encode("utf-8")


def locate(text: str, needle: str, line: int | None, span: int = 1) -> int | None:
    """The offset of the first occurrence of `needle` at a command boundary on lines `line`..`line+span-1`
    (1-based; the whole text when `line` is None), else None."""
    return next(occurrences(text, needle, line, span), None)


def occurrences(text: str, needle: str, line: int | None, span: int = 1) -> Iterator[int]:
    """Every offset where `needle` stands as a whole command on those lines."""
    if not needle:
        return
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if line is None:
        first, last = 0, len(text)
    elif 1 <= line <= len(starts):
        first = starts[line - 1]
        last = starts[line - 1 + span] if line - 1 + span < len(starts) else len(text)
    else:
        return
    at = text.find(needle, first)
    while at != -1 and at + len(needle) <= last:
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at + len(needle))
        before = text[line_start:at]
        after = text[at + len(needle): len(text) if line_end == -1 else line_end].rstrip("\r")
        if BEFORE.search(before) and AFTER.match(after):
            yield at
        at = text.find(needle, at + 1)


def apply(data: bytes, edit: FileEdit) -> bytes:
    """The file's new bytes (the same bytes when the edit is already there). Raises EditRefused,
    UnicodeDecodeError."""
    text, layout = decode(data)
    if edit.action == "replace":
        return encode(_replaced(text, edit, layout), layout)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if edit.text in lines:
        return data
    if edit.action == "prepend":
        return encode(f"{edit.text}{layout.eol}{text}", layout)
    if not text:
        return encode(f"{edit.text}{layout.eol}", layout)
    if layout.final_newline:
        return encode(f"{text}{edit.text}{layout.eol}", layout)
    return encode(f"{text}{layout.eol}{edit.text}", layout)


def _replaced(text: str, edit: FileEdit, layout: Layout) -> str:
    replacement = (edit.replacement or "").replace("\n", layout.eol)
    at = locate(text, edit.text, edit.line, edit.span)
    if at is None:
        if replacement and locate(text, replacement, edit.line, edit.span + replacement.count("\n")) is not None:
            return text  # already done
        where = f" on line {edit.line}" if edit.line else ""
        raise EditRefused(f"{edit.text!r} is not there as a whole command{where} (edited since the check?)")
    return text[:at] + replacement + text[at + len(edit.text):]
