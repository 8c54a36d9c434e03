"""What Python project runners start (observed with uv, hatch 1.18, pdm 2.29 and poetry 2.5 under strace):

- `uv run CMD`, `pdm run CMD` and `poetry run CMD` exec CMD themselves, with the project's .venv/bin first
  on PATH (`python x.py` runs .venv/bin/python); uv runs `x.py` with python.
- `pdm run NAME` runs a `[tool.pdm.scripts]` entry: its command directly, or a `shell` one with `/bin/sh -c`.
- `tox -e ENV` and `nox -s NAME` run their commands directly with the env's bin directory first on PATH.
- When that environment does not exist yet, the runner creates it and installs the command's program there
  before running it: the program is predicted at its place in the env's bin directory (unknown until the env
  exists), never as whatever this machine's PATH finds under the same name.
- `hatch run CMD...` and `hatch run [ENV:]NAME` run every command through `/bin/sh -c` (shell=True), so on a
  Mac the shell strips DYLD_* before the benchmark starts, whatever the command. The environment's bin
  directory (under hatch's data directory) comes first on PATH; it is not known here, so the command's
  program is looked up on the PATH as it is.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from sipdoctor.chains.context import Context
from sipdoctor.chains.execchain import Followed
from sipdoctor.chains.spawn import Handler, Spawn
from sipdoctor.sources.pyproject_scripts import ScriptCommand, hatch_scripts, pdm_script, project_root
from sipdoctor.sources.tasks import nox_commands, runs_in, tox_commands, tox_env_names

UV_VALUE_FLAGS = {"--with", "--python", "-p", "--package", "--group", "--extra", "--env-file", "--directory",
                  "--project", "--with-requirements", "--index", "--index-url"}
PDM_VALUE_FLAGS = {"-p", "--project", "-v", "--venv"}
POETRY_VALUE_FLAGS = {"-C", "--directory", "-P", "--project"}
HATCH_VALUE_FLAGS = {"-e", "--env"}
SYSTEM_SHELL = "/bin/sh"  # subprocess's shell=True, which hatch uses


def _run_args(program: tuple[str, ...], value_flags: set[str]) -> list[str] | None:
    """The words after `TOOL [options] run [options]`, or None when it is not a `run`."""
    args = list(program[1:])
    while args and args[0] != "run":
        flag = args.pop(0)
        if not flag.startswith("-"):
            return None
        if flag in value_flags and args:
            args.pop(0)
    if not args:
        return None
    args = args[1:]
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in value_flags and args:
            args.pop(0)
    return args


def from_env(argv: tuple[str, ...], bin_dir: Path) -> tuple[tuple[str, ...], list[str]]:
    """A bare program name run in an environment that does not exist yet: the path it will have there."""
    if not argv or "/" in argv[0] or bin_dir.is_dir():
        return argv, []
    note = (f"{bin_dir.parent} does not exist yet: `{argv[0]}` is predicted at {bin_dir / argv[0]}, where the "
            "runner installs it (create the environment and check again to judge the program itself)")
    return (str(bin_dir / argv[0]), *argv[1:]), [note]


def _in_venv(followed: Followed) -> tuple[Context, Path]:
    ctx = followed.ctx
    assert ctx is not None
    root = project_root(ctx.cwd) or ctx.cwd
    return ctx.prepend_path([str(root / ".venv" / "bin")]), root


def _uv(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    return _exec_in_venv(program, followed, UV_VALUE_FLAGS, "uv run spawns it")


def _poetry(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    return _exec_in_venv(program, followed, POETRY_VALUE_FLAGS, "poetry run execs it")


def _exec_in_venv(program: tuple[str, ...], followed: Followed, value_flags: set[str], how: str
                  ) -> tuple[list[Spawn], list[str]]:
    args = _run_args(program, value_flags)
    if not args:
        return [], []
    child, root = _in_venv(followed)
    if program[0] == "uv" and args[0].endswith(".py"):
        args = ["python", *args]
    argv, notes = from_env(tuple(args), root / ".venv" / "bin")
    return [Spawn(child, f"{how} with the project's .venv/bin first on PATH", argv=argv)], notes


def _pdm(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    args = _run_args(program, PDM_VALUE_FLAGS)
    if not args:
        return [], []
    child, root = _in_venv(followed)
    commands, notes = pdm_script(root, args[0])
    if commands is None:
        argv, missing = from_env(tuple(args), root / ".venv" / "bin")
        return [Spawn(child, "pdm run execs it with the project's .venv/bin first on PATH", argv=argv)], [
            *notes, *missing]
    why = f"{root / 'pyproject.toml'} [tool.pdm.scripts] `{args[0]}`"
    return [_script_spawn(child, command, why, "pdm") for command in commands], notes


def _script_spawn(ctx: Context, command: ScriptCommand, why: str, tool: str) -> Spawn:
    if command.shell_line is not None:
        return Spawn(ctx, f"{why}: {tool} runs it with `{SYSTEM_SHELL} -c`",
                     argv=(SYSTEM_SHELL, "-c", command.shell_line))
    return Spawn(ctx, f"{why}: {tool} runs it directly", argv=command.argv)


def _hatch(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    args = _run_args(program, HATCH_VALUE_FLAGS)
    if not args:
        return [], []
    ctx = followed.ctx
    assert ctx is not None
    env, _, name = args[0].rpartition(":") if ":" in args[0] and "/" not in args[0] else ("", "", args[0])
    root = project_root(ctx.cwd)
    scripts, notes = hatch_scripts(root, env or _hatch_env(program)) if root else ({}, [])
    lines = _expand(scripts, [" ".join([name, *args[1:]])], set())
    why = f"hatch runs it with `{SYSTEM_SHELL} -c` (shell=True)"
    return [Spawn(ctx, why, argv=(SYSTEM_SHELL, "-c", line)) for line in lines], notes


def _hatch_env(program: tuple[str, ...]) -> str:
    args = list(program[1:])
    for flag, value in itertools.pairwise(args):
        if flag in HATCH_VALUE_FLAGS:
            return value
    return "default"


def _expand(scripts: dict[str, list[str]], lines: list[str], seen: set[str]) -> list[str]:
    """A line whose first word names a script becomes that script's lines (hatch: scripts may call scripts),
    the rest of the line appended to each."""
    out: list[str] = []
    for line in lines:
        first, _, rest = line.partition(" ")
        if first in scripts and first not in seen:
            expanded = [_with_args(cmd, rest) for cmd in scripts[first]]
            out += _expand(scripts, expanded, seen | {first})
        else:
            out.append(line)
    return out


HATCH_ARGS = re.compile(r"\{args(?::(?P<default>[^}]*))?\}")


def _with_args(command: str, args: str) -> str:
    """hatch puts the extra arguments where a script says `{args}` (`{args:DEFAULT}` when there are none),
    else after the command (hatch docs, "Context formatting")."""
    if HATCH_ARGS.search(command):
        return HATCH_ARGS.sub(lambda m: args or (m["default"] or ""), command).strip()
    return f"{command} {args}".rstrip()


def _tox(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`tox -e ENV[,ENV]` (or `tox run -e ...`): each `commands` line of [testenv:ENV] (else [testenv]),
    run directly with the env's bin directory (.tox/ENV/bin) first on PATH (tox docs, "commands")."""
    ctx = followed.ctx
    assert ctx is not None
    args = list(program[1:])
    envs = [e for flag, value in itertools.pairwise(args) if flag in ("-e", "--env") for e in value.split(",")]
    root = next((d for d in (ctx.cwd, *ctx.cwd.parents) if (d / "tox.ini").is_file()), None)
    if root is None or not envs:
        return [], [] if root is None else ["tox without -e runs its envlist: not predicted"]
    commands, problems = tox_commands(root / "tox.ini")
    notes = [p.note() for p in problems]
    out: list[Spawn] = []
    for env in envs:
        own = [c for c in commands if env in tox_env_names(c.name)]
        child = ctx.with_cwd(str(root)).prepend_path([str(root / ".tox" / env / "bin")])
        for command in (c for c in own or [c for c in commands if c.name == "testenv"] if runs_in(c, env)):
            argv, missing = from_env(command.argv or (), root / ".tox" / env / "bin")
            notes += missing
            out.append(Spawn(child, f"{command.file}:{command.line} [{command.name}]: tox runs it directly",
                             argv=argv))
    return out, notes


def _nox(program: tuple[str, ...], followed: Followed) -> tuple[list[Spawn], list[str]]:
    """`nox -s NAME`: each `session.run(...)` of that session, run directly with the session's virtualenv
    (.nox/NAME/bin) first on PATH."""
    ctx = followed.ctx
    assert ctx is not None
    args = list(program[1:])
    sessions = [v for flag, value in itertools.pairwise(args) if flag in ("-s", "--session", "--sessions")
                for v in value.split(",")]
    root = next((d for d in (ctx.cwd, *ctx.cwd.parents) if (d / "noxfile.py").is_file()), None)
    if root is None or not sessions:
        return [], [] if root is None else ["nox without -s runs every session: not predicted"]
    commands, problems = nox_commands(root / "noxfile.py")
    notes = [p.note() for p in problems]
    out: list[Spawn] = []
    for session in sessions:
        bin_dir = root / ".nox" / session / "bin"
        child = ctx.with_cwd(str(root)).prepend_path([str(bin_dir)])
        for c in (c for c in commands if c.name == session):
            argv, missing = from_env(c.argv or (), bin_dir)
            notes += missing
            out.append(Spawn(child, f"{c.file}:{c.line} session `{session}`: nox runs it directly", argv=argv))
    return out, notes


PYTHON_HANDLERS: dict[str, Handler] = {"uv": _uv, "pdm": _pdm, "poetry": _poetry, "hatch": _hatch, "tox": _tox,
                                       "nox": _nox}
