"""Helpers for the integration tests: SARIF validation and applying a SARIF fix as a SARIF viewer would."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.rules.conftest import macho_program, toolchain  # noqa: F401  (fixtures for the SARIF tests)

DATA = Path(__file__).parent / "data"
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
PACKAGE_CACHES = {"UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(_USER_CACHE / "uv"),
                  "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(_USER_CACHE / "pip")}
"""uv's and pip's download caches, read at import (before the tests point XDG_CACHE_HOME elsewhere): the
install tests build and install for real, and need not download the same wheels again on every run."""


def validate_sarif(text: str) -> dict[str, Any]:
    """Parse and validate against the OASIS SARIF 2.1.0 schema (draft 4); return the log."""
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    log: dict[str, Any] = json.loads(text)
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based line and UTF-16 column."""
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: line - 1])
    units = 0
    index = 0
    current = lines[line - 1] if line - 1 < len(lines) else ""
    while units < column - 1:
        units += len(current[index].encode("utf-16-le")) // 2
        index += 1
    return start + index


def apply_replacement(text: str, replacement: dict[str, Any]) -> str:
    region = replacement["deletedRegion"]
    start = offset(text, region["startLine"], region["startColumn"])
    end = offset(text, region["endLine"], region["endColumn"])
    return text[:start] + replacement["insertedContent"]["text"] + text[end:]
