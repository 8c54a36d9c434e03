"""Commands from tox.ini, noxfile.py and justfile, with the file and line each comes from.

tox runs each `commands` line directly (no shell) with the env's bin directory first on PATH (tox docs,
"commands"); nox's `session.run("a", "b")` runs argv directly; just runs each recipe line with its shell,
`sh -cu` by default (sipdoctor.sources.justfile).
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from sipdoctor.sources.files import Problem, Unreadable, read_text
from sipdoctor.sources.justfile import parse_justfile, script_body


@dataclass(frozen=True)
class TaskCommand:
    source: str
    file: str
    line: int | None
    name: str
    command: str
    argv: tuple[str, ...] | None = None
    """Set when the tool runs the command without a shell."""
    shell: tuple[str, ...] | None = None
    """Set when the tool runs the line with this shell argv (the line goes last)."""
    factors: tuple[str, ...] = ()
    """tox: the `FACTORS:` condition of the line (it runs only in envs that have them); empty: always."""


def tox_commands(path: Path) -> tuple[list[TaskCommand], list[Problem]]:
    """Each `commands` line of each [testenv...] section, as tox reads it: a line ending in `\\` goes on with
    the next, `{posargs:DEFAULT}` is DEFAULT (`{posargs}` nothing), `{toxinidir}` the project, and a line
    `FACTORS: COMMAND` runs only in the envs whose name has those factors (TaskCommand.factors)."""
    try:
        text = read_text(str(path), whole=True)
    except Unreadable as exc:
        return [], [exc.problem]
    out, section, collecting, pending, start = [], "", False, "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.startswith("[") and not pending:
            section, collecting = line.strip("[] "), False
            continue
        if section.startswith("testenv") and re.match(r"^commands\s*=", line):
            collecting, line = True, line.split("=", 1)[1]
        elif collecting and not raw[:1].isspace() and not pending:
            collecting = False
        if not collecting or not (line.strip() or pending):
            continue
        start = start if pending else number
        pending += line.strip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            out.extend(_tox_command(str(path), start, section, pending.strip()))
            pending = ""
    return out, []


TOX_FACTORS = re.compile(r"^(?P<factors>[\w.!,-]+):\s+(?P<command>.*)$")
TOX_POSARGS = re.compile(r"\{posargs(?::(?P<default>[^}]*))?\}|\[\]")


def _tox_command(path: str, line: int, section: str, text: str) -> list[TaskCommand]:
    factors: tuple[str, ...] = ()
    conditional = TOX_FACTORS.match(text)
    if conditional is not None:
        factors, text = tuple(conditional.group("factors").split(",")), conditional.group("command")
    command = TOX_POSARGS.sub(lambda m: m.group("default") or "", text).replace("{toxinidir}", ".").strip()
    if not command:
        return []
    try:
        argv = tuple(shlex.split(command))
    except ValueError:
        argv = tuple(command.split())
    return [TaskCommand("tox.ini", path, line, section, command, argv=argv, factors=factors)]


def tox_env_names(section: str) -> list[str]:
    """The envs a [testenv:...] section defines: `lint-{ruff,pre-commit}` is lint-ruff and lint-pre-commit."""
    name = section.split(":", 1)[1].strip() if ":" in section else ""
    names = [""]
    for piece in re.split(r"(\{[^}]*\})", name):
        options = piece[1:-1].split(",") if piece.startswith("{") else [piece]
        names = [n + option.strip() for n in names for option in options]
    return [n for n in names if n]


def runs_in(command: TaskCommand, env: str) -> bool:
    """A `FACTORS:` condition holds for the env `env` (its factors are the parts of its name between `-`):
    `a,b:` any of them, `!a:` not a (tox's "Conditional settings")."""
    if not command.factors:
        return True
    have = set(env.split("-"))
    return any((f[1:] not in have) if f.startswith("!") else all(p in have for p in f.split("-"))
               for f in command.factors)


def nox_commands(path: Path) -> tuple[list[TaskCommand], list[Problem]]:
    """Each `session.run(...)` of each session, including those in helper functions the session calls (a
    noxfile's own functions, followed a few calls deep); arguments that are not literals are left out."""
    try:
        tree = ast.parse(read_text(str(path), whole=True), str(path))
    except Unreadable as exc:
        return [], [exc.problem]
    except SyntaxError as exc:
        return [], [Problem(str(path), exc.lineno, f"Python syntax error: {exc.msg}")]
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    out = []
    for function in functions.values():
        name = _session_name(function)
        if name is None:
            continue
        for call in _runs(function, functions, depth=0, seen=frozenset()):
            words = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if words:
                out.append(TaskCommand("noxfile.py", str(path), call.lineno, name, " ".join(words), argv=tuple(words)))
    return out, []


def _session_name(function: ast.FunctionDef) -> str | None:
    """The session's name: `name=` of its @nox.session(...) decorator, else the function's; None when the
    function is not a session (a helper)."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "session":
            keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
            named = next((k.value.value for k in keywords if k.arg == "name" and isinstance(k.value, ast.Constant)
                          and isinstance(k.value.value, str)), None)
            return named or function.name
    return None


def _runs(function: ast.FunctionDef, functions: dict[str, ast.FunctionDef], depth: int,
          seen: frozenset[str]) -> list[ast.Call]:
    out: list[ast.Call] = []
    for call in sorted((n for n in ast.walk(function) if isinstance(n, ast.Call)), key=lambda c: c.lineno):
        target = call.func
        if isinstance(target, ast.Attribute) and target.attr in ("run", "run_always"):
            out.append(call)
        elif isinstance(target, ast.Name) and target.id in functions and target.id not in seen and depth < 4:
            out += _runs(functions[target.id], functions, depth + 1, seen | {function.name})
    return out


def just_commands(path: Path) -> tuple[list[TaskCommand], list[Problem]]:
    """Each line of a linewise recipe with the justfile's shell; a script recipe as its interpreter."""
    try:
        justfile = parse_justfile(str(path), read_text(str(path), whole=True))
    except Unreadable as exc:
        return [], [exc.problem]
    out = []
    for recipe in justfile.recipes.values():
        if recipe.script is not None:
            command = "\n".join(text for _, text in recipe.body)
            out.append(TaskCommand("justfile", str(path), recipe.line, recipe.name, command,
                                   argv=(*recipe.script, script_body(recipe.name))))
            continue
        out.extend(TaskCommand("justfile", str(path), number, recipe.name, text, shell=justfile.shell)
                   for number, text in recipe.body)
    return out, justfile.problems
