"""Which project commands are benchmarks, judged the way a person would.

In this order: the project's own configuration (`benchmarks = [...]` and `ignore = [...]` in `[tool.sipdoctor]`
or `.sipdoctor.toml`, by script/target/recipe/step name or by the command's text); then what the command runs
(a benchmark runner: `vitest bench`, pytest with `--codspeed` or `--benchmark-*`, asv, pyperf, `cargo bench`,
`cargo codspeed`, `go test -bench`, hyperfine, a node script that imports tinybench, mitata or benchmark.js, the
CodSpeed action's `run`/`exec`, a codspeed.yml benchmark); then the name (bench, perf, profil, codspeed).
Clean, coverage, lint, format, build and test commands, and runs that exclude benchmarks (`pytest -m "not
benchmark"`, `--benchmark-skip`), are not benchmarks unless they run one.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

WORD_START = r"(?:(?<![A-Za-z])[Pp]|(?<=[a-z])P)"  # a word's first letter: after a non-letter, or camelCase
BENCHMARK_NAME = re.compile(rf"[Bb]ench|BENCH|[Cc]od[Ss]peed|{WORD_START}erf(?:ormance)?(?![a-z])|PERF|"
                            rf"{WORD_START}rofil|PROFIL")
"""A name that says benchmark: `bench` anywhere (microbench, runBenchmarks), `perf` or `performance` as a word
(perf:cpu, runPerf; not superfluous, perfect), a word starting with `profil` (profile, profiling)."""
NOT_BENCHMARK_WORDS = frozenset({
    "clean", "clear", "coverage", "cov", "lint", "linter", "eslint", "format", "fmt", "prettier", "build",
    "compile", "test", "tests", "typecheck", "types", "docs", "doc", "install", "setup", "check", "release",
    "publish", "prepare", "deploy", "watch",
})
EXCLUDES_BENCHMARKS = re.compile(
    r"""not\s+bench\w*|--benchmark-(?:skip|disable)\b|--ignore[= ]\S*bench|--exclude[= ]\S*bench""",
    re.IGNORECASE,
)
BENCH_LIBRARIES = re.compile(
    r"""(?:from\s+|require\s*\(\s*|import\s*\(\s*|import\s+)['"](?:tinybench|mitata|benchmark|bench-node|"""
    r"""@codspeed/[\w-]+)['"]"""
)
PYTHON_BENCH_LIBRARIES = re.compile(r"^\s*(?:import|from)\s+(?:pyperf|pytest_benchmark|pytest_codspeed)\b", re.M)
SCRIPT_HEAD = 65536
QUOTING = re.compile(r"""['"\\#]""")
"""Characters that make shlex's words differ from whitespace splitting (quotes, escapes, comments)."""
NODE_RUNNERS = frozenset({"node", "bun", "deno", "tsx", "ts-node"})
NAMING_TOOLS = frozenset({"make", "gmake", "just", "npm", "pnpm", "yarn", "bun", "tox", "nox"})
RUNNERS_FIRST = NODE_RUNNERS | {"asv", "pyperf", "hyperfine", "cargo", "go"}
"""Programs runs_benchmark looks at when they come first (python*, and anything naming vitest or pytest, too)."""


@dataclass(frozen=True)
class Selection:
    """The project's explicit choice: names or command texts that are (`include`) or are not benchmarks."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def choice(self, name: str, command: str, run_as: str) -> bool | None:
        keys = {name, command.strip(), run_as}
        if keys & set(self.exclude):
            return False
        if keys & set(self.include):
            return True
        return None


def is_benchmark(name: str, command: str, run_as: str, argvs: Iterable[tuple[str, ...]], cwd: str,
                 source: str, selection: Selection | None = None) -> bool:
    chosen = (selection or Selection()).choice(name, command, run_as)
    if chosen is not None:
        return chosen
    every = [*_command_argvs(command), *argvs]
    if source in ("codspeed-action", "codspeed.yml") or any(runs_benchmark(argv, cwd) for argv in every):
        return True
    if EXCLUDES_BENCHMARKS.search(command) or _words(name) & NOT_BENCHMARK_WORDS:
        return False
    return any(_benchmark_name(n) for n in (name, *_invoked_names(every)))


def _words(name: str) -> set[str]:
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w}


def _benchmark_name(name: str) -> bool:
    return bool(BENCHMARK_NAME.search(name)) and not _words(name) & NOT_BENCHMARK_WORDS


def _invoked_names(argvs: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """The names a command runs by name: `make bench`, `just bench`, `npm run bench`, `tox -e bench`."""
    for argv in argvs:
        tool = os.path.basename(argv[0]) if argv else ""
        if tool not in NAMING_TOOLS:
            continue
        rest = [a for a in argv[1:] if not a.startswith("-")]
        if tool in ("make", "gmake", "just"):
            yield from (a for a in rest if "=" not in a)
        elif tool in ("npm", "pnpm", "yarn", "bun") and rest:
            yield rest[1] if rest[0] in ("run", "run-script") and len(rest) > 1 else rest[0]
        elif tool in ("tox", "nox") and len(argv) > 2:
            yield from (argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-e", "-s", "--session"))


def _command_argvs(command: str) -> Iterator[tuple[str, ...]]:
    for piece in re.split(r"&&|\|\||[;|\n]", command):
        try:
            words = shlex.split(piece) if QUOTING.search(piece) else piece.split()
        except ValueError:
            words = piece.split()
        words = [w for w in words if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
        if words:
            yield tuple(words)


def runs_benchmark(argv: tuple[str, ...], cwd: str) -> bool:
    """The argv starts a benchmark runner, or an interpreter on a script that uses a benchmark library."""
    if not argv:
        return False
    joined, first = " ".join(argv), os.path.basename(argv[0])
    if first not in RUNNERS_FIRST and not first.startswith("python") and "test" not in joined:
        return False  # most argvs of a big project (echo, rm, cp...): no runner below needs a closer look
    if EXCLUDES_BENCHMARKS.search(joined):
        return False
    names = [os.path.basename(a) for a in argv]
    args = set(argv[1:])
    vitest = next((i for i, n in enumerate(names) if n in ("vitest", "vitest.mjs")), None)
    if vitest is not None and argv[vitest + 1: vitest + 2] == ("bench",):
        return True
    if ("pytest" in names or "py.test" in names or _module(argv) == "pytest") and any(
            a == "--codspeed" or a.startswith("--benchmark-") for a in args):
        return True
    if names[0] in ("asv", "pyperf", "hyperfine") or _module(argv) in ("asv", "pyperf"):
        return True
    if names[0] == "cargo" and len(argv) > 1 and argv[1] in ("bench", "codspeed"):
        return True
    if names[0] == "go" and len(argv) > 1 and argv[1] == "test" and any(
            a.startswith(("-bench", "--bench", "-test.bench")) for a in args):
        return True
    return _script_uses_library(argv, cwd)


def _module(argv: tuple[str, ...]) -> str | None:
    if "-m" in argv[:-1] and os.path.basename(argv[0]).startswith("python"):
        return argv[argv.index("-m") + 1]
    return None


def _script_uses_library(argv: tuple[str, ...], cwd: str) -> bool:
    name = os.path.basename(argv[0])
    script = next((a for a in argv[1:] if not a.startswith("-") and a not in ("run",)), None)
    if script is None:
        return False
    if name in NODE_RUNNERS:
        pattern = BENCH_LIBRARIES
    elif name.startswith("python"):
        pattern = PYTHON_BENCH_LIBRARIES
    else:
        return False
    head = _head(os.path.join(cwd, script))
    return bool(head and pattern.search(head))


def _head(path: str) -> str | None:
    """The first bytes of a regular file (never a FIFO or device), as text."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as stream:
            return stream.read(SCRIPT_HEAD).decode("utf-8", "replace")
    except OSError:
        return None


def tree_argvs(tree: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """Every argv of a predicted tree (Prediction.to_json()): each process's and each hop's."""
    pending = list(tree.get("children", []))
    while pending:
        process = pending.pop()
        pending.extend(process.get("children", []))
        yield tuple(process.get("argv") or ())
        for hop in process.get("chain", []):
            yield tuple(hop.get("argv") or ())
