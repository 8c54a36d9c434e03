"""HostMachine: the computer sipdoctor runs on, read from its real files."""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

from sipdoctor.machines.base import HEAD_BYTES, Judged, Machine, SipState

if TYPE_CHECKING:
    from sipdoctor.binaries import Assumptions, Shebang, VerdictCache


def read_head(path: str, limit: int = HEAD_BYTES) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except (OSError, ValueError):
        return None


def host_arch() -> str:
    machine = platform.machine().lower()
    return "arm64" if machine in ("arm64", "aarch64") else "x86_64"


class HostMachine(Machine):
    kind = "host"

    def __init__(self, assumptions: Assumptions, cache: VerdictCache | None = None, sip_evidence: str = "",
                 shared: tuple[str, ...] = ()) -> None:
        from sipdoctor.binaries.resolve import PathIndex

        super().__init__(shared)
        self.assumptions = assumptions
        self.cache = cache
        self.path_index = PathIndex()
        self.target = assumptions.target
        self.arch = assumptions.arch or host_arch()
        self.name = "host"
        on_mac = platform.system() == "Darwin"
        self.label = "this Mac" if on_mac else "this computer"
        state = {"on": "on", "off": "off", "debug-off": "off"}[assumptions.sip]
        self.sip = SipState(state if on_mac else "n/a", assumptions.sip,
                            sip_evidence or ("read on this Mac" if on_mac else "not a Mac"))

    @property
    def default_path(self) -> str:
        return os.environ.get("PATH", os.defpath)

    def resolve(self, name: str, env_path: str) -> list[str]:
        return self.path_index.resolve(name, env_path)

    def realpath(self, path: str) -> str:
        try:
            return os.path.realpath(path, strict=True)
        except (OSError, RuntimeError):
            return path

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def read_head(self, path: str, limit: int = HEAD_BYTES) -> bytes | None:
        return read_head(path, limit)

    def shebang(self, path: str) -> Shebang | None:
        from sipdoctor.binaries import read_shebang

        try:
            return read_shebang(path)
        except OSError:
            return None

    def verdict(self, path: str, env_path: str) -> Judged:
        from sipdoctor.binaries import judge_file

        report = judge_file(path, self.assumptions, env_path=env_path, cache=self.cache, resolve=self.resolve)
        return report.verdict, tuple(report.reasons)
