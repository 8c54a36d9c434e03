"""Read a justfile far enough to know what `just RECIPE` runs (the just manual, "Recipes" and "Settings").

- A recipe header is `name params: dependencies`; its body is the indented lines below it. Each body line
  runs in its own shell, `sh -cu` unless `set shell := [...]` says otherwise; a line ending in `\\` goes on.
  A leading `@` (quiet) or `-` (ignore errors) is just's, not the shell's.
- A body starting with `#!` is a script: just writes it to a temporary file and executes that file, so the
  kernel runs the interpreter the shebang names. A `[script]` recipe (or `[script("cmd")]`) is the same with
  `set script-interpreter` (default `sh -eu`) as its interpreter.
- Dependencies run first, each once, and those after `&&` right after the recipe; `just` without a recipe
  runs the first one in the file.
- `just` looks for the justfile in the working directory and its parents, and runs recipes in the
  directory that holds it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from sipdoctor.sources.files import Problem

JUSTFILE_NAMES = ("justfile", "Justfile", ".justfile", "JUSTFILE")
DEFAULT_SHELL = ("sh", "-cu")
DEFAULT_SCRIPT_INTERPRETER = ("sh", "-eu")
RECIPE = re.compile(r"^@?(?P<name>[A-Za-z_][\w-]*)(?P<params>(?:\s+[^:]*)?):(?!=)(?P<deps>.*)$")
ALIAS = re.compile(r"^alias\s+(?P<name>[\w-]+)\s*:=\s*(?P<target>[\w-]+)")
SETTING = re.compile(r"^set\s+(?P<name>[\w-]+)\s*:=\s*(?P<value>.+)$")
ATTRIBUTE = re.compile(r"^\[(?P<body>.*)\]\s*$")
SCRIPT_BODY_PREFIX = "<body of recipe "
MAX_SUBSEQUENT_DEPTH = 64
QUOTED = re.compile(r"'([^']*)'|\"((?:[^\"\\]|\\.)*)\"")


@dataclass(frozen=True)
class JustRecipe:
    name: str
    line: int
    parameters: tuple[str, ...]
    """As written: `target`, `mode="fast"`, `+files` (variadic)."""
    dependencies: tuple[str, ...]
    body: tuple[tuple[int, str], ...]
    """(line number, command) per body line, continuation lines joined, just's `@`/`-` prefixes dropped."""
    script: tuple[str, ...] | None = None
    """The interpreter argv of a shebang or [script] recipe, which runs its body as one script."""
    subsequents: tuple[str, ...] = ()
    """Dependencies after `&&` in the header: they run right after the recipe."""


@dataclass
class Justfile:
    path: str
    recipes: dict[str, JustRecipe] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    shell: tuple[str, ...] = DEFAULT_SHELL
    script_interpreter: tuple[str, ...] = DEFAULT_SCRIPT_INTERPRETER
    problems: list[Problem] = field(default_factory=list)

    @property
    def default(self) -> str | None:
        return next(iter(self.recipes), None)

    def resolve(self, name: str) -> JustRecipe | None:
        return self.recipes.get(self.aliases.get(name, name))

    def invoked(self, words: list[str]) -> tuple[list[str], list[str]]:
        """(the recipes `just WORDS...` runs, the words that name no recipe): each recipe takes the words
        after it as its arguments, all of them when variadic; without words, the default recipe."""
        names, unknown, index = [], [], 0
        while index < len(words):
            recipe = self.resolve(words[index])
            if recipe is None:
                unknown.append(words[index])
                index += 1
                continue
            names.append(recipe.name)
            variadic = any(p[:1] in ("+", "*") for p in recipe.parameters)
            index += len(words) if variadic else 1 + len(recipe.parameters)
        if not words and self.default is not None:
            names.append(self.default)
        return names, unknown

    def run_order(self, *names: str, expanding: frozenset[str] = frozenset()) -> list[JustRecipe]:
        """The recipes `just NAMES...` runs, dependencies first, each once (a cycle, which just refuses,
        is cut where it closes). Iterative: a justfile can chain more recipes than Python's stack.

        A recipe's `&&` subsequents run right after it, each with its own dependencies again even when
        they already ran (observed with just 1.59: `release: build && bench`, `bench: build` runs build,
        release, build, bench)."""
        order: list[JustRecipe] = []
        done: set[str] = set()
        for name in names:
            stack: list[tuple[JustRecipe, int]] = []
            active: set[str] = set()
            root = self.resolve(name)
            if root is not None and root.name not in done:
                stack.append((root, 0))
                active.add(root.name)
            while stack:
                recipe, index = stack.pop()
                if index < len(recipe.dependencies):
                    stack.append((recipe, index + 1))
                    dependency = self.resolve(recipe.dependencies[index])
                    if dependency is not None and dependency.name not in done and dependency.name not in active:
                        stack.append((dependency, 0))
                        active.add(dependency.name)
                    continue
                active.discard(recipe.name)
                done.add(recipe.name)
                order.append(recipe)
                later = [n for n in recipe.subsequents if n not in expanding]
                if later and len(expanding) < MAX_SUBSEQUENT_DEPTH:
                    order += self.run_order(*later, expanding=expanding | {recipe.name})
        return order


def script_body(recipe: str) -> str:
    """The argument standing for the temporary file just writes a script recipe's body to."""
    return f"{SCRIPT_BODY_PREFIX}{recipe}>"


def find_justfile(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        found = next((candidate / n for n in JUSTFILE_NAMES if (candidate / n).is_file()), None)
        if found is not None:
            return found
    return None


def parse_justfile(path: str, text: str) -> Justfile:
    justfile = Justfile(path)
    lines = text.splitlines()
    attributes: list[str] = []
    index = 0
    while index < len(lines):
        number, raw = index + 1, lines[index]
        index += 1
        if not raw.strip() or raw.lstrip().startswith("#") or raw[:1] in (" ", "\t"):
            continue
        if (attribute := ATTRIBUTE.match(raw)) is not None:
            attributes.append(attribute.group("body"))
            continue
        if (alias := ALIAS.match(raw)) is not None:
            justfile.aliases[alias.group("name")] = alias.group("target")
        elif (setting := SETTING.match(raw)) is not None:
            _apply_setting(justfile, setting.group("name"), setting.group("value"), number)
        elif (header := RECIPE.match(raw)) is not None:
            body, index = _body(lines, index)
            recipe = _recipe(justfile, header, number, body, attributes)
            justfile.recipes.setdefault(recipe.name, recipe)
        attributes = []
    return justfile


def _apply_setting(justfile: Justfile, name: str, value: str, number: int) -> None:
    if name not in ("shell", "script-interpreter"):
        return
    words = [single or double for single, double in QUOTED.findall(value)]
    if not value.strip().startswith("[") or not words:
        justfile.problems.append(Problem(justfile.path, number, f"`set {name}` is not a list of strings"))
    elif name == "shell":
        justfile.shell = tuple(words)
    else:
        justfile.script_interpreter = tuple(words)


def _body(lines: list[str], index: int) -> tuple[list[tuple[int, str]], int]:
    """The indented lines from index on (blank lines inside a body are allowed) and where the body ends."""
    body: list[tuple[int, str]] = []
    while index < len(lines) and (lines[index][:1] in (" ", "\t") or not lines[index].strip()):
        if lines[index].strip():
            body.append((index + 1, lines[index].strip()))
        index += 1
    return body, index


def _recipe(justfile: Justfile, header: re.Match[str], number: int, body: list[tuple[int, str]],
            attributes: list[str]) -> JustRecipe:
    before, _, after = header.group("deps").split("#", 1)[0].partition("&&")
    script = next((_script_attribute(a, justfile) for a in attributes if a.split("(", 1)[0].strip() == "script"),
                  None)
    if script is None and body and body[0][1].startswith("#!"):
        script = tuple(shlex.split(body[0][1][2:].strip(), posix=True)) or None
    commands = [(line, text) for line, text in body] if script is not None else _linewise(body)
    parameters = tuple(re.findall(r"[+*$]?[\w-]+(?:=(?:'[^']*'|\"[^\"]*\"|\S+))?", header.group("params")))
    return JustRecipe(header.group("name"), number, parameters, _names(before), tuple(commands), script,
                      _names(after))


def _names(dependencies: str) -> tuple[str, ...]:
    """Recipe names; a dependency with arguments, `(name "x")`, is not followed."""
    return tuple(d for d in dependencies.split() if re.fullmatch(r"[\w-]+", d))


def _script_attribute(attribute: str, justfile: Justfile) -> tuple[str, ...]:
    """[script] uses `set script-interpreter`; [script("python3", "-u")] names its own."""
    words = [single or double for single, double in QUOTED.findall(attribute)]
    return tuple(words) or justfile.script_interpreter


def _linewise(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join continuation lines, drop comments and just's own `@`/`-` prefixes."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for line, text in body:
        if pending is not None:
            pending = (pending[0], pending[1][:-1].rstrip() + " " + text)
        elif text.startswith("#"):
            continue
        else:
            pending = (line, text.lstrip("@-").strip())
        if not pending[1].endswith("\\"):
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return [(line, text) for line, text in out if text]
