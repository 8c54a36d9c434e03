"""The shipped schemas themselves: valid draft 2020-12, one version, one vocabulary, shipped in the wheel,
printed by `sipdoctor schema`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest

from sipdoctor.chains.tree import NOT_PROFILED
from sipdoctor.commands.schema import SCHEMA_DIR, schema_files
from sipdoctor.model import SCHEMA_VERSION, Severity, Verdict
from sipdoctor.trace.model import State
from tests.conftest import REPO

PAYLOADS = ("check", "explain-command", "explain-file", "rules-list", "scan-path", "scan-project", "scan-shebangs",
            "status", "trace")


def load(name: str) -> dict:
    return json.loads(schema_files()[name].read_text("utf-8"))


def test_one_schema_per_payload() -> None:
    assert tuple(schema_files()) == PAYLOADS


@pytest.mark.parametrize("name", PAYLOADS)
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert "schema_version" in schema["required"]
    assert schema["$id"].endswith(f":{name}:{SCHEMA_VERSION}")


def test_a_broken_schema_is_caught() -> None:
    """The check above can fail: a misspelt type is rejected."""
    broken = load("status") | {"properties": {"schema_version": {"type": "strnig"}}}
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema(broken)


def test_shared_definitions_are_the_same_in_every_file() -> None:
    """Each file is self-contained (no cross-file $ref), so a definition used by several must not drift."""
    seen: dict[str, tuple[str, object]] = {}
    for name in PAYLOADS:
        for key, definition in load(name).get("$defs", {}).items():
            first = seen.setdefault(key, (name, definition))
            assert definition == first[1], f"$defs/{key} differs between {first[0]} and {name}"
    assert {"verdict", "finding", "command", "sip", "hop", "process"} <= set(seen)


def test_closed_enums_match_the_vocabulary() -> None:
    defs = {k: v for name in PAYLOADS for k, v in load(name).get("$defs", {}).items()}
    assert defs["verdict"]["enum"] == [v.value for v in Verdict]
    assert defs["verdict"]["enum"] == ["profiled", "ignored", "stripped", "load-fails", "unknown"]
    assert defs["hop_status"]["enum"] == [*(v.value for v in Verdict), NOT_PROFILED]
    assert defs["severity"]["enum"] == [s.value for s in Severity]
    states = load("trace")["properties"]["processes"]["items"]["properties"]["state"]["enum"]
    assert sorted(states) == sorted(s.value for s in State)


def test_payloads_stay_open_for_new_keys() -> None:
    """Other features add keys (a machine per command, a fix plan): the top level and commands accept them."""
    for name in PAYLOADS:
        schema = load(name)
        assert schema.get("additionalProperties", True) is True, name
    assert load("check")["$defs"]["command"]["additionalProperties"] is True


def test_schema_files_ship_in_the_wheel(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    wheel = next(iter(WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"])))
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n for n in names if n.startswith("sipdoctor/schemas/")) == [
        f"sipdoctor/schemas/{name}.schema.json" for name in PAYLOADS]


def test_schema_lists_every_schema_and_where_it_is(cli) -> None:
    result = cli("schema")
    assert result.exit_code == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines()[: len(PAYLOADS)]]
    assert rows == list(PAYLOADS)
    assert "sipdoctor check --format json" in result.stdout
    assert f"{SCHEMA_DIR}/NAME.schema.json" in result.stdout


@pytest.mark.parametrize("name", PAYLOADS)
def test_schema_name_prints_the_shipped_file(cli, name: str) -> None:
    result = cli("schema", name)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == load(name)
    path = cli("schema", name, "--path")
    assert Path(path.stdout.strip()) == SCHEMA_DIR / f"{name}.schema.json"


def test_unknown_schema_is_a_usage_error_naming_the_known_ones(cli) -> None:
    result = cli("schema", "chekc")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no schema 'chekc'" in result.stderr and "check, explain-command" in result.stderr
    assert "Traceback" not in result.stderr
