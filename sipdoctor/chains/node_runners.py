"""What Node.js task runners start, read from their source:

- concurrently runs each command argument as `/bin/sh -c COMMAND` (concurrently `src/spawn.ts`: `let file =
  '/bin/sh'`, an absolute path: no PATH lookup, so no `script-shell` or Homebrew bash replaces it). `npm:NAME`
  (also `pnpm:`, `yarn:`, `bun:`) stands for `npm run NAME`, and `npm:watch-*` for every script it matches.
- npm-run-all, run-s and run-p (npm-run-all2 `lib/run-task.js`) spawn the package manager directly (cross-spawn,
  no shell) with `run TASK` for each task: `node <its entry>` when `npm_execpath` names a JavaScript entry (the
  package manager running the current script sets it), else `npm` on PATH. A task pattern matches script names
  segment by segment (`:` separated; `*` one segment, `**` any number), in the order of package.json.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from sipdoctor.chains.context import Context
from sipdoctor.chains.execchain import Followed
from sipdoctor.chains.spawn import Handler, Spawn
from sipdoctor.sources.package_json import find_package_json, load_package_json

CONCURRENTLY_SHELL = "/bin/sh"
CONCURRENTLY_VALUE_FLAGS = {
    "-n", "--names", "-c", "--prefix-colors", "-p", "--prefix", "-s", "--success", "-t", "--timestamp-format",
    "-l", "--prefix-length", "--restart-tries", "--restart-after", "-m", "--max-processes", "--name-separator",
    "--default-input-target", "--hide", "--kill-signal", "--cwd", "--teardown", "-k-signal",
}
RUN_ALL_VALUE_FLAGS = {"--max-parallel", "--npm-path"}
MANAGER_PREFIXES = ("npm:", "pnpm:", "yarn:", "bun:")
ENTRY_NAMES = {"concurrently.js": "concurrently", "concurrently.mjs": "concurrently"}
"""Entry scripts that name their runner (a pnpm wrapper runs `node <entry>`, not the .bin name)."""


def entry_tool(script: str) -> str | None:
    """The runner a node entry script is: `.../concurrently/dist/bin/concurrently.js`, `.../run-s/index.js`."""
    name = os.path.basename(script)
    if name in ENTRY_NAMES:
        return ENTRY_NAMES[name]
    parent = os.path.basename(os.path.dirname(script))
    return parent if name == "index.js" and parent in ("npm-run-all", "run-s", "run-p") else None


def _concurrently(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    ctx = followed.ctx
    assert ctx is not None
    commands, notes = [], []
    for word in _positional(list(program[1:]), CONCURRENTLY_VALUE_FLAGS):
        prefix = next((p for p in MANAGER_PREFIXES if word.startswith(p)), None)
        if prefix is None:
            commands.append(word)
            continue
        manager, pattern = prefix[:-1], word[len(prefix):]
        names, note = _matching_scripts(ctx, pattern, star_any=True)
        commands += [f"{manager} run {name}" for name in names]
        notes += [note] if note else []
    why = f"concurrently runs it with `{CONCURRENTLY_SHELL} -c` (an absolute path: no PATH lookup)"
    return [Spawn(ctx, why, argv=(CONCURRENTLY_SHELL, "-c", c)) for c in commands], notes


def _run_all(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    ctx = followed.ctx
    assert ctx is not None
    manager = _manager(ctx)
    spawns, notes = [], []
    for task in _positional(list(program[1:]), RUN_ALL_VALUE_FLAGS):
        if not task.split():
            continue  # an empty task name runs nothing
        pattern, *args = task.split()
        names, note = _matching_scripts(ctx, pattern, star_any=False)
        notes += [note] if note else []
        spawns += [Spawn(ctx, f"{program[0]} spawns the package manager with `run {name}` directly (no shell)",
                         argv=(*manager, "run", name, *args)) for name in names]
    return spawns, notes


def _positional(args: list[str], value_flags: set[str]) -> Iterator[str]:
    while args:
        arg = args.pop(0)
        if arg == "--":
            return  # concurrently -P and npm-run-all pass what follows to the commands as {1}, {@}...
        if arg in value_flags and args:
            args.pop(0)
        elif not arg.startswith("-"):
            yield arg


def _matching_scripts(ctx: Context, pattern: str, star_any: bool) -> tuple[list[str], str | None]:
    """The package's scripts a task pattern names (the pattern itself when it has no wildcard)."""
    if "*" not in pattern:
        return [pattern], None
    found = find_package_json(ctx.cwd)
    if found is None:
        return [], f"no package.json in {ctx.cwd} or its parents: `{pattern}` matches no script"
    scripts = [s.name for s in load_package_json(found).scripts]  # its problems are the package's findings
    regex = _pattern(pattern, star_any)
    names = [n for n in scripts if regex.fullmatch(n)]
    return names, None if names else f"{found}: no script matches `{pattern}`"


def _pattern(pattern: str, star_any: bool) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    one = ".*" if star_any else "[^:]*"  # concurrently: any text; npm-run-all: one `:` segment
    return re.compile("".join(".*" if p == "**" else one if p == "*" else re.escape(p) for p in parts))


def _manager(ctx: Context) -> tuple[str, ...]:
    """How npm-run-all starts the package manager: `node <entry>` of the one the package uses, as
    `npm_execpath` names it, else `npm` by name."""
    found = find_package_json(ctx.cwd)
    manager = load_package_json(found).manager if found is not None else None
    name = manager if manager in ("npm", "pnpm", "yarn") else "npm"
    located = ctx.judge.resolve(name, ctx.path)
    if not located:
        return (name,)
    entry = ctx.judge.realpath(located[0])
    return ("node", entry) if entry.endswith((".js", ".cjs", ".mjs")) else (entry,)


NODE_HANDLERS: dict[str, Handler] = {"concurrently": _concurrently, "npm-run-all": _run_all, "run-s": _run_all,
                                     "run-p": _run_all}
NODE_TOOLS = frozenset(NODE_HANDLERS)
