"""What Node.js task runners start, read from their source:

- concurrently runs each command argument as `/bin/sh -c COMMAND` (concurrently `src/spawn.ts`: `let file =
  '/bin/sh'`, an absolute path: no PATH lookup, so no `script-shell` or Homebrew bash replaces it). `npm:NAME`
  (also `pnpm:`, `yarn:`, `bun:`) stands for `npm run NAME`, and `npm:watch-*` for every script it matches.
- npm-run-all, run-s and run-p (npm-run-all2 `lib/run-task.js`) spawn the package manager directly (cross-spawn,
  no shell) with `run TASK` for each task: `node <its entry>` when `npm_execpath` names a JavaScript entry (the
  package manager running the current script sets it), else `npm` on PATH. A task pattern matches script names
  segment by segment (`:` separated; `*` one segment, `**` any number), in the order of package.json.
- turbo runs `<package manager> run TASK` (found on PATH) in each workspace package that has the script, after
  clearing the environment and refilling it (turborepo `task_graph/visitor/command.rs`): in strict env mode, the
  default since 2.0, only the variables turbo.json names pass (sipdoctor.sources.workspaces), so the profiler's
  variable, and any saved copy a profiler would re-arm from, is gone below it unless `--env-mode=loose`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from sipdoctor.chains.context import Context
from sipdoctor.chains.execchain import Followed
from sipdoctor.chains.spawn import Handler, Spawn
from sipdoctor.sources.package_json import find_package_json, load_package_json
from sipdoctor.sources.workspaces import find_turbo_root, load_turbo_config, select_packages, workspace_packages

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
    why = f"concurrently runs it with `{CONCURRENTLY_SHELL} -c`, by absolute path"
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


TURBO_VALUE_FLAGS = {"--filter", "-F", "--env-mode", "--concurrency", "--cache-dir", "--output-logs",
                     "--log-order", "--graph", "--profile", "--anon-profile", "--cache", "--ui", "--log-prefix",
                     "--cwd", "--token", "--team", "--api", "--heap", "--trace", "--remote-cache-timeout"}
TURBO_COMMANDS = {"prune", "login", "logout", "link", "unlink", "gen", "generate", "daemon", "ls", "query", "info",
                  "telemetry", "bin", "completion", "scan", "config", "boundaries", "devtools", "watch", "docs"}
INJECTION_VARIABLE = {"macos": "DYLD_INSERT_LIBRARIES", "linux": "LD_PRELOAD"}


def _turbo(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`turbo run TASK...` (or `turbo TASK`): `<package manager> run TASK` in each workspace package that has
    the script (turborepo `task_graph/visitor/command.rs`: `which(package_manager)`, `current_dir(package)`, the
    environment cleared and refilled), with the variables its env mode lets through."""
    ctx = followed.ctx
    assert ctx is not None
    tasks, options, extra = _turbo_args(list(program[1:]))
    root = find_turbo_root(ctx.cwd)
    if not tasks or root is None:
        return [], [] if root is not None or not tasks else [f"turbo: no turbo.json in {ctx.cwd} or its parents"]
    config = load_turbo_config(root)
    notes = [p.note() for p in config.problems]
    directories = ctx.judge.once(("workspace-packages", str(root)), lambda: workspace_packages(root))
    chosen, note = select_packages(root, directories, options.get("filter", []))
    packages = [(d, load_package_json(d / "package.json")) for d in chosen]  # read again: the plan edits them
    notes += [note] if note else []
    manager = load_package_json(root / "package.json").manager if (root / "package.json").is_file() else "npm"
    variable = INJECTION_VARIABLE.get(ctx.target, "LD_PRELOAD")
    mode = options.get("env-mode", [config.env_mode or "strict"])[-1]
    spawns = []
    for task in tasks:
        filtered = None if mode == "loose" or config.passes(variable, task) else (
            f"turbo's strict env mode (the default) passes a task only the variables {config.file} names; "
            f"{variable} is not one of them (`--env-mode=loose` passes them all)")
        for directory, package in packages:
            script = package.script(task)
            if script is None or not script.command:  # turbo skips a package without the script (or empty)
                continue
            spawns.append(Spawn(ctx.with_cwd(str(directory)), f"turbo runs task `{task}` of {directory.name} "
                                f"with `{manager} run {task}`", argv=(manager, "run", task, *extra),
                                filtered_by=filtered))
    return spawns, notes


def _turbo_args(args: list[str]) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """(tasks, options by name without dashes, the arguments after `--`)."""
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    options: dict[str, list[str]] = {}
    words = []
    while args:
        arg = args.pop(0)
        name, has_value, value = arg.partition("=")
        if arg.startswith("-") and (has_value or name in TURBO_VALUE_FLAGS):
            if not has_value and args:
                value = args.pop(0)
            options.setdefault({"-F": "filter"}.get(name, name.lstrip("-")), []).append(value)
        elif not arg.startswith("-"):
            words.append(arg)
    if words[:1] == ["run"]:
        return words[1:], options, extra
    return ([] if not words or words[0] in TURBO_COMMANDS else words), options, extra


NODE_HANDLERS: dict[str, Handler] = {"concurrently": _concurrently, "npm-run-all": _run_all, "run-s": _run_all,
                                     "run-p": _run_all, "turbo": _turbo}
NODE_TOOLS = frozenset(NODE_HANDLERS)
