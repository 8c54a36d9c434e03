"""The named scripts of Python project runners, from pyproject.toml (and hatch.toml).

- hatch: `[tool.hatch.envs.<env>.scripts]` (hatch.toml: `[envs.<env>.scripts]`), a command or a list of
  commands per name; `hatch run [ENV:]NAME` runs each, and `hatch run CMD...` runs CMD, through `/bin/sh -c`
  (observed with hatch 1.18: `execve("/bin/sh", ["/bin/sh", "-c", "python -c 'print(42)'"])`), with the
  environment's bin directory first on PATH.
- pdm: `[tool.pdm.scripts]`, a string or `{cmd = ...}` run directly (split like a shell would), `{shell =
  ...}` through `/bin/sh -c`, `{composite = [...]}` each in turn (observed with pdm 2.29: `pdm run NAME` of a
  string execs the program itself; of a `shell` script, `/bin/sh -c`).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdoctor.sources.files import Problem, Unreadable, read_text


@dataclass(frozen=True)
class ScriptCommand:
    """One command a named script runs: an argv run directly, or a line for `/bin/sh -c`."""

    argv: tuple[str, ...] = ()
    shell_line: str | None = None


def project_root(cwd: Path) -> Path | None:
    return next((d for d in (cwd, *cwd.parents) if (d / "pyproject.toml").is_file()), None)


def load_toml(path: Path) -> tuple[dict[str, Any], str, Problem | None]:
    """(the table, the text, None), or ({}, "", why it could not be read, with the line)."""
    try:
        text = read_text(str(path), whole=True)
        return tomllib.loads(text), text, None
    except Unreadable as exc:
        return {}, "", exc.problem
    except RecursionError:
        return {}, "", Problem(str(path), None, "bad TOML: nested too deeply to read")
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        return {}, "", Problem(str(path), int(line[1]) if line else None, f"bad TOML: {exc}")


def dig(table: Any, *keys: str) -> dict[str, Any]:
    """table[k1][k2]... as a table, or {} where a level is missing or is not a table (`tool = 5`)."""
    for key in keys:
        table = table.get(key) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else {}


def hatch_scripts(root: Path, env: str) -> tuple[dict[str, list[str]], list[str]]:
    """name -> the command lines of hatch environment `env` (hatch.toml wins over pyproject.toml)."""
    scripts: dict[str, list[str]] = {}
    notes: list[str] = []
    for path, keys in ((root / "pyproject.toml", ("tool", "hatch", "envs")), (root / "hatch.toml", ("envs",))):
        if not path.is_file():
            continue
        table, _, problem = load_toml(path)
        notes += [problem.note()] if problem else []
        for key in keys:
            table = table.get(key, {}) if isinstance(table, dict) else {}
        found = table.get(env, {}).get("scripts", {}) if isinstance(table.get(env), dict) else {}
        for name, value in found.items() if isinstance(found, dict) else ():
            items = value if isinstance(value, list) else []
            lines = [value] if isinstance(value, str) else [v for v in items if isinstance(v, str)]
            scripts[name] = lines
    return scripts, notes


def pdm_script(root: Path, name: str) -> tuple[list[ScriptCommand] | None, list[str]]:
    """The commands of pdm script `name` (None when there is no such script)."""
    table, _, problem = load_toml(root / "pyproject.toml")
    scripts = dig(table, "tool", "pdm", "scripts")
    return _pdm_commands(scripts, name, set()), [problem.note()] if problem else []


def _pdm_commands(scripts: dict[str, Any], name: str, seen: set[str]) -> list[ScriptCommand] | None:
    script = scripts.get(name)
    if script is None or name in seen or name.startswith("_"):  # `_` is pdm's settings table
        return None
    if isinstance(script, str):
        return [ScriptCommand(argv=tuple(_split(script)))]
    if not isinstance(script, dict):
        return []
    if isinstance(script.get("cmd"), str):
        return [ScriptCommand(argv=tuple(_split(script["cmd"])))]
    if isinstance(script.get("cmd"), list):
        return [ScriptCommand(argv=tuple(str(a) for a in script["cmd"]))]
    if isinstance(script.get("shell"), str):
        return [ScriptCommand(shell_line=script["shell"])]
    out: list[ScriptCommand] = []
    for step in script.get("composite", []):
        words = _split(str(step))
        nested = _pdm_commands(scripts, words[0], seen | {name}) if words else None
        out += nested if nested is not None else [ScriptCommand(argv=tuple(words))]
    return out


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def runner_commands(root: Path) -> tuple[list[tuple[str, str, int | None, str]], list[Problem]]:
    """(tool, script name, line in pyproject.toml, the command that runs it) for the project's hatch scripts
    (default environment) and pdm scripts, so `check` predicts `hatch run NAME` and `pdm run NAME`."""
    path = root / "pyproject.toml"
    table, text, problem = load_toml(path)
    if problem:
        return [], [problem]
    out: list[tuple[str, str, int | None, str]] = []
    hatch = dig(table, "tool", "hatch", "envs", "default", "scripts")
    for name in hatch if isinstance(hatch, dict) else ():
        out.append(("hatch", name, _key_line(text, "tool.hatch.envs.default.scripts", name), f"hatch run {name}"))
    pdm = dig(table, "tool", "pdm", "scripts")
    for name in pdm if isinstance(pdm, dict) else ():
        if not name.startswith("_"):
            out.append(("pdm", name, _key_line(text, "tool.pdm.scripts", name), f"pdm run {name}"))
    return out, []


def _key_line(text: str, section: str, key: str) -> int | None:
    """The line of `key = ...` in [section] (TOML keys may be quoted)."""
    in_section = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[] ") == section
        elif in_section and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None
