"""A Makefile read the way GNU make reads it, far enough to know each target's recipe lines and SHELL.

Directives (ifeq/ifdef/include/define) are skipped: every branch's rules are kept. Recipe lines start with a
tab (or .RECIPEPREFIX); `\\` continues a line; variables are expanded one level deep with `$(NAME)`/`${NAME}`.
"""

from __future__ import annotations

import os
import re
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

        text = text.replace("$$", "\0").replace("$@", target)
        return REFERENCE.sub(one, text).replace("\0", "$")

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
    makefile = parse_makefile(path, read_text(path, whole=True))
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


def parse_makefile(path: str, text: str) -> Makefile:
    makefile = Makefile(path)
    current: list[Rule] = []
    prefix = "\t"
    for number, line in _logical_lines(text):
        if line.startswith(prefix):
            if not current:
                if line.strip():
                    makefile.problems.append(Problem(path, number, "recipe commences before first target"))
                continue
            for rule in current:
                rule.recipe.append(RecipeLine(line[len(prefix):].strip(), number))
            continue
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        if stripped.split()[0] in DIRECTIVES and not ASSIGNMENT.match(stripped):
            current = [] if stripped.startswith(("define", "include")) else current
            continue
        if (m := ASSIGNMENT.match(stripped)) is not None:
            _assign(makefile, m, number)
            prefix = makefile.variables.get(".RECIPEPREFIX", "\t") or "\t"
            current = []
            continue
        if (r := RULE.match(stripped)) is not None:
            current = _add_rules(makefile, r, number)
            continue
        makefile.problems.append(Problem(path, number, f"missing separator: `{stripped[:60]}` is not a rule or "
                                                       "an assignment"))
        current = []
    makefile.one_shell = ".ONESHELL" in makefile.rules
    return makefile


def _assign(makefile: Makefile, m: re.Match[str], number: int) -> None:
    name, op, value = m.group("name"), m.group("op"), m.group("value").strip()
    if op == "?=" and name in makefile.variables:
        return
    if op == "+=" and name in makefile.variables:
        value = f"{makefile.variables[name]} {value}"
    makefile.variables[name] = value
    makefile.variable_lines[name] = number


def _add_rules(makefile: Makefile, r: re.Match[str], number: int) -> list[Rule]:
    rules = []
    prerequisites = r.group("prereqs").split()
    for target in r.group("targets").split():
        rule = makefile.rules.get(target)
        if rule is None:
            rule = makefile.rules[target] = Rule(target, [], number)
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
