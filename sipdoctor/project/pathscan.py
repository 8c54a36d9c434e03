"""PATH as the profiled program will see it: directories, command resolution, shadowing, scripts on PATH.

`collect_path_facts(system, assumptions)` returns plain data (see sipdoctor.project.facts for the shape).
"""

from __future__ import annotations

import os
import stat
from typing import Any

from sipdoctor.binaries import Assumptions
from sipdoctor.binaries.fileinfo import OPEN_FLAGS
from sipdoctor.binaries.script import SHEBANG_READ, Shebang, parse_shebang
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
    """Every executable script on PATH with the interpreter chain the kernel and env take.

    Each directory comes from the judge's PathIndex (listed once per run, shared with command resolution).
    Scripts with the same `#!` line share one parse and one chain, so env's lookup runs once per interpreter.
    """
    out = []
    seen: set[str] = set()
    chains: dict[bytes, tuple[Shebang, list[str], str | None] | None] = {}
    for directory, listing in judge.path_index.directories(env_path):
        as_listed = directory == listing.directory
        for entry in listing.entries:
            path = entry.path if as_listed else os.path.join(directory or ".", entry.name)
            if path in seen:
                continue
            seen.add(path)
            line = _shebang_line(entry, path)
            if line is None:
                continue
            if line not in chains:
                chains[line] = _interpreter_chain(line, env_path, judge)
            known = chains[line]
            if known is not None:
                shebang, chain, stripping = known
                out.append({"path": path, "shebang": shebang.line, "chain": list(chain),
                            "stripping_interpreter": stripping})
    return out


def _shebang_line(entry: os.DirEntry[str], path: str) -> bytes | None:
    """The `#!` line of an executable regular file, from its first bytes (None for anything else).

    What the listing says is a regular file is opened and fstat'ed (one stat fewer for each of the thousands of
    files on a long PATH); a symlink is stat'ed first, so a FIFO or device behind it is never opened.
    """
    if entry.is_symlink():
        try:
            if not stat.S_ISREG(entry.stat().st_mode):
                return None
        except OSError:
            return None
    elif not entry.is_file(follow_symlinks=False):
        return None  # a directory, FIFO or device, known from the listing
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError:
        return None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode) or not mode & 0o111:
            return None
        head = os.read(fd, SHEBANG_READ)
    except OSError:
        return None
    finally:
        os.close(fd)
    return head.split(b"\n", 1)[0] if head.startswith(b"#!") else None


def _interpreter_chain(line: bytes, env_path: str, judge: Judge) -> tuple[Shebang, list[str], str | None] | None:
    shebang = parse_shebang(line)
    if shebang is None:
        return None
    chain = [shebang.interpreter]
    if shebang.env_name:
        found = judge.resolve(shebang.env_name, env_path)
        chain.append(found[0] if found else f"{shebang.env_name} (not found)")
    return shebang, chain, next((c for c in chain if is_protected_path(c)), None)


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
        "toolchains": collect_toolchains(system, judge),
    }
