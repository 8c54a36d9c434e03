"""Which installed version a version manager runs, read from the same files the manager reads.

pyenv: PYENV_VERSION, else `.python-version` in the directory or a parent, else `$PYENV_ROOT/version`, else
"system" (pyenv `libexec/pyenv-version-name`, `pyenv-version-file`); rbenv and nodenv mirror it with
`.ruby-version` and `.node-version`. asdf and mise: `.tool-versions` (and mise's `mise.toml [tools]`) in the
directory or a parent, then the home directory; installs under `installs/<tool>/<version>/bin`. Volta: the
`volta` key of the nearest package.json, else `tools/user/platform.json`; images under `tools/image/node/<v>`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sipdoctor.chains.context import Context

RBENV_LIKE = {
    "pyenv": ("PYENV_ROOT", "~/.pyenv", "PYENV_VERSION", ".python-version"),
    "rbenv": ("RBENV_ROOT", "~/.rbenv", "RBENV_VERSION", ".ruby-version"),
    "nodenv": ("NODENV_ROOT", "~/.nodenv", "NODENV_VERSION", ".node-version"),
}
NODE_FAMILY = {"node": "node", "npm": "node", "npx": "node", "corepack": "node"}
MISE_TOOL_LINE = re.compile(r'^\s*"?(?P<tool>[\w:/.-]+)"?\s*=\s*"(?P<version>[^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Found:
    path: str | None
    note: str


def _home(ctx: Context, spec: str) -> Path:
    home = ctx.env.get("HOME") or os.path.expanduser("~")
    return Path(spec.replace("~", home, 1)) if spec.startswith("~") else Path(spec)


def _upward(start: Path, name: str) -> Iterator[Path]:
    for directory in (start, *start.parents):
        candidate = directory / name
        if candidate.is_file():
            yield candidate


def _first_line_words(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8", "replace")[:4096].split()
    except OSError:
        return []


def managed_program(tool: str, program: str, ctx: Context, shim: str | None = None) -> Found:
    if tool in RBENV_LIKE:
        return _rbenv_like(tool, program, ctx)
    if tool in ("asdf", "mise"):
        return _tool_versions(tool, program, ctx)
    if tool == "volta":
        return _volta(program, ctx)
    return Found(None, f"{tool}: unknown version manager")


def _rbenv_like(tool: str, program: str, ctx: Context) -> Found:
    root_var, default_root, version_var, version_file = RBENV_LIKE[tool]
    root = _home(ctx, ctx.env.get(root_var, default_root))
    versions, source = _rbenv_versions(ctx, root, version_var, version_file)
    for version in versions:
        if version == "system":
            shims = str(root / "shims")
            path = os.pathsep.join(d for d in ctx.path.split(os.pathsep) if d.rstrip("/") != shims)
            found = ctx.judge.resolve(program, path)
            if found:
                return Found(found[0], f"(system {program}, selected by {source})")
            continue
        candidate = root / "versions" / version / "bin" / program
        if os.access(candidate, os.X_OK):
            return Found(str(candidate), f"(version {version} from {source})")
    return Found(None, f"{tool}: no installed version provides {program} (selected {versions} by {source})")


def _rbenv_versions(ctx: Context, root: Path, version_var: str, version_file: str) -> tuple[list[str], str]:
    if ctx.env.get(version_var):
        return ctx.env[version_var].split(":"), version_var
    for found in _upward(ctx.cwd, version_file):
        words = _first_line_words(found)
        if words:
            return words, str(found)
    global_file = root / "version"
    words = _first_line_words(global_file) if global_file.is_file() else []
    return (words, str(global_file)) if words else (["system"], "the default")


def _tool_versions(tool: str, program: str, ctx: Context) -> Found:
    data = _home(ctx, ctx.env.get("ASDF_DATA_DIR", "~/.asdf") if tool == "asdf"
                 else ctx.env.get("MISE_DATA_DIR", "~/.local/share/mise"))
    for source, pairs in _declared_versions(tool, ctx):
        for name, version in pairs:
            candidate = data / "installs" / name / version / "bin" / program
            if os.access(candidate, os.X_OK):
                return Found(str(candidate), f"({name} {version} from {source})")
    return Found(None, f"{tool}: no declared and installed version provides {program}")


def _declared_versions(tool: str, ctx: Context) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    names = [".tool-versions"] + (["mise.toml", ".mise.toml"] if tool == "mise" else [])
    starts = [ctx.cwd, _home(ctx, "~/.config/mise") if tool == "mise" else _home(ctx, "~")]
    for start in starts:
        for name in names:
            for found in _upward(start, name):
                yield str(found), _parse_versions(found)


def _parse_versions(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text("utf-8", "replace")[:65536]
    except OSError:
        return []
    if path.name.endswith(".toml"):
        return [(m.group("tool"), m.group("version")) for m in MISE_TOOL_LINE.finditer(text)]
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        pairs.extend((words[0], v) for v in words[1:2])
    return pairs


def _volta(program: str, ctx: Context) -> Found:
    home = _home(ctx, ctx.env.get("VOLTA_HOME", "~/.volta"))
    tool = NODE_FAMILY.get(program, program)
    version, source = _volta_version(tool, ctx, home)
    if version is None:
        return Found(None, f"volta: no {tool} version pinned in package.json or platform.json")
    candidate = home / "tools" / "image" / tool / version / "bin" / program
    return Found(str(candidate), f"({tool} {version} from {source})")


def _volta_version(tool: str, ctx: Context, home: Path) -> tuple[str | None, str]:
    for found in _upward(ctx.cwd, "package.json"):
        pinned = _json_get(found, "volta", tool)
        if pinned:
            return pinned, str(found)
    platform = home / "tools" / "user" / "platform.json"
    runtime = _json_get(platform, tool, "runtime")
    return runtime, str(platform)


def _json_get(path: Path, *keys: str) -> str | None:
    try:
        value: object = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None
