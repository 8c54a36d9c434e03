"""The facts an exact fix needs, per stripping hop of each project command (`project.stripped` in `check`).

Computed from each command's predicted `tree` (and, to know whether a text replace hits one place, the command's
file): what to call directly instead of a launcher, whether the text can be replaced in place, which program's
shell setting to change. The remediation rules (rules/chains.yml) read these fields.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

from sipdoctor.project.portable import portable_argv
from sipdoctor.sources.files import Unreadable, read_text
from sipdoctor.sources.justfile import SCRIPT_BODY_PREFIX
from sipdoctor.sources.package_json import load_package_json


def flatten_stripped(commands: list[dict[str, Any]], root: str | None = None,
                     path: str | None = None) -> list[dict[str, Any]]:
    """One entry per stripping hop of every command, with the command it belongs to (rules iterate on this).

    Besides the hop's own facts (sipdoctor.project.facts `stripped_hops`), each entry carries what an exact fix
    needs, read from the command's `tree`. "The process to change" is the hop's own process, or the launcher
    around it when that is `npx`/`pnpx`/`npm exec`/`pnpm exec`/`pnpm dlx` running one command (calling the
    command directly removes the launcher, its shell and the command's shim at once):

    - `invoked_as`: that process's argv as a shell would write it (`vitest bench --run`, `npm run bench`).
    - `direct`: the real program the kernel ends up running for it, invoked directly: the argv of the last
      hop of its chain, with the shebang script replaced by its real file (`node node_modules/vitest/vitest.mjs
      bench --run` for an npm `.bin` link or a pnpm wrapper, the entry found from the package's `bin` field;
      `node /usr/lib/node_modules/npm/bin/npm-cli.js run bench` for npm; the pyenv version's python for a
      shim; the developer directory's make for the Xcode stub). Paths under the project are made relative.
      Null when there is no chain to follow.
    - `direct_verdict`: the own verdict of that last program (`profiled` when running it directly is enough).
    - `top_level`: the process to change is what the command itself starts (what the user types, the recipe
      line, the step's shell), so `run_instead` applies.
    - `replaceable`: `invoked_as` occurs literally in the command's text (`command.command`) and exactly once
      in its file, so `edit: replace` of its first occurrence changes exactly this invocation.
    - `spawned_by`: the program that started the hop's process (`npm`, `pnpm`, `yarn`, `npx`, `make`, ...;
      null for the command's own process), which says whose shell setting to change; `spawner_argv` is how
      that program was started (`["bun", "run", "bench"]`).
    - `launcher`: the launcher collapsed into `direct` (`npx`, `npm exec`, ...), else null.
    - `direct_portable`: `direct` as a file that other machines run may hold it (sipdoctor.project.portable:
      project-relative paths, a program by its bare name when PATH finds it first), else null.
    - `edit_file`: the command's file relative to the project (the `file` of an `edit`).
    - `venv`: the virtual environment (relative) whose interpreter this hop runs, else null.
    - `step_line`: for workflow steps, the `run:` line of the step as {text, prefix, key_indent, rest,
      unique, start}: `prefix` is its indentation plus any `- `, `key_indent` the indentation of the step's
      keys, `rest` the line after the prefix, `unique` whether the line occurs once in the file, `start` the
      step's first line as {text, line, dash (its indentation and `- `), key_indent, rest, unique}, or null.
    - `just_setting`: for justfile recipes, the setting that picks the hop's shell as {name, flags,
      existing}: `shell` (`-cu`) for recipe lines, `script-interpreter` (`-eu`) for [script] bodies, and the
      line that sets it now (replace it rather than add a second: just rejects a setting made twice).
    """
    out: list[dict[str, Any]] = []
    texts: dict[str | None, str | None] = {}  # each file read once: a Makefile can hold thousands of commands
    for command in commands:
        hops = command["stripped_hops"]
        if not hops:
            continue
        summary = _summary(command)
        located = _stripped_in_tree(command.get("tree") or {})
        matched = len(located) == len(hops) and all(h["path"] == t[0]["path"] for h, t in zip(hops, located,
                                                                                           strict=True))
        if command.get("file") not in texts:
            texts[command.get("file")] = _file_text(command.get("file"))
        file_text = texts[command.get("file")]
        for index, hop in enumerate(hops):
            extra = _hop_fix_facts(located[index], command, file_text, root, path) if matched else {}
            out.append({**_EMPTY_FIX, **extra, **hop, "command": summary})
    return out


def _summary(command: dict[str, Any]) -> dict[str, Any]:
    """The command's fact without its tree and hops: what a finding entry carries about its command."""
    return {k: v for k, v in command.items() if k not in ("tree", "stripped_hops")}


_EMPTY_FIX: dict[str, Any] = {
    "invoked_as": None, "direct": None, "direct_portable": None, "direct_verdict": None, "top_level": False,
    "replaceable": False,
    "spawned_by": None, "launcher": None, "edit_file": None, "venv": None, "step_line": None,
    "just_setting": None, "spawner_argv": None, "edit_line": None, "edit_span": 1,
}
LAUNCHERS = {("npx",), ("pnpx",), ("npm", "exec"), ("npm", "x"), ("pnpm", "exec"), ("pnpm", "dlx")}
NODE_TOOLS = {"npm-cli.js": "npm", "npx-cli.js": "npx", "pnpm.cjs": "pnpm", "pnpm.mjs": "pnpm",
              "pnpx.cjs": "pnpx", "pnpx.mjs": "pnpx", "yarn.js": "yarn", "yarn.cjs": "yarn"}
"""The entry scripts of package managers run as `node <entry>` (sipdoctor.chains.runners.NODE_SCRIPTS)."""
SHELL_NAMES = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
FILE_TEXT_BYTES = 1 << 20

Located = tuple[dict[str, Any], list[dict[str, Any]]]
"""A stripping hop of the tree and the processes from the root down to the one it belongs to."""


def _stripped_in_tree(tree: dict[str, Any]) -> list[Located]:
    """The tree's stripping hops in the order `stripped_hops` lists them (processes depth first)."""
    out: list[Located] = []

    def visit(process: dict[str, Any], lineage: list[dict[str, Any]]) -> None:
        here = [*lineage, process]
        out.extend((hop, here) for hop in process.get("chain", [])
                   if hop.get("own_verdict") in ("stripped", "load-fails"))
        for child in process.get("children", []):
            visit(child, here)

    for root in tree.get("children", []):
        visit(root, [])
    return out


def _hop_fix_facts(located: Located, command: dict[str, Any], file_text: str | None,
                   root: str | None, path: str | None) -> dict[str, Any]:
    hop, lineage = located
    target_index, direct, launcher = _fix_target(lineage)
    target = lineage[target_index]
    invoked_as = shlex.join(target.get("argv") or [])
    direct_text = shlex.join(_relative(direct, root)) if direct else None
    portable = portable_argv(_relative(direct, root), root, path or os.defpath) if direct else None
    last = _last_hop(_collapsed_leaf(target) if launcher else target)
    # running the last program directly helps only when that program is not the stripping hop itself (a
    # `#!/bin/sh` script run "directly" is still /bin/sh)
    useful = direct_text != invoked_as and not (last and last.get("path") == hop.get("path"))
    return {
        "invoked_as": invoked_as,
        "direct": direct_text if useful else None,
        "direct_portable": shlex.join(portable) if portable and useful else None,
        "direct_verdict": last.get("own_verdict") if last else None,
        "top_level": target_index == 0,
        "replaceable": _replaceable(invoked_as, command, file_text) and _portable(direct_text, command),
        "edit_line": command.get("line"),
        "edit_span": _span(command),
        "spawned_by": _tool_name(lineage[-2]) if len(lineage) > 1 else None,
        "spawner_argv": list(lineage[-2].get("argv") or []) if len(lineage) > 1 else None,
        "launcher": launcher,
        "edit_file": _relative_path(command.get("file"), root),
        "venv": _venv_of(hop, root),
        "step_line": _step_line(command, file_text),
        "just_setting": _just_setting(hop, command, file_text),
    }


def _fix_target(lineage: list[dict[str, Any]]) -> tuple[int, list[str] | None, str | None]:
    """(index in the lineage of the process to change, its direct argv, the collapsed launcher or None)."""
    for index, process in enumerate(lineage):
        launcher = _launcher(process)
        leaf = _collapsed_leaf(process) if launcher else None
        if launcher and leaf is not None:
            return index, _direct_argv(leaf), launcher
    return len(lineage) - 1, _direct_argv(lineage[-1]), None


def _launcher(process: dict[str, Any]) -> str | None:
    tool = _tool_name(process)
    args = [a for a in (process.get("argv") or [])[1:] if not a.startswith("-")]
    for key in LAUNCHERS:
        if key[0] == tool and tuple(args[: len(key) - 1]) == key[1:]:
            return " ".join(key)
    return None


def _collapsed_leaf(process: dict[str, Any]) -> dict[str, Any] | None:
    """The one command a launcher runs, through at most one `sh -c` of a single command."""
    children = process.get("children") or []
    if len(children) != 1:
        return None
    child: dict[str, Any] = children[0]
    last = _last_hop(child)
    if last is not None and os.path.basename(last["path"]) in SHELL_NAMES:
        grandchildren: list[dict[str, Any]] = child.get("children") or []
        return grandchildren[0] if len(grandchildren) == 1 else None
    return child


def _last_hop(process: dict[str, Any] | None) -> dict[str, Any] | None:
    chain = (process or {}).get("chain") or []
    return chain[-1] if chain and chain[-1].get("path") else None


def _tool_name(process: dict[str, Any]) -> str | None:
    """What program a process is: `node .../npm-cli.js` is npm, else the name it was started by."""
    last = _last_hop(process)
    argv = last["argv"] if last else process.get("argv") or []
    if len(argv) > 1 and os.path.basename(argv[0]) == "node":
        tool = NODE_TOOLS.get(os.path.basename((last or {}).get("script") or os.path.realpath(argv[1])))
        if tool:
            return tool
    started = process.get("argv") or argv
    return os.path.basename(started[0]) if started else None


def _direct_argv(process: dict[str, Any]) -> list[str] | None:
    last = _last_hop(process)
    if last is None:
        return None
    argv = list(last["argv"])
    scripts = [hop["via"] for hop in process.get("chain", []) if hop.get("via")]
    if len(argv) > 1 and (argv[1] in scripts or os.path.basename(argv[0]) == "node"):
        entry = next((e for e in (_bin_entry(s, argv[1]) for s in scripts) if e), None)
        real = last.get("script") or os.path.realpath(argv[1])  # resolved on the machine judged
        argv[1] = entry or (real if argv[1] in scripts else argv[1])
    return argv


def _bin_entry(link: str, target: str) -> str | None:
    """`node_modules/.bin/NAME` -> `node_modules/PKG/<bin of NAME>` when that is `target`'s file: the
    package's own `bin` field names it, whether .bin holds a symlink (npm) or a wrapper script (pnpm)."""
    bin_dir = os.path.dirname(link)
    if os.path.basename(bin_dir) != ".bin":
        return None
    modules, name, real = os.path.dirname(bin_dir), os.path.basename(link), os.path.realpath(target)
    parts = real.split(os.sep)
    if "node_modules" not in parts[:-1]:
        return None
    at = len(parts) - 1 - parts[::-1].index("node_modules")
    package = os.sep.join(parts[at + 1 : at + (3 if parts[at + 1].startswith("@") else 2)])
    manifest = Path(modules, package, "package.json")
    if not manifest.is_file():
        return None
    entry = load_package_json(manifest).bins.get(name)
    candidate = os.path.normpath(os.path.join(modules, package, entry)) if entry else None
    return candidate if candidate and os.path.realpath(candidate) == real else None


def _relative(argv: list[str], root: str | None) -> list[str]:
    out = [_relative_path(a, root) or a for a in argv]
    if out and out[0] != argv[0] and os.sep not in out[0]:
        out[0] = f"./{out[0]}"  # a bare name would be looked up on PATH
    return out


def _relative_path(path: str | None, root: str | None) -> str | None:
    if not path or not root or not os.path.isabs(path):
        return path
    if path != root and not path.startswith(root.rstrip(os.sep) + os.sep):
        return path
    return os.path.relpath(path, root)


def _file_text(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return read_text(path, limit=FILE_TEXT_BYTES, whole=True)
    except Unreadable:  # never a FIFO or device; too large or not UTF-8: no in-place edit is offered
        return None


def _span(command: dict[str, Any]) -> int:
    """How many lines from the command's line its text covers (a recipe, a `run: |` block)."""
    if command.get("source") == "package.json":
        return 1
    return (command.get("command") or "").count("\n") + 2
def _portable(direct: str | None, command: dict[str, Any]) -> bool:
    """A replacement may be written only with paths the command's machine really has: a model's (or a --root
    tree's) absolute path outside the project is a guess about the machine (docs/machines.md), so no edit."""
    if (command.get("machine") or {}).get("kind") in (None, "host") or not direct:
        return True
    return not any(word.startswith("/") or "<" in word for word in shlex.split(direct))


def _replaceable(invoked_as: str, command: dict[str, Any], file_text: str | None) -> bool:
    """`invoked_as` is a whole command of the command's text, and found as one on its lines of the file."""
    from sipdoctor.sources.edits import locate, occurrences

    if not invoked_as or file_text is None or locate(command.get("command") or "", invoked_as, None) is None:
        return False
    if command.get("source") == "package.json" and json.dumps(invoked_as)[1:-1] != invoked_as:
        return False  # the script is stored JSON-escaped: the literal text is not in the file
    return len(list(occurrences(file_text, invoked_as, command.get("line"), _span(command)))) == 1


def _venv_of(hop: dict[str, Any], root: str | None) -> str | None:
    invoked = hop.get("via") or (hop.get("argv") or [""])[0]
    bin_dir = os.path.dirname(invoked)
    venv = os.path.dirname(bin_dir)
    if os.path.basename(bin_dir) != "bin" or not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return None
    return _relative_path(venv, root)


def _step_line(command: dict[str, Any], file_text: str | None) -> dict[str, Any] | None:
    line = command.get("line")
    if command.get("source") not in ("workflow", "codspeed-action") or file_text is None or not line:
        return None
    lines = file_text.splitlines()
    if line > len(lines):
        return None
    text = lines[line - 1]
    match = re.match(r"^(\s*)(- )?", text)
    assert match is not None
    prefix = match.group(0)
    return {"text": text, "prefix": prefix, "key_indent": " " * len(prefix), "rest": text[len(prefix):],
            "unique": file_text.count(text) == 1, "start": _step_start(lines, line, len(prefix), file_text)}


def _step_start(lines: list[str], line: int, key_indent: int, file_text: str) -> dict[str, Any] | None:
    """The first line of the step that holds line `line` (its `- ` item), to put a step before it."""
    for number in range(line, 0, -1):
        text = lines[number - 1]
        match = re.match(r"^(\s*)- ", text)
        if match is not None and len(match.group(0)) == key_indent:
            return {"text": text, "line": number, "dash": match.group(0), "key_indent": " " * len(match.group(0)),
                    "rest": text[len(match.group(0)):], "unique": file_text.count(text) == 1}
        if text.strip() and len(text) - len(text.lstrip()) < key_indent:
            return None  # left the step without meeting its `- `
    return None


def _just_setting(hop: dict[str, Any], command: dict[str, Any], file_text: str | None) -> dict[str, Any] | None:
    if command.get("source") != "justfile" or file_text is None:
        return None
    argv = hop.get("argv") or [""]
    script = argv[-1].startswith(SCRIPT_BODY_PREFIX)
    name, flags = ("script-interpreter", "-eu") if script else ("shell", "-cu")
    setting = re.compile(rf"^set\s+{name}\s*:=")
    existing = next((line for line in file_text.splitlines() if setting.match(line)), None)
    return {"name": name, "flags": flags, "existing": existing}


def ignored_hops(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every hop that runs with the variable kept but without the library (`ignored`: hardened runtime, a static
    binary), with its command; `workload` when it is the last program of a process that starts nothing."""
    out: list[dict[str, Any]] = []
    for command in commands:
        summary: dict[str, Any] = {}  # filled when the command has an ignored hop (most have none)
        pending = list((command.get("tree") or {}).get("children", []))
        while pending:
            process = pending.pop(0)
            pending.extend(process["children"])
            chain = process["chain"]
            for index, hop in enumerate(chain):
                if hop["verdict"] == "ignored":
                    workload = index == len(chain) - 1 and not process["children"]
                    reason = hop["reasons"][0]["message"] if hop["reasons"] else "ignored"
                    summary = summary or _summary(command)
                    out.append({"path": hop["path"], "argv": hop["argv"], "reason": reason, "workload": workload,
                                "reason_codes": [r["code"] for r in hop["reasons"]], "command": summary})
    return out


def root_causes(stripped: list[dict[str, Any]], profiler: str) -> list[dict[str, Any]]:
    """One entry per cause: the first hop of each benchmark command that strips the profiler's variable (the
    hops below it are already invisible: context, not more causes), merged across commands when it is the same
    hop for the same reason. Each is that hop's entry from `flatten_stripped` plus `commands` (every command
    it hides, in order) and `label` (those commands as `a`, `b` and `c`)."""
    causes: dict[tuple[Any, ...], dict[str, Any]] = {}
    seen: set[tuple[Any, ...]] = set()
    for entry in stripped:
        command = entry["command"]
        key = _command_key(command)
        if key in seen or not command.get("benchmark") or entry["verdict"] != "stripped":
            continue
        if (command.get("profiler") or profiler) == "codspeed" and (entry.get("reinjected_below")
                                                                      or entry.get("unknown_below")):
            continue
        seen.add(key)
        # The same hop for the same reason; a text replaced in place is a change of its own per command.
        same = (entry["path"], entry.get("via"), entry.get("role"), entry.get("spawned_by"), entry.get("launcher"),
                entry.get("top_level"), entry.get("invoked_as") if entry.get("replaceable") else None)
        if same in causes:
            causes[same]["commands"].append(command)
        else:
            causes[same] = {**entry, "commands": [command]}
    for cause in causes.values():
        cause["label"] = join_commands(command_label(c) for c in cause["commands"])
        cause["run_as_list"] = [c["run_as"] for c in cause["commands"]]
        cause["others"] = join_commands(command_label(c) for c in cause["commands"][1:]) or None
    return list(causes.values())


def _command_key(command: dict[str, Any]) -> tuple[Any, ...]:
    return command.get("source"), command.get("file"), command.get("name"), command.get("job")


def command_label(command: dict[str, Any]) -> str:
    """How a person names the command: what they type (`npm run bench`), else its file's name for it."""
    if command.get("source") in ("package.json", "Makefile"):
        where = f" in {command['directory']}" if command.get("directory") else ""
        return f"`{command['run_as']}`{where}"
    kind = {"workflow": "step", "codspeed-action": "CodSpeed step", "justfile": "recipe"}.get(command["source"])
    return f"{kind or command['source']} `{command['name']}`"


def join_commands(labels: Any) -> str:
    names = list(dict.fromkeys(labels))
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
