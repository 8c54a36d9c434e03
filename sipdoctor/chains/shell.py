"""Split a shell command line into the simple commands a POSIX shell would run.

Handles `&&`, `||`, `;`, pipes, subshells `( ... )`, `{ ...; }`, `if`/`for`/`while` bodies, command
substitutions, `cd DIR` (later commands run there), leading assignments (`FOO=1 node x.js`) and `exec`.
`sh -c '...'` nesting is not expanded here: the predictor treats `sh -c` as a process and parses its script
with this module again. bashlex does the parsing; when it cannot, the line is split like a single command and
the result says why.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

SHELL_BUILTINS = frozenset(
    {
        ":", ".", "source", "alias", "bg", "break", "cd", "continue", "echo", "eval", "exit", "export",
        "false", "fg", "getopts", "hash", "jobs", "printf", "pwd", "read", "readonly", "return", "set",
        "shift", "test", "[", "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait", "local",
        "kill", "times", "declare", "typeset", "let", "shopt",
    }
)
"""Commands a shell runs in its own process: no exec, so no hop (bash(1) SHELL BUILTIN COMMANDS)."""


SHELL_OPTIONS_WITH_VALUE = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


def shell_invocation(argv: tuple[str, ...] | list[str]) -> tuple[bool, list[str]]:
    """(whether the shell runs a command string, its operands) for `sh [options] ...`: `-c` may come
    combined with other options (`sh -cu`, `bash -lc`, just's and make's shells), `-o NAME` takes a value,
    `--` ends the options (POSIX sh, "Invocation"; bash(1) OPTIONS)."""
    args, command = list(argv[1:]), False
    while args and args[0][:1] in ("-", "+") and args[0] not in ("-", "+"):
        option = args.pop(0)
        if option == "--":
            break
        if option in SHELL_OPTIONS_WITH_VALUE and args:
            args.pop(0)
        elif option[:1] == "-" and not option.startswith("--") and "c" in option[1:]:
            command = True
    return command, args


@dataclass(frozen=True)
class SimpleCommand:
    """One command the shell starts as a process (or runs itself when it is a builtin)."""

    argv: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    """Directory set by an earlier `cd` in the same line, relative to where the line starts."""

    @property
    def is_builtin(self) -> bool:
        return bool(self.argv) and self.argv[0] in SHELL_BUILTINS

    @property
    def env(self) -> dict[str, str]:
        return dict(self.assignments)


@dataclass(frozen=True)
class ParsedLine:
    source: str
    commands: tuple[SimpleCommand, ...]
    error: str | None = None
    """Set when bashlex could not parse the line and the fallback split was used."""


@dataclass
class _Walker:
    cwd: str | None = None
    out: list[SimpleCommand] = field(default_factory=list)

    def visit(self, node: Any) -> None:
        kind = node.kind
        if kind == "command":
            self._command(node)
            return
        for child in _children(node):
            self.visit(child)

    def _command(self, node: Any) -> None:
        assignments: list[tuple[str, str]] = []
        words: list[str] = []
        for part in node.parts:
            if part.kind == "assignment" and not words:
                name, _, value = part.word.partition("=")
                assignments.append((name, value))
            elif part.kind in ("word", "assignment"):
                words.append(part.word)
            for sub in _substitutions(part):
                self.visit(sub)
        self._add(tuple(words), tuple(assignments))

    def _add(self, words: tuple[str, ...], assignments: tuple[tuple[str, str], ...]) -> None:
        if words[:1] == ("exec",):
            words = words[1:]
        if not words:
            return
        if words[0] == "cd":
            self.cwd = _join_cwd(self.cwd, words[1] if len(words) > 1 else "~")
        self.out.append(SimpleCommand(words, assignments, self.cwd))


def _children(node: Any) -> list[Any]:
    kids: list[Any] = []
    for attr in ("parts", "list"):
        value = getattr(node, attr, None)
        if isinstance(value, list):
            kids.extend(value)
    command = getattr(node, "command", None)
    if command is not None and node.kind in ("commandsubstitution", "processsubstitution"):
        kids.append(command)
    return kids


def _substitutions(part: Any) -> list[Any]:
    found: list[Any] = []
    for child in getattr(part, "parts", None) or []:
        if child.kind in ("commandsubstitution", "processsubstitution"):
            found.append(child.command)
        else:
            found.extend(_substitutions(child))
    return found


def _join_cwd(current: str | None, target: str) -> str:
    if target.startswith(("/", "~")) or current in (None, "."):
        return target
    return f"{current}/{target}"


PLAIN_LINE = re.compile(r"[A-Za-z0-9 \t_./:,+@%=-]*")
"""A line of plain words: no quoting, expansion, redirection, operator or reserved-word syntax. The shell splits
it on blanks, so bashlex (about 80 ms to import, once per process) is not needed for it."""
RESERVED = frozenset({"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
                      "done", "in", "function", "time", "coproc"})


def parse_command_line(line: str) -> ParsedLine:
    """The simple commands of a shell line, in the order the shell reaches them."""
    words = line.split()
    if PLAIN_LINE.fullmatch(line) and not RESERVED.intersection(words):
        walker = _Walker()
        assignments = []
        while words and _is_assignment(words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments.append((name, value))
        walker._add(tuple(words), tuple(assignments))
        return ParsedLine(line, tuple(walker.out))
    from sipdoctor.chains.bashlex_tables import load_bashlex

    try:
        trees = load_bashlex().parse(line)
    except Exception as exc:  # bashlex raises ParsingError, NotImplementedError and assorted others
        return _fallback(line, f"{type(exc).__name__}: {exc}")
    walker = _Walker()
    for tree in trees:
        walker.visit(tree)
    return ParsedLine(line, tuple(walker.out))


def _fallback(line: str, why: str) -> ParsedLine:
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    assignments = []
    while words and _is_assignment(words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments.append((name, value))
    commands = (SimpleCommand(tuple(words), tuple(assignments)),) if words else ()
    message = f"could not parse as a shell command line ({why}); treated as one command split on blanks"
    return ParsedLine(line, commands, message)


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()
