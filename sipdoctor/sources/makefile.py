"""A Makefile read the way GNU make reads it, far enough to know each target's recipe lines and SHELL.

Conditionals (ifeq/ifdef/else/endif) are skipped: every branch's rules are kept. `define ... endef` bodies are
variable values, not recipes. `include FILE` (and `-include`) reads the file when a reader is given. Recipe lines
start with a tab (or .RECIPEPREFIX) after a rule; outside a rule, GNU make reads a tab-indented line as an
ordinary line (an indented assignment or conditional), and only a command there is "recipe commences before
first target" (make's read.c). `\\` continues a line; variables are expanded one level deep.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sipdoctor.sources.files import Problem

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
MAX_FOLLOWED_TARGETS = 32
"""How many targets one `make GOAL` prediction follows (the goal and its prerequisites, in make's order)."""
ASSIGNMENT = re.compile(
    r"^(?:export\s+|override\s+)*(?P<name>[A-Za-z_.][\w.-]*)\s*(?P<op>:{1,3}=|\?=|\+=|!=|=)\s*(?P<value>.*)$"
)
RULE = re.compile(r"^(?P<targets>[^:=#\t][^:=#]*?)\s*::?(?!=)\s*(?P<prereqs>[^=;#]*?)\s*(?:;\s*(?P<inline>.*))?$")
REFERENCE = re.compile(r"\$[({](?P<name>[A-Za-z_.][\w.-]*)[)}]")
DIRECTIVES = ("ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "include", "-include", "sinclude",
              "define", "endef", "vpath", "unexport", "export")


@dataclass(frozen=True)
class RecipeLine:
    text: str
    line: int


@dataclass
class Rule:
    target: str
    prerequisites: list[str]
    line: int
    recipe: list[RecipeLine] = field(default_factory=list)
    file: str = ""
    """The file the rule is defined in (an included file, or the Makefile itself)."""


@dataclass
class Makefile:
    path: str
    rules: dict[str, Rule] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    variable_lines: dict[str, int] = field(default_factory=dict)
    one_shell: bool = False
    """`.ONESHELL` is a target: each recipe runs as one shell script (GNU make 3.82 and later)."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def default_goal(self) -> str | None:
        return next((t for t in self.order if not t.startswith(".")), None)

    @property
    def shell(self) -> str | None:
        return self.expand(self.variables["SHELL"]) if "SHELL" in self.variables else None

    def shell_flags(self, overrides: dict[str, str] | None = None) -> str:
        """`.SHELLFLAGS`, the options make passes its shell before the recipe: `-c`, or `-ec` under `.POSIX`."""
        values = {**self.variables, **(overrides or {})}
        if ".SHELLFLAGS" in values:
            return self.expand(values[".SHELLFLAGS"], overrides=overrides)
        return "-ec" if ".POSIX" in self.rules else "-c"

    def expand(self, text: str, target: str = "", overrides: dict[str, str] | None = None) -> str:
        values = {**self.variables, **(overrides or {})}

        def one(m: re.Match[str]) -> str:
            name = m.group("name")
            value = values.get(name, m.group(0))
            return REFERENCE.sub(lambda inner: values.get(inner.group("name"), inner.group(0)), value)

        def full(piece: str, depth: int) -> str:
            return REFERENCE.sub(one, expand_functions(piece, lambda t: full(t, depth + 1), depth))

        text = text.replace("$$", "\0").replace("$@", target)
        return full(text, 0).replace("\0", "$")

    def recipe_plan(self, goal: str, max_targets: int | None = None) -> tuple[list[tuple[str, RecipeLine]], bool]:
        """(target, line) for a goal: its prerequisites' recipes first, as make runs them, each target once,
        following at most `max_targets` targets (the goal always among them); the flag says whether
        prerequisites were left out. Iterative: a generated Makefile can chain more targets than
        Python's stack, and the cap keeps one prediction per target of a deep chain from costing O(n^2)."""
        lines: list[tuple[str, RecipeLine]] = []
        seen: set[str] = set()
        stack: list[tuple[str, int]] = [(goal, 0)] if goal in self.rules else []
        seen.update(name for name, _ in stack)
        truncated = False
        while stack:
            target, index = stack.pop()
            prerequisites = self.rules[target].prerequisites
            if index < len(prerequisites):
                stack.append((target, index + 1))
                prerequisite = prerequisites[index]
                if prerequisite in self.rules and prerequisite not in seen:
                    if max_targets is not None and len(seen) >= max_targets:
                        truncated = True
                        continue
                    seen.add(prerequisite)
                    stack.append((prerequisite, 0))
                continue
            lines.extend((target, line) for line in self.rules[target].recipe)
        return lines, truncated


_PARSED: dict[tuple[str, int, int, int, int], Makefile] = {}


def load_makefile(path: str) -> Makefile:
    """The parsed Makefile, parsed once per run: every `make TARGET` of a check predicts from the same file.
    Keyed by the file's identity, so an edit (`check --fix`) is read again. Raises Unreadable."""
    from sipdoctor.sources.files import read_text

    try:
        st = os.stat(path)
        key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    except (OSError, ValueError):
        key = None
    if key is not None and key in _PARSED:
        return _PARSED[key]
    makefile = parse_makefile(path, read_text(path, whole=True), read=read_text)
    if key is not None:
        if len(_PARSED) >= 16:
            _PARSED.clear()  # a check reads a handful of Makefiles: bounded, never grows
        _PARSED[key] = makefile
    return makefile


def _logical_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        out.append((start, pending + raw))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


Reader = Callable[[str], str]
"""Reads an included file (raises OSError when it cannot)."""
MAX_INCLUDE_DEPTH = 8


def parse_makefile(path: str, text: str, read: Reader | None = None) -> Makefile:
    makefile = Makefile(path)
    _parse_into(makefile, path, text, read, 0)
    makefile.one_shell = ".ONESHELL" in makefile.rules
    return makefile


def _parse_into(makefile: Makefile, path: str, text: str, read: Reader | None, depth: int) -> None:
    current: list[Rule] = []
    in_define = 0
    for number, line in _logical_lines(text):
        prefix = makefile.variables.get(".RECIPEPREFIX", "\t") or "\t"
        stripped = line.split("#", 1)[0].strip()
        if in_define:
            words = stripped.split()
            in_define += ("define" in words[:3]) - (words[:1] == ["endef"])
            continue
        if line.startswith(prefix) and current:
            for rule in current:
                rule.recipe.append(RecipeLine(line[len(prefix):].strip(), number))
            continue
        if not stripped:
            continue
        first = stripped.split()[0]
        if first == "define" or stripped.startswith(("override define", "export define")):
            in_define, current = 1, []
            continue
        if first in DIRECTIVES and not ASSIGNMENT.match(stripped):
            if first in ("include", "-include", "sinclude"):
                current = []
                _include(makefile, path, stripped, read, depth, optional=first != "include")
            continue
        if (m := ASSIGNMENT.match(stripped)) is not None:
            _assign(makefile, m, number)
            current = []
            continue
        if stripped.startswith("$(") or stripped.startswith("${"):
            continue  # a function call on its own line ($(eval ...), $(info ...)): no rule we can read
        if line.startswith(prefix):
            makefile.problems.append(Problem(path, number, "recipe commences before first target"))
            continue
        if (r := RULE.match(stripped)) is not None:
            current = _add_rules(makefile, r, number, path)
            continue
        makefile.problems.append(Problem(path, number, f"missing separator: `{stripped[:60]}` is not a rule or "
                                                       "an assignment"))
        current = []


def _include(makefile: Makefile, path: str, line: str, read: Reader | None, depth: int, optional: bool) -> None:
    if read is None or depth >= MAX_INCLUDE_DEPTH:
        return
    for word in makefile.expand(line.split(None, 1)[1] if " " in line else "").split():
        if "$" in word or "*" in word:
            continue
        included = os.path.join(os.path.dirname(path), word)
        try:
            text = read(included)
        except (OSError, ValueError):
            if not optional:
                makefile.problems.append(Problem(path, None, f"included file {word} could not be read"))
            continue
        _parse_into(makefile, included, text, read, depth + 1)


def _assign(makefile: Makefile, m: re.Match[str], number: int) -> None:
    name, op, value = m.group("name"), m.group("op"), m.group("value").strip()
    if op == "?=" and name in makefile.variables:
        return
    if op == "+=" and name in makefile.variables:
        value = f"{makefile.variables[name]} {value}"
    makefile.variables[name] = value
    makefile.variable_lines[name] = number


def _add_rules(makefile: Makefile, r: re.Match[str], number: int, path: str) -> list[Rule]:
    rules = []
    prerequisites = r.group("prereqs").split()
    for target in r.group("targets").split():
        rule = makefile.rules.get(target)
        if rule is None:
            rule = makefile.rules[target] = Rule(target, [], number, file=path)
            makefile.order.append(target)
        known = set(rule.prerequisites)  # a set: `all: t1 ... t5000` would be quadratic against the list
        for prerequisite in prerequisites:
            if prerequisite not in known:
                known.add(prerequisite)
                rule.prerequisites.append(prerequisite)
        if r.group("inline"):
            rule.recipe.append(RecipeLine(r.group("inline").strip(), number))
        rules.append(rule)
    return rules


MAX_FUNCTION_DEPTH = 8


def expand_functions(text: str, expand: Callable[[str], str], depth: int = 0) -> str:
    """GNU make's `$(foreach VAR,LIST,TEXT)`, `$(subst FROM,TO,TEXT)` and `$(strip TEXT)` evaluated; `$(eval ...)`,
    `$(info ...)` and `$(warning ...)` expand to nothing (what they define or print is not followed); any other
    function is left as written, so the line stays visibly unpredicted (GNU make manual, "Functions")."""
    if depth > MAX_FUNCTION_DEPTH or "$(" not in text:
        return text
    out: list[str] = []
    at = 0
    while (start := text.find("$(", at)) >= 0:
        end = _closing(text, start + 1)
        if end < 0:
            break
        out.append(text[at:start])
        out.append(_function(text[start + 2:end], text[start:end + 1], expand))
        at = end + 1
    return "".join(out) + text[at:]


def _closing(text: str, open_at: int) -> int:
    level = 0
    for index in range(open_at, len(text)):
        level += {"(": 1, ")": -1}.get(text[index], 0)
        if level == 0:
            return index
    return -1


def _function(inner: str, whole: str, expand: Callable[[str], str]) -> str:
    name, _, rest = inner.partition(" ")
    args = _arguments(rest)
    if name == "foreach" and len(args) == 3:
        variable, words, body = args[0].strip(), expand(args[1]).split(), args[2]
        reference = re.compile(rf"\$[({{]{re.escape(variable)}[)}}]")
        return " ".join(expand(reference.sub(word.replace("\\", "\\\\"), body)) for word in words)
    if name == "subst" and len(args) == 3:
        return expand(args[2]).replace(expand(args[0]), expand(args[1]))
    if name == "strip":
        return " ".join(expand(rest).split())
    if name in ("eval", "info", "warning"):
        return ""
    return whole


def _arguments(text: str) -> list[str]:
    """Comma-separated arguments at the top level (a comma inside `$(...)` belongs to that reference)."""
    parts: list[str] = []
    current: list[str] = []
    level = 0
    for char in text:
        level += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and level == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    return [*parts, "".join(current)]
