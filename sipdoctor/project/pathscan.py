"""PATH as the profiled program will see it: directories, command resolution, shadowing, scripts on PATH.

`collect_path_facts(system, assumptions)` returns plain data (see sipdoctor.project.facts for the shape).
"""

from __future__ import annotations

import os
import stat
from typing import Any

from sipdoctor.binaries import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.macos_paths import is_protected_path
from sipdoctor.project.toolchains import collect_toolchains
from sipdoctor.system import System

COMMANDS_THAT_MATTER = (
    "python", "python3", "pip", "pip3", "uv", "node", "npm", "npx", "pnpm", "yarn", "corepack", "bun", "deno",
    "ruby", "gem", "bundle", "perl", "bash", "sh", "zsh", "dash", "env", "make", "gmake", "cmake", "go",
    "cargo", "rustc", "java", "git", "clang", "cc",
)


def path_entries(env_path: str, target: str) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    entries = []
    for index, directory in enumerate(env_path.split(os.pathsep)):
        normal = os.path.normpath(directory) if directory else "."
        entries.append({
            "index": index, "dir": directory, "exists": os.path.isdir(normal),
            "protected": target == "macos" and is_protected_path(os.path.abspath(normal)),
            "duplicate_of": seen.get(normal),
        })
        seen.setdefault(normal, index)
    return entries


def resolve_commands(env_path: str, judge: Judge, names: tuple[str, ...] = COMMANDS_THAT_MATTER
                     ) -> list[dict[str, Any]]:
    out = []
    for name in names:
        candidates = judge.resolve(name, env_path)
        if not candidates:
            continue
        judged = []
        for candidate in candidates:
            verdict, reasons = judge.verdict(candidate, env_path)
            judged.append({"path": candidate, "real": os.path.realpath(candidate), "verdict": verdict.value,
                           "protected": judge.target == "macos" and is_protected_path(candidate),
                           "reasons": [r.code for r in reasons]})
        winner = judged[0]
        better = next((c for c in judged[1:] if not c["protected"] and c["verdict"] == "profiled"), None)
        out.append({"name": name, "winner": winner["path"], "winner_verdict": winner["verdict"],
                    "candidates": judged,
                    "shadowed": better["path"] if better and winner["verdict"] != "profiled" else None})
    return out


def scripts_on_path(env_path: str, judge: Judge) -> list[dict[str, Any]]:
    """Every executable script on PATH with the interpreter chain the kernel and env take."""
    from sipdoctor.binaries import read_shebang

    out = []
    seen: set[str] = set()
    for directory in env_path.split(os.pathsep):
        try:
            entries = list(os.scandir(directory or "."))
        except OSError:
            continue
        for entry in entries:
            if entry.path in seen:
                continue
            seen.add(entry.path)
            try:
                info = entry.stat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o111:
                continue
            shebang = read_shebang(entry.path)
            if shebang is None:
                continue
            out.append(_script_fact(entry.path, shebang, env_path, judge))
    return out


def _script_fact(path: str, shebang: Any, env_path: str, judge: Judge) -> dict[str, Any]:
    chain = [shebang.interpreter]
    if shebang.env_name:
        found = judge.resolve(shebang.env_name, env_path)
        chain.append(found[0] if found else f"{shebang.env_name} (not found)")
    return {"path": path, "shebang": shebang.line, "chain": chain,
            "stripping_interpreter": next((c for c in chain if is_protected_path(c)), None)}


def shadowing(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Commands whose first match is in a protected directory while a later PATH entry has another one
    (e.g. /usr/bin before /opt/homebrew/bin, so `python3` runs Apple's binary)."""
    out = []
    for command in commands:
        first = command["candidates"][0]
        later = next((c for c in command["candidates"][1:] if not c["protected"]), None)
        if first["protected"] and later is not None:
            out.append({"command": command["name"], "winner": first["path"], "later": later["path"],
                        "protected_dir": os.path.dirname(first["path"]),
                        "later_dir": os.path.dirname(later["path"]), "later_verdict": later["verdict"]})
    return out


def collect_path_facts(system: System, assumptions: Assumptions, judge: Judge | None = None,
                       include_scripts: bool = True) -> dict[str, Any]:
    judge = judge or Judge(assumptions)
    env_path = system.env.get("PATH", os.defpath)
    commands = resolve_commands(env_path, judge)
    return {
        "path": {
            "value": env_path,
            "entries": path_entries(env_path, str(assumptions.target)),
            "commands": commands,
            "shadowing": shadowing(commands),
            "scripts": scripts_on_path(env_path, judge) if include_scripts else [],
        },
        "toolchains": collect_toolchains(system),
    }
