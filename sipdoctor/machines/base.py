"""The one boundary for "what runs by this name here, and what is it": a Machine.

Every question the predictor asks about a program outside the project goes through a Machine: PATH lookup,
symlinks, shebangs, the first bytes of a wrapper script, and the loader's verdict. Three implementations:
HostMachine (this computer's files), ModelMachine (a shipped model of a Mac or a GitHub runner) and RootMachine
(a directory laid out as a Mac's file system, `--root DIR`). The project's own files (package.json, Makefile,
scripts, node_modules/.bin) are the same on every machine, so every Machine reads paths under its `shared`
directories from this computer's disk.
"""

from __future__ import annotations

import copy
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sipdoctor.model import Reason, Verdict

Judged = tuple[Verdict, tuple[Reason, ...]]
HEAD_BYTES = 16384


@dataclass(frozen=True)
class SipState:
    """SIP on a machine: "on", "off" or "unknown"; what the verdicts assume; and what that rests on."""

    state: str
    assumed: str  # "on" | "off" | "debug-off": what Assumptions.sip gets
    evidence: str

    def to_json(self) -> dict[str, str]:
        return {"state": self.state, "assumed": self.assumed, "evidence": self.evidence}


class Machine(ABC):
    """A Mac (or this host) that a command is judged on."""

    name: str
    label: str  # "this Mac", "GitHub's macos-15 arm64 runner", "a developer Mac ... (model)"
    kind: str  # "host" | "model" | "root"
    arch: str  # "arm64" | "x86_64"
    target: str  # "macos" | "linux": whose loader rules apply
    sip: SipState
    homebrew: str | None = None
    note: str = ""  # why this machine was chosen, when it was a guess (a self-hosted label...)

    def __init__(self, shared: Sequence[str] = ()) -> None:
        self.shared = tuple(os.path.abspath(d) for d in shared)
        self._reached: set[str] = set()  # files outside `shared` that a project file links to

    def sharing(self, directory: str) -> Machine:
        """This machine with one more directory of the project's own files (the fix plan's scratch copy)."""
        clone = copy.copy(self)
        clone.shared = (*self.shared, os.path.abspath(directory))
        clone._reached = set(self._reached)
        return clone

    def shared_realpath(self, path: str) -> str:
        """A project file's symlinks resolved on this computer; where they lead is the project's too."""
        try:
            real = os.path.realpath(path, strict=True)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the path
            return path
        self._reached.add(real)
        return real

    # -- the questions -------------------------------------------------------------------------------------
    @abstractmethod
    def resolve(self, name: str, env_path: str) -> list[str]:
        """Every executable named `name` on env_path, in order (what execvp and env(1) search)."""

    @abstractmethod
    def realpath(self, path: str) -> str:
        """`path` with its symlinks resolved on this machine; `path` itself when missing or looping."""

    @abstractmethod
    def is_file(self, path: str) -> bool:
        """True when a regular file is at `path` on this machine."""

    @abstractmethod
    def is_dir(self, path: str) -> bool:
        """True when a directory is at `path` on this machine."""

    def exists(self, path: str) -> bool:
        return self.is_file(path) or self.is_dir(path)

    @abstractmethod
    def read_head(self, path: str, limit: int = HEAD_BYTES) -> bytes | None:
        """The first bytes of the file at `path`, None when it cannot be read (or the model holds no text)."""

    @abstractmethod
    def known_verdict(self, path: str) -> Judged | None:
        """The verdict this machine knows without reading a binary (a model's data), else None: then the judge
        (chains.context.Judge, with sipdoctor.binaries) reads `host_file(path)` and passes it to `adjust`."""

    @abstractmethod
    def host_file(self, path: str) -> str:
        """Where the bytes of this machine's `path` are on this computer (the same path, or under --root)."""

    def adjust(self, path: str, judged: Judged) -> Judged:
        """The binary judge's answer for host_file(path), restated for this machine (paths, SIP by location)."""
        return judged

    # -- derived -------------------------------------------------------------------------------------------
    def which(self, name: str, env_path: str | None = None) -> str | None:
        found = self.resolve(name, self.default_path if env_path is None else env_path)
        return found[0] if found else None

    @property
    @abstractmethod
    def default_path(self) -> str:
        """PATH of a process started on this machine (a login shell's; a `run:` step's on a runner)."""

    def environment(self, host_env: Mapping[str, str]) -> dict[str, str]:
        """The environment commands start with here (a model does not inherit this computer's)."""
        return dict(host_env)

    @property
    def is_host(self) -> bool:
        return self.kind == "host"

    def is_shared(self, path: str) -> bool:
        """True for the project's own files: read from this computer's disk whatever the machine."""
        if not os.path.isabs(path) or path in self._reached:
            return True
        return any(path == d or path.startswith(d.rstrip("/") + "/") for d in self.shared)

    def _default_bash(self) -> str | None:
        """which("bash") on the default PATH, once per PATH: every predicted command carries the machine's JSON."""
        memo: dict[str, str | None] = self.__dict__.setdefault("_bash_on", {})
        path = self.default_path
        if path not in memo:
            memo[path] = self.which("bash")
        return memo[path]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "label": self.label, "kind": self.kind, "arch": self.arch,
                               "sip": self.sip.to_json(), "homebrew": self.homebrew, "bash": self._default_bash()}
        if self.note:
            out["note"] = self.note
        return out


def executable_in(directory: str, name: str) -> str | None:
    """`directory/name` when it is an executable regular file of this computer (execvp's test)."""
    import stat

    candidate = os.path.abspath(os.path.join(directory or ".", name))
    try:
        mode = os.stat(candidate).st_mode
    except (OSError, ValueError):
        return None
    return candidate if stat.S_ISREG(mode) and os.access(candidate, os.X_OK) else None
