"""What the predictor knows while it follows a command: the child's environment, directory, and the judge."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sipdoctor.binaries.resolve import PathIndex
from sipdoctor.binaries.script import Shebang, read_shebang
from sipdoctor.model import Reason, Verdict

if TYPE_CHECKING:
    from sipdoctor.binaries import Assumptions, VerdictCache


class Judge:
    """The binary-verdict code (sipdoctor.binaries) behind one memo, so a tree asks once per file.

    One per run: its PathIndex lists each PATH directory once for every lookup and for the PATH scripts scan.
    """

    def __init__(self, assumptions: Assumptions, cache: VerdictCache | None = None) -> None:
        self.assumptions = assumptions
        self.cache = cache
        self.path_index = PathIndex()
        self._verdicts: dict[tuple[str, str], tuple[Verdict, tuple[Reason, ...]]] = {}
        self._shebangs: dict[str, Shebang | None] = {}
        self._resolved: dict[tuple[str, str], list[str]] = {}
        self._real: dict[str, tuple[str, bool]] = {}
        self._exists: dict[str, bool] = {}

    def _real_entry(self, path: str) -> tuple[str, bool]:
        """(realpath, is a regular file), once per path: a Makefile of thousands of targets runs the same
        programs over and over."""
        if path not in self._real:
            from sipdoctor.chains.execchain import real_path

            real = real_path(path)
            self._real[path] = (real, os.path.isfile(real))
        return self._real[path]

    def exists(self, path: str) -> bool:
        """os.path.exists, once per path (`make X` looks for the same Makefile names for every target)."""
        if path not in self._exists:
            self._exists[path] = os.path.exists(path)
        return self._exists[path]

    def real_path(self, path: str) -> str:
        return self._real_entry(path)[0]

    def is_file(self, real: str) -> bool:
        return self._real_entry(real)[1]

    @property
    def target(self) -> str:
        return str(self.assumptions.target)

    def verdict(self, path: str, env_path: str) -> tuple[Verdict, tuple[Reason, ...]]:
        key = (path, env_path)
        if key not in self._verdicts:
            from sipdoctor.binaries.judge import judge_file  # the binary readers: only once a file is judged

            report = judge_file(path, self.assumptions, env_path=env_path, cache=self.cache, resolve=self.resolve)
            self._verdicts[key] = (report.verdict, tuple(report.reasons))
        return self._verdicts[key]

    def shebang(self, path: str) -> Shebang | None:
        if path not in self._shebangs:
            try:
                self._shebangs[path] = read_shebang(path)
            except OSError:
                self._shebangs[path] = None
        return self._shebangs[path]

    def resolve(self, name: str, env_path: str) -> list[str]:
        """Every match on PATH, memoised: one tree looks the same names up on the same long PATH."""
        key = (name, env_path)
        if key not in self._resolved:
            self._resolved[key] = self.path_index.resolve(name, env_path)
        return list(self._resolved[key])


@dataclass(frozen=True)
class Context:
    judge: Judge
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    profiler: str = "generic"
    depth: int = 0
    make_goal_only: bool = False
    """`make GOAL` predicts only the goal's own recipe: `check` lists every target of the project's Makefile as
    a command of its own, so following prerequisites again would repeat their findings (and cost O(n^2) on a
    deep chain)."""

    @property
    def target(self) -> str:
        return self.judge.target

    @property
    def path(self) -> str:
        return self.env.get("PATH", os.defpath)

    def evolve(self, **changes: object) -> Context:
        """dataclasses.replace without re-running __init__: a Makefile of thousands of targets makes tens of
        thousands of contexts, and replace() was a tenth of check's time there."""
        clone = object.__new__(Context)
        clone.__dict__.update(self.__dict__, **changes)
        return clone

    def deeper(self) -> Context:
        return self.evolve(depth=self.depth + 1)

    def with_env(self, extra: Mapping[str, str]) -> Context:
        return self.evolve(env={**self.env, **extra}) if extra else self

    def with_cwd(self, cwd: str | None) -> Context:
        if not cwd:
            return self
        return self.evolve(cwd=Path(os.path.expanduser(cwd)) if cwd.startswith("~") else self.cwd / cwd)

    def prepend_path(self, dirs: list[str]) -> Context:
        if not dirs:
            return self
        return self.with_env({"PATH": os.pathsep.join([*dirs, self.path])})
