"""HostMachine: the computer sipdoctor runs on, read from its real files."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable

from sipdoctor.machines.base import HEAD_BYTES, Judged, Machine, SipState, executable_in

Resolver = Callable[[str, str], list[str]]


def read_head(path: str, limit: int = HEAD_BYTES) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except (OSError, ValueError):
        return None


def host_arch() -> str:
    machine = platform.machine().lower()
    return "arm64" if machine in ("arm64", "aarch64") else "x86_64"


def resolve_on_disk(name: str, env_path: str) -> list[str]:
    """Every executable named `name` on env_path, in order (what execvp tries)."""
    if "/" in name:
        found = executable_in(".", name)
        return [found] if found else []
    matches: list[str] = []
    for directory in env_path.split(os.pathsep):
        found = executable_in(directory, name)
        if found and found not in matches:
            matches.append(found)
    return matches


class HostMachine(Machine):
    kind = "host"

    def __init__(self, target: str, sip: str = "on", arch: str | None = None, sip_evidence: str = "",
                 shared: tuple[str, ...] = (), resolver: Resolver | None = None) -> None:
        super().__init__(shared)
        self.resolver = resolver  # the run's PathIndex (sipdoctor.binaries.resolve), set by the judge
        self.target = target
        self.arch = arch or host_arch()
        self.name = "host"
        on_mac = platform.system() == "Darwin"
        self.label = "this Mac" if on_mac else "this computer"
        state = {"on": "on", "off": "off", "debug-off": "off"}.get(sip, "on")
        self.sip = SipState(state if on_mac else "n/a", sip,
                            sip_evidence or ("read on this Mac" if on_mac else "not a Mac"))
        self.homebrew = next((p for p in ("/opt/homebrew", "/usr/local") if os.path.isfile(f"{p}/bin/brew")), None) \
            if on_mac else None

    @property
    def default_path(self) -> str:
        return os.environ.get("PATH", os.defpath)

    def resolve(self, name: str, env_path: str) -> list[str]:
        return (self.resolver or resolve_on_disk)(name, env_path)

    def realpath(self, path: str) -> str:
        try:
            return os.path.realpath(path, strict=True)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the path
            return path

    def is_file(self, path: str) -> bool:
        return os.path.isfile(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def read_head(self, path: str, limit: int = HEAD_BYTES) -> bytes | None:
        return read_head(path, limit)

    def known_verdict(self, path: str) -> Judged | None:
        return None

    def host_file(self, path: str) -> str:
        return path
