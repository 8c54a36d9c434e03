"""Project configuration: `.sipdoctor.toml`, or `[tool.sipdoctor]` in `pyproject.toml`.

    ignore = ["SIP001", "lint"]         # rule IDs to drop; other entries: commands that are not benchmarks
    benchmarks = ["demo", "make run"]   # commands that are benchmarks (script/target/recipe/step name or text)
    severity = { SIP002 = "error" }     # change a rule's severity
    format = "json"                     # default output format
    fail-on = "warning"                 # lowest severity that makes `check` exit 1 (or "never")
    rules = ["ci/sipdoctor-rules"]      # extra rule files or directories, relative to the config file
    reinject-skip = ["git"]             # `sipdoctor run`: programs whose DYLD_* variables are never restored
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sipdoctor.errors import ConfigError
from sipdoctor.model import Severity
from sipdoctor.sources.files import Unreadable, read_text

KEYS = ("ignore", "benchmarks", "severity", "format", "fail-on", "rules", "reinject-skip")
FORMATS = ("human", "json", "github", "sarif", "markdown")
FAIL_ON = ("error", "warning", "info", "never")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    format: str | None = None
    fail_on: str | None = None
    rules: tuple[Path, ...] = ()
    reinject_skip: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()
    """Commands to judge as benchmarks, by name (script, target, recipe, step) or by their text."""
    not_benchmarks: tuple[str, ...] = ()
    """The `ignore` entries that are not rule IDs: commands that are not benchmarks."""


def find_config(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    """The first of `.sipdoctor.toml` and `pyproject.toml` (with a [tool.sipdoctor] table) in the directory."""
    dedicated = directory / ".sipdoctor.toml"
    if dedicated.exists() or dedicated.is_symlink():
        return dedicated, _toml(dedicated)
    pyproject = directory / "pyproject.toml"
    if pyproject.exists() or pyproject.is_symlink():
        tool = _toml(pyproject).get("tool")
        table = tool.get("sipdoctor") if isinstance(tool, dict) else None
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError("[tool.sipdoctor] must be a table", path=pyproject)
            return pyproject, table
    return None


def load_config(directory: Path) -> Config:
    found = find_config(directory)
    if found is None:
        return Config()
    path, table = found
    text = _text(path)
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"unknown key '{key}' (allowed: {', '.join(KEYS)})", path=path, line=_line(text, key))
    ignored = _strings(table, "ignore", path, text)
    return Config(
        path=path,
        ignore=frozenset(i for i in ignored if RULE_ID.match(i)),
        not_benchmarks=tuple(i for i in ignored if not RULE_ID.match(i)),
        benchmarks=tuple(_strings(table, "benchmarks", path, text)),
        severity=_severities(table, path, text),
        format=_choice(table, "format", FORMATS, path, text),
        fail_on=_choice(table, "fail-on", FAIL_ON, path, text),
        rules=tuple(path.parent / p for p in _strings(table, "rules", path, text)),
        reinject_skip=tuple(_program_names(table, path, text)),
    )


def _text(path: Path) -> str:
    try:
        return read_text(path, limit=1024 * 1024, whole=True)
    except Unreadable as exc:
        raise ConfigError(str(exc)) from None


def _toml(path: Path) -> dict[str, Any]:
    text = _text(path)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ConfigError("bad TOML: nested too deeply to read", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match[1]) if match else max(len(text.splitlines()), 1)
        raise ConfigError(f"bad TOML: {exc}", path=path, line=line) from None


def _line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _strings(table: dict[str, Any], key: str, path: Path, text: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a list of strings", path=path, line=_line(text, key))
    return value


def _program_names(table: dict[str, Any], path: Path, text: str) -> list[str]:
    names = _strings(table, "reinject-skip", path, text)
    for name in names:
        if not name or "/" in name or ":" in name:
            raise ConfigError(f"'reinject-skip': {name!r} is not a program name", path=path,
                              line=_line(text, "reinject-skip"))
    return names


def _severities(table: dict[str, Any], path: Path, text: str) -> dict[str, Severity]:
    value = table.get("severity", {})
    line = _line(text, "severity")
    if not isinstance(value, dict):
        raise ConfigError("'severity' must be a table of RULE = \"error|warning|info\"", path=path, line=line)
    out: dict[str, Severity] = {}
    for rule_id, level in value.items():
        if not RULE_ID.match(rule_id) or level not in ("error", "warning", "info"):
            raise ConfigError(f"'severity': {rule_id} = {level!r} is not RULE = error|warning|info",
                              path=path, line=_line(text, rule_id) or line)
        out[rule_id] = Severity(level)
    return out


def _choice(table: dict[str, Any], key: str, allowed: tuple[str, ...], path: Path, text: str) -> str | None:
    value = table.get(key)
    if value is not None and value not in allowed:
        raise ConfigError(f"'{key}' must be one of {', '.join(allowed)}, not {value!r}",
                          path=path, line=_line(text, key))
    return value
