"""package.json: scripts with their line numbers, the package manager, and .npmrc's script-shell.

Package manager: the `packageManager` field (corepack's "pnpm@9.1.0"), else the lockfile: pnpm-lock.yaml,
yarn.lock (yarn 2+ when it has `__metadata:` or .yarnrc.yml exists), bun.lock(b), package-lock.json.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sipdoctor.sources.files import Problem, Unreadable, read_text
from sipdoctor.sources.pyproject_scripts import load_toml

LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lockb", "bun"),
    ("bun.lock", "bun"),
    ("pnpm-workspace.yaml", "pnpm"),  # not a lockfile, but only pnpm reads it: a pnpm workspace before install
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
NPMRC_LINE = re.compile(r"^\s*(?P<key>[\w.-]+)\s*=\s*(?P<value>.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Script:
    name: str
    command: str
    line: int | None


@dataclass
class PackageJson:
    path: str
    scripts: list[Script] = field(default_factory=list)
    manager: str = "npm"
    manager_version: str | None = None
    manager_source: str = "default"
    bins: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    name: str | None = None

    def script(self, name: str) -> Script | None:
        return next((s for s in self.scripts if s.name == name), None)

    @property
    def yarn_berry(self) -> bool:
        if self.manager != "yarn":
            return False
        if self.manager_version is not None:
            return not self.manager_version.startswith("1.")
        root = Path(self.path).parent
        if (root / ".yarnrc.yml").exists():
            return True
        try:
            return "__metadata:" in read_text(str(root / "yarn.lock"), 4096)
        except Unreadable:
            return False


def find_package_json(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / "package.json"
        if candidate.is_file():
            return candidate
    return None


def load_package_json(path: Path) -> PackageJson:
    result = PackageJson(str(path))
    try:
        text = read_text(str(path), whole=True)
        data = json.loads(text)
    except Unreadable as exc:
        result.problems.append(exc.problem)
        return result
    except json.JSONDecodeError as exc:
        result.problems.append(Problem(str(path), exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})"))
        return result
    except RecursionError:
        result.problems.append(Problem(str(path), None, "malformed JSON: nested too deeply to read"))
        return result
    if not isinstance(data, dict):
        result.problems.append(Problem(str(path), 1, "package.json is not a JSON object"))
        return result
    result.scripts = _scripts(data.get("scripts"), text, str(path), result.problems)
    result.bins = _bins(data)
    result.name = data["name"] if isinstance(data.get("name"), str) else None
    _detect_manager(result, data, path.parent)
    return result


def _scripts(raw: object, text: str, path: str, problems: list[Problem]) -> list[Script]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        problems.append(Problem(path, _line_of(text, '"scripts"'), "`scripts` is not an object"))
        return []
    scripts = []
    start = max(text.find('"scripts"'), 0)
    for name, command in raw.items():
        if name.startswith("//"):
            continue  # npm's comment convention (`"//": "what the scripts do"`): no script, npm cannot run it
        line = _script_line(text, start, name, command)
        if isinstance(command, str):
            scripts.append(Script(name, command, line))
        else:
            problems.append(Problem(path, line, f"script `{name}` is not a string"))
    return scripts


def _bins(data: dict[str, object]) -> dict[str, str]:
    raw = data.get("bin")
    if isinstance(raw, str) and isinstance(data.get("name"), str):
        return {str(data["name"]).rsplit("/", 1)[-1]: raw}
    return {k: v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}


def _script_line(text: str, start: int, name: str, command: object) -> int | None:
    """The line of `"name": "command"` in the scripts object (not of the same word elsewhere, e.g. the name)."""
    key = re.escape(json.dumps(name)) + r"\s*:\s*"
    value = re.escape(json.dumps(command, ensure_ascii=False)) if isinstance(command, str) else ""
    for pattern in (key + value, key):
        match = re.compile(pattern).search(text, start)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return _line_of(text, json.dumps(name))


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _detect_manager(result: PackageJson, data: dict[str, object], root: Path) -> None:
    declared = data.get("packageManager")
    if isinstance(declared, str) and "@" in declared:
        name, _, version = declared.partition("@")
        result.manager, result.manager_version, result.manager_source = name, version.split("+")[0], "packageManager"
        return
    for lockfile, manager in LOCKFILES:
        if (root / lockfile).exists():
            result.manager, result.manager_source = manager, lockfile
            return


def npmrc_setting(key: str, project_dir: Path, env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(value, where) of an npm config key: npm_config_* environment, project .npmrc, then ~/.npmrc."""
    env = env or {}
    for name in (f"npm_config_{key.replace('-', '_')}", f"npm_config_{key}"):
        if env.get(name):
            return env[name], f"${name}"
    home = env.get("HOME") or os.path.expanduser("~")
    for rc in (project_dir / ".npmrc", Path(home) / ".npmrc"):
        _, found = _setting_in(rc, NPMRC_LINE, key)
        if found is not None:
            return found
    return None


def _setting_in(path: Path, lines: re.Pattern[str], key: str) -> tuple[bool, tuple[str, str] | None]:
    """(whether the file could be read, (value, file) of the first `key` line in it)."""
    try:
        text = read_text(str(path), 65536)
    except Unreadable:
        return False, None
    value = next((m.group("value").strip("\"'") for m in lines.finditer(text) if m.group("key") == key), None)
    return True, None if value is None else (value, str(path))


PNPM_WORKSPACE_LINE = re.compile(r"^(?P<key>[A-Za-z][\w-]*)\s*:\s*(?P<value>.*?)\s*$", re.MULTILINE)


def pnpm_setting(key: str, project_dir: Path, env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(value, where) of a pnpm 10+ setting such as `scriptShell`: $PNPM_CONFIG_SCRIPT_SHELL, then a top-level
    `scriptShell:` in pnpm-workspace.yaml of the project or a parent (pnpm 10 moved its settings out of .npmrc)."""
    env = env or {}
    variable = "PNPM_CONFIG_" + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()
    if env.get(variable):
        return env[variable], f"${variable}"
    for directory in (project_dir, *project_dir.parents):
        readable, found = _setting_in(directory / "pnpm-workspace.yaml", PNPM_WORKSPACE_LINE, key)
        if readable:
            return found  # the workspace root decides
    return None


def pnpm_reads_npmrc_settings(version: str | None) -> bool:
    """pnpm 9 and older read settings such as script-shell from .npmrc; 10 and later from pnpm-workspace.yaml.
    Unknown version: assume a current pnpm."""
    major = version.split(".", 1)[0] if version else ""
    return major.isdigit() and int(major) < 10


def pnpm_shell_emulator(manager_version: str | None, project_dir: Path,
                        env: dict[str, str] | None = None) -> str | None:
    """Where pnpm is told to run scripts in its shell emulator (`shellEmulator: true`; `shell-emulator=true` in
    .npmrc up to pnpm 9), else None: scripts then start no `sh -c` (pnpm's docs, "shell-emulator")."""
    found = npmrc_setting("shell-emulator", project_dir, env) if pnpm_reads_npmrc_settings(manager_version) \
        else pnpm_setting("shellEmulator", project_dir, env)
    return found[1] if found and found[0].strip().strip("'\"").lower() == "true" else None


def script_shell_setting(manager: str, manager_version: str | None, project_dir: Path,
                         env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """The shell a package manager runs scripts with, when configured: (value, where)."""
    if manager == "pnpm" and not pnpm_reads_npmrc_settings(manager_version):
        return pnpm_setting("scriptShell", project_dir, env)
    return npmrc_setting("script-shell", project_dir, env)


def bunfig_shell(directory: Path) -> tuple[str | None, Problem | None]:
    """bunfig.toml's `[run] shell` ("bun" or "system") or None, and why the file could not be read."""
    path = directory / "bunfig.toml"
    if not os.path.lexists(path):
        return None, None
    table, _, problem = load_toml(path)
    run = table.get("run")
    shell = run.get("shell") if isinstance(run, dict) else None
    return (shell if isinstance(shell, str) else None), problem
