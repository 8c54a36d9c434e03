"""What a program starts as child processes: shells running their script, package-manager scripts, make.

- npm, pnpm and yarn 1 run a package script as `sh -c SCRIPT` (`script-shell` from the environment or .npmrc
  replaces sh), with node_modules/.bin of the package and its parents first on PATH (@npmcli/run-script
  `make-spawn-args.js`, pnpm `@pnpm/npm-lifecycle`); npm also runs `preX` and `postX`. `npx`/`npm exec` run
  the command through the same `sh -c`; `pnpm exec` spawns it directly, and so does `pnpm NAME` when the
  package has no script NAME.
- yarn 2+ runs scripts in its own in-process shell (@yarnpkg/shell): no /bin/sh; a dependency's binary runs
  as `node <its entry>`. bun runs them with the first `bash` on PATH, or in its own shell (`_bun`).
- make runs a recipe line directly when it has no shell metacharacters and the shell is Bourne-like, else
  `$(SHELL) $(.SHELLFLAGS) LINE` with SHELL defaulting to /bin/sh and .SHELLFLAGS to `-c` (GNU make job.c,
  construct_command_argv_internal); under `.ONESHELL` the whole recipe is one such LINE. macOS's own make is GNU
  make 3.81, which has neither `.ONESHELL` nor `.SHELLFLAGS` (both came in 3.82; docs/macos-facts.md#make).
- Workspace options (`pnpm -r`, `--filter`, `npm -w`, `yarn workspace NAME`): the command in each package they
  choose (sipdoctor.chains.workspace_args).
- Python project runners (uv, pdm, poetry, hatch): sipdoctor.chains.python_runners; Node.js task runners
  (concurrently, npm-run-all, run-s, run-p): sipdoctor.chains.node_runners.
- just runs each line of a recipe (and of its dependencies, first) with `sh -cu` or the justfile's
  `set shell`, and a shebang or [script] recipe with its interpreter (sipdoctor.sources.justfile).
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sipdoctor.chains.context import Context
from sipdoctor.chains.execchain import Followed
from sipdoctor.chains.node_runners import NODE_HANDLERS, NODE_TOOLS, entry_tool
from sipdoctor.chains.python_runners import PYTHON_HANDLERS
from sipdoctor.chains.shell import shell_invocation
from sipdoctor.chains.shims import SHELLS
from sipdoctor.chains.spawn import Handler, Spawn
from sipdoctor.chains.workspace_args import WorkspaceRun, workspace_run
from sipdoctor.macos_paths import shipped_binary
from sipdoctor.sources.files import Unreadable, read_text
from sipdoctor.sources.justfile import find_justfile, parse_justfile, script_body
from sipdoctor.sources.makefile import MAKEFILE_NAMES, MAX_FOLLOWED_TARGETS, load_makefile
from sipdoctor.sources.package_json import (
    bunfig_shell,
    find_package_json,
    load_package_json,
    npmrc_setting,
    pnpm_shell_emulator,
    script_shell_setting,
)

SCRIPT_FILE_BYTES = 65536
MAKE_SH_CHARS = set("#;\"*?[]&|<>(){}$`^~!'\\\n")
MAKE_SH_WORDS = {"case", "do", "done", "elif", "else", "esac", "eval", "exec", "exit", "export", "fi", "for",
                 "if", "in", "read", "readonly", "set", "shift", "then", "trap", "until", "while", "cd", ".",
                 ":", "break", "continue", "return", "umask", "unset", "wait", "test", "["}
"""GNU make job.c sh_chars and sh_cmds: a line with any of these goes through the shell."""
MAKE_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "rksh", "zsh", "ash"})
"""GNU make job.c is_bourne_compatible_shell."""
KNOWN_WITHOUT_INSTALL = frozenset({"npm", "npx", "pnpm", "pnpx", "yarn", "bun", "hatch", "just", "make", "gmake",
                                   "tox", "nox", *NODE_TOOLS, "timeout", "gtimeout"})
"""Launchers whose children are known without their install (module docstring, docs/machines.md "Launchers")."""
NODE_SCRIPTS = {"npm-cli.js": "npm", "npx-cli.js": "npx", "pnpm.cjs": "pnpm", "pnpm.mjs": "pnpm",
                "pnpx.cjs": "pnpx", "yarn.js": "yarn", "yarn.cjs": "yarn"}


def spawns(followed: Followed) -> tuple[list[Spawn], list[str]]:
    """The children of a followed command, and notes on what could not be predicted.

    A launcher in KNOWN_WITHOUT_INSTALL that is not on the machine's PATH still gets its children: how it runs
    a script does not depend on how it was installed."""
    if not followed.hops or followed.ctx is None:
        return [], []
    if not followed.hops[-1].path:
        if followed.program[:1] and followed.program[0] in KNOWN_WITHOUT_INSTALL:
            return HANDLERS[followed.program[0]](followed.program, followed)
        return [], []
    program = _program(followed.program, followed.ctx)
    handler = HANDLERS.get(program[0]) if program else None
    if handler is not None:
        return handler(program, followed)
    last = followed.hops[-1]
    if last.name in SHELLS:
        return _shell(tuple(last.argv), followed.ctx)
    return [], []


def _program(program: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    """`node .../npm-cli.js run x` is npm: name the tool a node script is (its link resolved on the machine)."""
    if len(program) > 1 and program[0] == "node":
        name = os.path.basename(program[1])
        real = ctx.judge.realpath(program[1])
        tool = NODE_SCRIPTS.get(os.path.basename(real)) or entry_tool(real)
        tool = tool or (name if name in HANDLERS else None)
        if tool is not None:
            return (tool, *program[2:])
    return program


def _shell(argv: tuple[str, ...], ctx: Context) -> tuple[list[Spawn], list[str]]:
    command, args = shell_invocation(argv)
    if command and args:
        return [Spawn(ctx, f"{os.path.basename(argv[0])} -c runs it", inline_script=args[0])], []
    if args and ctx.judge.is_file(args[0]):
        if not ctx.machine.is_host and not ctx.machine.is_shared(args[0]):  # the text the judged machine has
            text = ctx.judge.read_text(args[0], SCRIPT_FILE_BYTES)
            return [Spawn(ctx, f"line of {args[0]}", inline_script=_drop_shebang(text))], []
        try:
            text = read_text(args[0], SCRIPT_FILE_BYTES)
        except Unreadable as exc:
            return [], [str(exc)]
        return [Spawn(ctx, f"line of {args[0]}", inline_script=_drop_shebang(text))], []
    return [], []


def _drop_shebang(text: str) -> str:
    return text.split("\n", 1)[1] if text.startswith("#!") else text


def bin_dirs(package_dir: Path) -> list[str]:
    return [str(d / "node_modules" / ".bin") for d in (package_dir, *package_dir.parents)]


def _script_shell(ctx: Context, package_dir: Path, tool: str, version: str | None = None) -> tuple[str, str]:
    manager = "pnpm" if tool in ("pnpm", "pnpx") else tool
    setting = script_shell_setting(manager, version, package_dir, dict(ctx.env))
    return setting if setting is not None else ("sh", "the default")


def _run_script(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    tool, args = program[0], list(program[1:])
    ctx = followed.ctx
    assert ctx is not None
    selected = workspace_run(tool, list(args), ctx.cwd)
    if selected is not None:
        return _in_packages(tool, selected, followed)
    name, extra = _script_name(tool, args)
    if name is None:
        return _exec_like(tool, args, followed)
    found = find_package_json(ctx.cwd)
    if found is None:
        return [], [f"{tool} {name}: no package.json in {ctx.cwd} or its parents"]
    package = load_package_json(found)
    notes = [p.note() for p in package.problems]
    names = [n for n in (f"pre{name}", name, f"post{name}") if package.script(n)]
    if tool == "pnpm" and npmrc_setting("enable-pre-post-scripts", found.parent, dict(ctx.env)) is None:
        names = [name] if package.script(name) else []
    if not names:
        if tool == "pnpm" and _pnpm_fallback(args, name):
            child = ctx.prepend_path(bin_dirs(found.parent))
            return [Spawn(child, f"pnpm has no script `{name}`: as `pnpm exec`, it spawns `{name}` directly",
                          argv=tuple(args[args.index(name):]))], notes
        return [], [*notes, f"{found} has no script `{name}`"]
    child_ctx = ctx.prepend_path(bin_dirs(found.parent)).with_cwd(str(found.parent))
    if tool == "yarn" and package.yarn_berry:
        return [Spawn(child_ctx, f"yarn 2+ runs script `{n}` in its in-process shell",
                      inline_script=_with_args(package.script(n), n == name, extra))
                for n in names], notes
    emulator = pnpm_shell_emulator(package.manager_version if package.manager == "pnpm" else None, found.parent,
                                   dict(ctx.env)) if tool == "pnpm" else None
    if emulator is not None:
        return [Spawn(child_ctx, f"pnpm runs script `{n}` in its shell emulator (shellEmulator: {emulator})",
                      inline_script=_with_args(package.script(n), n == name, extra))
                for n in names], notes
    version = package.manager_version if package.manager == tool else None
    shell, where = _script_shell(ctx, found.parent, tool, version)
    return [Spawn(child_ctx, f"{tool} runs script `{n}` with `{shell} -c` (script-shell: {where})",
                  argv=(shell, "-c", _with_args(package.script(n), n == name, extra)))
            for n in names], notes


def _in_packages(tool: str, run: WorkspaceRun, followed: Followed) -> tuple[list[Spawn], list[str]]:
    """The command in each package the workspace options chose, as if started there; a package without the
    script is skipped, as `pnpm -r` and `npm --workspaces` do."""
    ctx = followed.ctx
    assert ctx is not None
    spawns, notes = [], list(run.notes)
    args = run.args
    if args and not args[0].startswith("-") and args[0] not in (*PM_COMMANDS, "run", "run-script", "test"):
        args = ["run", *args]  # `pnpm -r NAME` runs the script where there is one, never NAME as a program
    for directory in run.directories:
        found, said = _run_script((tool, *args), replace(followed, ctx=ctx.with_cwd(str(directory))))
        spawns += found
        notes += [n for n in said if "has no script" not in n]
    return spawns, notes


def _with_args(script: object, main: bool, extra: list[str]) -> str:
    command = getattr(script, "command", "")
    return " ".join([command, *extra]) if main and extra else str(command)


def _script_name(tool: str, args: list[str]) -> tuple[str | None, list[str]]:
    words = [a for a in args if a != "--"]
    if not words:
        return None, []
    if words[0] in ("run", "run-script", "rum", "urn") and len(words) > 1:
        return words[1], words[2:]
    if words[0] in ("test", "start", "stop", "restart", "t", "tst"):
        return {"t": "test", "tst": "test"}.get(words[0], words[0]), words[1:]
    if tool in ("pnpm", "yarn") and not words[0].startswith("-") and words[0] not in PM_COMMANDS:
        return words[0], words[1:]
    return None, words


def _pnpm_fallback(args: list[str], name: str) -> bool:
    """`pnpm NAME` (not `pnpm run NAME`) with no script NAME runs NAME as `pnpm exec` would (pnpm
    `@pnpm/plugin-commands-script-runners` run.ts: `if (opts.fallbackCommandUsed) return exec(...)`)."""
    words = [a for a in args if a != "--"]
    return bool(words) and words[0] == name and name not in ("test", "start", "stop", "restart")


PM_COMMANDS = {"install", "i", "add", "remove", "rm", "update", "up", "exec", "dlx", "x", "why", "list", "ls",
               "outdated", "publish", "pack", "link", "unlink", "init", "create", "config", "store", "bin",
               "info", "view", "audit", "dedupe", "prune", "rebuild", "patch", "import", "setup", "env", "node"}


def _exec_like(tool: str, args: list[str], followed: Followed) -> tuple[list[Spawn], list[str]]:
    ctx = followed.ctx
    assert ctx is not None
    words = [a for a in args if a != "--"]
    if tool in ("npx", "pnpx") or (tool == "npm" and words[:1] in (["exec"], ["x"])):
        command = words[1:] if tool == "npm" else words
        command = [w for w in command if not w.startswith("-")][:1] + command[1:] if command else []
        if not command:
            return [], []
        package_dir = _package_dir(ctx)
        shell, where = _script_shell(ctx, package_dir, tool)
        child = ctx.prepend_path(bin_dirs(package_dir))
        return [Spawn(child, f"{tool} runs the command with `{shell} -c` (script-shell: {where})",
                      argv=(shell, "-c", " ".join(command)))], []
    if tool == "pnpm" and words[:1] in (["exec"], ["dlx"]) and len(words) > 1:
        child = ctx.prepend_path(bin_dirs(_package_dir(ctx)))
        return [Spawn(child, f"pnpm {words[0]} spawns the command directly", argv=tuple(words[1:]))], []
    return [], []


def _bun(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`bun run NAME` (observed with bun 1.4.5 under strace): the package script runs with the first `bash`
    on PATH (`bash -c SCRIPT`, /bin/bash on a Mac), or, with `--shell=bun` or bunfig.toml's `[run] shell =
    "bun"`, in bun's own in-process shell, which starts each command directly. `bun FILE` runs the file in
    bun itself: no child."""
    ctx = followed.ctx
    assert ctx is not None
    flags = [a for a in program[1:] if a.startswith("-")]
    words = [a for a in program[1:] if not a.startswith("-")]
    words = words[1:] if words[:1] == ["run"] else words
    found = find_package_json(ctx.cwd)
    package = load_package_json(found) if found is not None and words else None
    if package is None or found is None or not package.script(words[0]):
        return [], []
    notes = [p.note() for p in package.problems]
    name, command = words[0], _with_args(package.script(words[0]), True, words[1:])
    child_ctx = ctx.prepend_path(bin_dirs(found.parent)).with_cwd(str(found.parent))
    configured, problem = bunfig_shell(found.parent)
    notes += [problem.note()] if problem else []
    shell = next((f.split("=", 1)[1] for f in flags if f.startswith("--shell=")), None) or configured
    if shell == "bun":
        return [Spawn(child_ctx, f"bun runs script `{name}` in its own shell", inline_script=command)], notes
    return [Spawn(child_ctx, f"bun runs script `{name}` with `bash -c` (the first bash on PATH)",
                  argv=("bash", "-c", command))], notes


def _package_dir(ctx: Context) -> Path:
    found = find_package_json(ctx.cwd)
    return found.parent if found is not None else ctx.cwd


def _make(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    ctx = followed.ctx
    assert ctx is not None
    directory, file, goals, overrides = _make_args(list(program[1:]), ctx)
    path = ctx.judge.once(("makefile-path", str(directory), file or ""),
                          lambda: _makefile_path(directory, file, ctx.judge.exists))
    if path is None:
        return [], [f"make: no makefile in {directory}"]
    try:
        makefile = load_makefile(str(path))  # by the file's identity: the fix plan edits it between rounds
    except Unreadable as exc:
        return [], [f"{path}: {exc}"]
    notes = [p.note() for p in makefile.problems]
    goal_list = goals or ([makefile.default_goal] if makefile.default_goal else [])
    shell = overrides.get("SHELL") or makefile.shell or "/bin/sh"
    flags = _shell_words(makefile.shell_flags(overrides))
    one_shell = makefile.one_shell
    if ctx.target == "macos" and _apple_make(followed):
        if one_shell or ".SHELLFLAGS" in {**makefile.variables, **overrides}:
            notes.append(f"{path}: macOS's make is GNU make 3.81, which ignores .ONESHELL and .SHELLFLAGS: each "
                         f"recipe line runs on its own, as `{shell} -c` when it needs a shell")
        flags, one_shell = ("-c",), False
    child_ctx = ctx.with_cwd(str(directory)).evolve(make_goal_only=False)
    out: list[Spawn] = []
    for goal in goal_list:
        if goal not in makefile.rules:
            notes.append(f"{path}: no target `{goal}`")
        lines, truncated = makefile.recipe_plan(goal, 1 if ctx.make_goal_only else MAX_FOLLOWED_TARGETS)
        if truncated and not ctx.make_goal_only:
            notes.append(f"{path}: `make {goal}` has more than {MAX_FOLLOWED_TARGETS} targets to run; the recipes "
                         f"of the prerequisites beyond those were not predicted")
        recipes: dict[str, list[tuple[int, str]]] = {}
        for target, line in lines:
            recipes.setdefault(target, []).append((line.line, makefile.expand(line.text, target, overrides)))
        for target, texts in recipes.items():
            where = f"{path}:{texts[0][0]} recipe of `{target}`"
            if one_shell:
                out.extend(_recipe_spawn(_one_shell_script([t for _, t in texts], shell), shell, flags, child_ctx,
                                         f"{where}: one shell for the whole recipe (.ONESHELL)"))
                continue
            for number, text in texts:
                out.extend(_recipe_spawn(text.lstrip("@-+ \t"), shell, flags, child_ctx,
                                         f"{path}:{number} recipe of `{target}`"))
    return out, notes


def _apple_make(followed: Followed) -> bool:
    """macOS's own make: the /usr/bin stub, or the Command Line Tools' or Xcode's make behind it."""
    paths = [p for hop in followed.hops for p in (hop.path, hop.via) if p]
    return any(os.path.basename(p) in ("make", "gnumake") and (shipped_binary(p) is not None or "/Developer/" in p)
               for p in paths)


def _one_shell_script(lines: list[str], shell: str) -> str:
    """The recipe as GNU make hands it to one shell under .ONESHELL: the lines joined with newlines, the first
    line's prefix characters (`@`, `-`, `+`) taken as make's; a POSIX shell's later lines lose theirs too
    (GNU make manual, "Using One Shell"; job.c construct_command_argv_internal)."""
    posix = os.path.basename(shell) in MAKE_POSIX_SHELLS
    rest = [line.lstrip("@-+ \t") if posix else line for line in lines[1:]]
    return "\n".join([lines[0].lstrip("@-+ \t"), *rest]).strip("\n")


@functools.lru_cache(maxsize=64)
def _shell_words(flags: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(flags))
    except ValueError:
        return tuple(flags.split())


def _recipe_spawn(text: str, shell: str, flags: tuple[str, ...], ctx: Context, where: str) -> list[Spawn]:
    """make starts nothing for an empty line, runs a simple one directly, and the rest with `$(SHELL)
    $(.SHELLFLAGS) TEXT` (GNU make job.c: the direct path needs a POSIX shell and `-c` or `-ec`)."""
    words = text.split()
    if not words:
        return []
    direct = os.path.basename(shell) in SHELLS and flags in (("-c",), ("-ec",))
    if direct and not (set(text) & MAKE_SH_CHARS) and words[0] not in MAKE_SH_WORDS:
        return [Spawn(ctx, f"{where}: make runs it directly (no shell metacharacters)", argv=tuple(words))]
    return [Spawn(ctx, f"{where}: make runs it with `{shlex.join((shell, *flags))}`", argv=(shell, *flags, text))]


def _make_args(args: list[str], ctx: Context) -> tuple[Path, str | None, list[str], dict[str, str]]:
    directory, file, goals, overrides = ctx.cwd, None, [], {}
    while args:
        arg = args.pop(0)
        if arg in ("-C", "--directory") and args:
            directory = directory / args.pop(0)
        elif arg in ("-f", "--file", "--makefile") and args:
            file = args.pop(0)
        elif arg.startswith("-"):
            continue
        elif "=" in arg:
            name, _, value = arg.partition("=")
            overrides[name] = value
        else:
            goals.append(arg)
    return directory, file, goals, overrides


def _makefile_path(directory: Path, file: str | None, exists: Callable[[str], bool]) -> Path | None:
    if file is not None:
        return directory / file
    folder = str(directory)
    found = next((n for n in MAKEFILE_NAMES if exists(os.path.join(folder, n))), None)
    return directory / found if found else None


def _just(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`just [RECIPE]`: each line of the recipe and its dependencies in the justfile's shell, in the
    justfile's directory (sipdoctor.sources.justfile)."""
    ctx = followed.ctx
    assert ctx is not None
    file, shell, words = _just_args(list(program[1:]))
    path = ctx.cwd / file if file else find_justfile(ctx.cwd)
    if path is None:
        return [], [f"just: no justfile in {ctx.cwd} or its parents"]
    try:
        justfile = parse_justfile(str(path), read_text(str(path), whole=True))
    except Unreadable as exc:
        return [], [f"{path}: {exc}"]
    notes = [p.note() for p in justfile.problems]
    names, unknown = justfile.invoked([w for w in words if "=" not in w])  # NAME=VALUE overrides a variable
    notes += [f"{path}: no recipe `{name}`" for name in unknown] or ([] if names else [f"{path}: no recipes"])
    child_ctx = ctx.with_cwd(str(path.parent))
    out: list[Spawn] = []
    for recipe in justfile.run_order(*names):
        where = f"{path}:{recipe.line} recipe `{recipe.name}`"
        if recipe.script is not None:
            script = script_body(recipe.name)
            out.append(Spawn(child_ctx, f"{where}: just runs its body as a script with `{shlex.join(recipe.script)}`",
                             argv=(*recipe.script, script)))
            continue
        for number, text in recipe.body:
            argv = (*(shell or justfile.shell), text)
            out.append(Spawn(child_ctx, f"{path}:{number} recipe `{recipe.name}`: just runs it with "
                                        f"`{shlex.join(argv[:-1])}`", argv=argv))
    return out, notes


def _just_args(args: list[str]) -> tuple[str | None, tuple[str, ...] | None, list[str]]:
    """(--justfile, --shell and its --shell-args, the words after the options)."""
    file, shell, shell_args, words = None, None, [], []
    while args:
        arg = args.pop(0)
        if arg in ("-f", "--justfile") and args:
            file = args.pop(0)
        elif arg == "--shell" and args:
            shell = args.pop(0)
        elif arg == "--shell-arg" and args:
            shell_args.append(args.pop(0))
        elif arg in ("-d", "--working-directory", "--set", "--dotenv-filename", "--dotenv-path") and args:
            args = args[2:] if arg == "--set" else args[1:]
        elif not arg.startswith("-"):
            words.append(arg)
    return file, (shell, *(shell_args or ["-cu"])) if shell else None, words


WRAPPER_VALUE_FLAGS = {
    "nice": {"-n", "--adjustment"}, "nohup": set(), "caffeinate": {"-t", "-w"}, "time": {"-f", "-o", "--format",
    "--output"}, "timeout": {"-s", "-k", "--signal", "--kill-after"}, "gtimeout": {"-s", "-k", "--signal",
    "--kill-after"}, "xargs": {"-n", "-L", "-I", "-P", "-s", "-d", "-E", "-a", "-J", "-R", "-S"},
}
"""Programs that run the command their arguments name (time(1), nice(1), nohup(1), caffeinate(8), timeout(1),
xargs(1)), and their options that take a value."""


def _wrapper(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`nice -n 5 CMD`, `/usr/bin/time CMD`, `xargs -n1 CMD`...: CMD runs below the wrapper, with its environment
    (nice and nohup exec it, time, timeout, caffeinate and xargs start it: both are the same for the variable)."""
    ctx = followed.ctx
    assert ctx is not None
    tool, args = program[0], list(program[1:])
    value_flags = WRAPPER_VALUE_FLAGS[tool]
    while args and args[0].startswith("-") and args[0] != "-":
        flag = args.pop(0)
        if flag == "--":
            break
        if flag in value_flags and args:
            args.pop(0)
    if tool in ("timeout", "gtimeout") and args:
        args.pop(0)  # the duration
    if not args and tool == "xargs":
        args = ["echo"]
    return ([Spawn(ctx, f"{tool} runs `{args[0]}`", argv=tuple(args))] if args else []), []


HANDLERS: dict[str, Handler] = {
    "npm": _run_script, "pnpm": _run_script, "yarn": _run_script, "npx": _run_script, "pnpx": _run_script,
    "make": _make, "gmake": _make, "gnumake": _make, "just": _just, "bun": _bun, **PYTHON_HANDLERS,
    **NODE_HANDLERS, **{name: _wrapper for name in WRAPPER_VALUE_FLAGS},
}
