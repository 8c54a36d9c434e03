"""What the predictor knows while it follows a command: the child's environment, directory, and the judge."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from sipdoctor.binaries.resolve import PathIndex
from sipdoctor.binaries.script import SHEBANG_READ, Shebang, parse_shebang, read_shebang
from sipdoctor.machines.base import Machine
from sipdoctor.machines.host import HostMachine
from sipdoctor.model import Reason, Verdict

if TYPE_CHECKING:
    from sipdoctor.binaries import Assumptions, VerdictCache

T = TypeVar("T")


class Judge:
    """One Machine (sipdoctor.machines) and the binary-verdict code behind one memo, so a tree asks once per file.

    Every "what runs by this name, and what is it" question of the predictor goes through here to the machine
    the command is judged on: this computer, a shipped model of a Mac, or a Mac file system under --root. A
    file the machine has no verdict for is read by sipdoctor.binaries where the machine keeps its bytes. One per
    run and machine: its PathIndex lists each of this computer's PATH directories once.
    """

    def __init__(self, assumptions: Assumptions, cache: VerdictCache | None = None,
                 machine: Machine | None = None) -> None:
        self.assumptions = assumptions
        self.cache = cache
        self.path_index = PathIndex()
        self.machine: Machine = machine or HostMachine(str(assumptions.target), assumptions.sip, assumptions.arch)
        if isinstance(self.machine, HostMachine) and self.machine.resolver is None:
            self.machine.resolver = self.path_index.resolve
        self._verdicts: dict[tuple[str, str], tuple[Verdict, tuple[Reason, ...]]] = {}
        self._shebangs: dict[str, Shebang | None] = {}
        self._resolved: dict[tuple[str, str], list[str]] = {}
        self._others: dict[str, Judge] = {}
        self._real: dict[str, str] = {}
        self._files: dict[str, bool] = {}
        self._exists: dict[str, bool] = {}
        self._once: dict[tuple[str, ...], object] = {}

    @property
    def target(self) -> str:
        return self.machine.target

    def on(self, machine: Machine) -> Judge:
        """The judge for another machine (a workflow job's runner), sharing this run's verdict cache."""
        key = f"{machine.name}|{machine.default_path}|{machine.which('bash')}"
        if key not in self._others:
            self._others[key] = Judge(self.assumptions, self.cache, machine)
        return self._others[key]

    def verdict(self, path: str, env_path: str) -> tuple[Verdict, tuple[Reason, ...]]:
        key = (path, env_path)
        if key not in self._verdicts:
            known = self.machine.known_verdict(path)
            if known is None:
                from sipdoctor.binaries.judge import judge_file  # the binary readers: only once a file is judged

                report = judge_file(self.machine.host_file(path), self.assumptions, env_path=env_path,
                                    cache=self.cache, resolve=self.resolve)
                known = self.machine.adjust(path, (report.verdict, tuple(report.reasons)))
            self._verdicts[key] = known
        return self._verdicts[key]

    def shebang(self, path: str) -> Shebang | None:
        if path not in self._shebangs:
            self._shebangs[path] = self._read_shebang(path)
        return self._shebangs[path]

    def _read_shebang(self, path: str) -> Shebang | None:
        if self.machine.is_host:
            try:
                return read_shebang(path)
            except OSError:
                return None
        head = self.machine.read_head(path, SHEBANG_READ)
        return parse_shebang(head) if head else None

    def resolve(self, name: str, env_path: str) -> list[str]:
        """Every match on PATH, memoised: one tree looks the same names up on the same long PATH."""
        key = (name, env_path)
        if key not in self._resolved:
            self._resolved[key] = self.machine.resolve(name, env_path)
        return list(self._resolved[key])

    def realpath(self, path: str) -> str:
        """The machine's realpath, once per path: a Makefile of thousands of targets runs the same programs."""
        if path not in self._real:
            self._real[path] = self.machine.realpath(path)
        return self._real[path]

    real_path = realpath

    def is_file(self, path: str) -> bool:
        if path not in self._files:
            self._files[path] = self.machine.is_file(path)
        return self._files[path]

    def exists(self, path: str) -> bool:
        """exists on the machine, once per path (`make X` looks for the same Makefile names for every target)."""
        if path not in self._exists:
            self._exists[path] = self.machine.exists(path)
        return self._exists[path]

    def once(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        """compute() the first time `key` is asked in this run, then its answer (an exception is not kept):
        a project file read for each of thousands of commands (a Makefile's targets) is read and parsed once."""
        if key not in self._once:
            self._once[key] = compute()
        return cast(T, self._once[key])

    def read_text(self, path: str, limit: int = 16384) -> str:
        head = self.machine.read_head(path, limit)
        return head.decode("utf-8", "replace") if head else ""


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
    def machine(self) -> Machine:
        return self.judge.machine

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
        if not cwd or cwd == str(self.cwd):
            return self
        return self.evolve(cwd=Path(os.path.expanduser(cwd)) if cwd.startswith("~") else self.cwd / cwd)

    def prepend_path(self, dirs: list[str]) -> Context:
        if not dirs:
            return self
        return self.with_env({"PATH": os.pathsep.join([*dirs, self.path])})
