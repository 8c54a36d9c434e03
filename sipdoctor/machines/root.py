"""RootMachine: a directory laid out as a Mac's file system (`--root DIR`: a test tree or a mounted Mac disk).

A path on the Mac, /usr/bin/env, is the file DIR/usr/bin/env here; an absolute symlink inside the tree points
into the tree, as it would on the Mac. Binaries are judged from their real bytes (Mach-O parsing, signatures);
where SIP protects a file is judged by its path on the Mac, not by where the tree sits on this computer.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sipdoctor.machines.base import HEAD_BYTES, Judged, Machine, SipState
from sipdoctor.machines.catalog import BASE_PATH, DEV_HOME
from sipdoctor.model import Reason, Verdict

if TYPE_CHECKING:
    from sipdoctor.binaries import Shebang

MAX_LINKS = 40  # MAXSYMLINKS on macOS


class RootMachine(Machine):
    kind = "root"
    target = "macos"

    def __init__(self, root: str, arch: str = "arm64", sip: str = "on", shared: tuple[str, ...] = ()) -> None:
        super().__init__(shared)
        self.root = os.path.abspath(root)
        self.arch = arch
        self.name = f"root:{self.root}"
        self.label = f"the Mac file system under {self.root}"
        self.sip = SipState(sip, "off" if sip == "off" else "on", "given with --sip (default on)")
        self.homebrew = next((p for p in ("/opt/homebrew", "/usr/local")
                              if os.path.isfile(self.host_path(f"{p}/bin/brew"))), None)

    def host_path(self, mac_path: str) -> str:
        return self.root + posixpath.normpath("/" + mac_path)

    @property
    def default_path(self) -> str:
        brew = ("/opt/homebrew/bin", "/opt/homebrew/sbin") if self.homebrew == "/opt/homebrew" else ()
        return ":".join((*brew, *BASE_PATH))

    def environment(self, host_env: Mapping[str, str]) -> dict[str, str]:
        return {"PATH": self.default_path, "HOME": DEV_HOME, "SHELL": "/bin/zsh"}

    def resolve(self, name: str, env_path: str) -> list[str]:
        from sipdoctor.binaries.resolve import resolve_command

        if "/" in name:
            return [name] if self._executable(name) else []
        matches: list[str] = []
        for directory in env_path.split(":"):
            candidate = posixpath.join(directory or ".", name)
            if self.is_shared(candidate):
                found = resolve_command(name, directory or ".")
                candidate = found[0] if found else ""
            elif not self._executable(candidate):
                candidate = ""
            if candidate and candidate not in matches:
                matches.append(candidate)
        return matches

    def _executable(self, path: str) -> bool:
        try:
            mode = os.stat(self.host_path(self.realpath(path))).st_mode
        except (OSError, ValueError):
            return False
        return stat.S_ISREG(mode) and bool(mode & 0o111)

    def realpath(self, path: str) -> str:
        """Resolve symlinks component by component, an absolute target restarting at the tree's root."""
        if self.is_shared(path):
            return self.shared_realpath(path)
        pending = [p for p in posixpath.normpath(path).split("/") if p]
        done = ""
        for _ in range(MAX_LINKS * 8):
            if not pending:
                return done or "/"
            part = pending.pop(0)
            current = posixpath.normpath(f"{done}/{part}")
            try:
                target = os.readlink(self.host_path(current))
            except OSError:
                done = current
                continue
            base = "" if target.startswith("/") else done
            pending = [p for p in posixpath.normpath(f"{base}/{target}").split("/") if p] + pending
            done = ""
        return path  # a loop

    def is_file(self, path: str) -> bool:
        if self.is_shared(path):
            return os.path.isfile(path)
        return os.path.isfile(self.host_path(self.realpath(path)))

    def is_dir(self, path: str) -> bool:
        if self.is_shared(path):
            return os.path.isdir(path)
        return os.path.isdir(self.host_path(self.realpath(path)))

    def read_head(self, path: str, limit: int = HEAD_BYTES) -> bytes | None:
        from sipdoctor.machines.host import read_head

        return read_head(path if self.is_shared(path) else self.host_path(self.realpath(path)), limit)

    def shebang(self, path: str) -> Shebang | None:
        from sipdoctor.binaries.script import parse_shebang

        head = self.read_head(path, 1024)
        return parse_shebang(head) if head else None

    def verdict(self, path: str, env_path: str) -> Judged:
        from sipdoctor.binaries import Assumptions, judge_file
        from sipdoctor.macos_paths import is_protected_path

        assume = Assumptions("macos", self.sip.assumed, self.arch)
        if self.is_shared(path):
            report = judge_file(path, assume, env_path=env_path, resolve=self.resolve)
            return report.verdict, tuple(report.reasons)
        real = self.realpath(path)
        report = judge_file(self.host_path(real), assume, env_path=env_path, resolve=self.resolve)
        reasons = tuple(Reason(r.code, r.message.replace(self.root, "")) for r in report.reasons)
        protected = next((p for p in (path, real) if is_protected_path(p)), None)
        if protected is not None and self.sip.assumed == "on" and report.verdict != Verdict.UNKNOWN:
            return Verdict.STRIPPED, (Reason("sip-protected-path", f"{protected} is in a SIP-protected "
                                                                    f"directory on {self.label}"), *reasons)
        return report.verdict, reasons
