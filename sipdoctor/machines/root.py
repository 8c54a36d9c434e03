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

from sipdoctor.machines.base import HEAD_BYTES, Judged, Machine, SipState, executable_in
from sipdoctor.machines.catalog import BASE_PATH, DEV_HOME
from sipdoctor.macos_paths import is_protected_path
from sipdoctor.model import Reason, Verdict

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
        if "/" in name:
            return [name] if self._executable(name) else []
        matches: list[str] = []
        for directory in env_path.split(":"):
            candidate = posixpath.join(directory or ".", name)
            if self.is_shared(candidate):
                candidate = executable_in(directory, name) or ""
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

    def known_verdict(self, path: str) -> Judged | None:
        return None  # the tree holds real binaries: the binary judge reads them

    def host_file(self, path: str) -> str:
        return path if self.is_shared(path) else self.host_path(self.realpath(path))

    def adjust(self, path: str, judged: Judged) -> Judged:
        """Reasons name the Mac's paths; SIP protects by the Mac path, not by where the tree sits here."""
        if self.is_shared(path):
            return judged
        verdict, found = judged
        reasons = tuple(Reason(r.code, r.message.replace(self.root, "")) for r in found)
        protected = next((p for p in (path, self.realpath(path)) if is_protected_path(p)), None)
        if protected is not None and self.sip.assumed == "on" and verdict != Verdict.UNKNOWN:
            return Verdict.STRIPPED, (Reason("sip-protected-path", f"{protected} is in a SIP-protected "
                                                                    f"directory on {self.label}"), *reasons)
        return verdict, reasons
