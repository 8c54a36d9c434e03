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


def tox_commands(path: Path) -> tuple[list[TaskCommand], list[Problem]]:
    try:
        text = read_text(str(path), whole=True)
    except Unreadable as exc:
        return [], [exc.problem]
    out, section, collecting = [], "", False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.startswith("["):
            section, collecting = line.strip("[] "), False
            continue
        if section.startswith("testenv") and re.match(r"^commands\s*=", line):
            collecting, line = True, line.split("=", 1)[1]
        elif collecting and not raw[:1].isspace():
            collecting = False
        if collecting and line.strip():
            command = line.strip().rstrip("\\").strip()
            try:
                argv = tuple(shlex.split(command))
            except ValueError:
                argv = tuple(command.split())
            out.append(TaskCommand("tox.ini", str(path), number, section, command, argv=argv))
    return out, []


def nox_commands(path: Path) -> tuple[list[TaskCommand], list[Problem]]:
    try:
        tree = ast.parse(read_text(str(path), whole=True), str(path))
    except Unreadable as exc:
        return [], [exc.problem]
    except SyntaxError as exc:
        return [], [Problem(str(path), exc.lineno, f"Python syntax error: {exc.msg}")]
    out = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            target = call.func
            if isinstance(target, ast.Attribute) and target.attr == "run":
                words = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if words and len(words) == len(call.args):
                    out.append(TaskCommand("noxfile.py", str(path), call.lineno, function.name,
                                           " ".join(words), argv=tuple(words)))
    return out, []


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
