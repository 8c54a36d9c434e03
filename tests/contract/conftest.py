"""The output contract: the shipped JSON Schemas, and the fixtures that make real payloads for them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from sipdoctor.commands.schema import schema_files
from tests.binaries.conftest import macho_fixture, zig_macho
from tests.trace.conftest import probe

__all__ = ["macho_fixture", "probe", "zig_macho"]


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_files()[name].read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(name: str, payload: Any) -> list[str]:
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in sorted(validator(name).iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))]


def error_messages(name: str, payload: Any) -> list[str]:
    """Every message, those under a oneOf (a nullable object) included."""
    pending = list(validator(name).iter_errors(payload))
    out = []
    while pending:
        error = pending.pop()
        out.append(error.message)
        pending.extend(error.context or ())
    return out


def assert_valid(name: str, payload: Any) -> None:
    errors = schema_errors(name, payload)
    assert not errors, f"{name} payload does not follow its schema:\n" + "\n".join(errors[:10])
