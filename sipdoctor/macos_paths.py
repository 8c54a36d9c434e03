"""Where SIP protects files on macOS, and which executables macOS ships there.

Protected directories: Apple's SIP guide ("All directories in /usr except for /usr/local are restricted to the
system") and the rootless.conf exclusions (docs/macos-facts.md#sip-protected). The executable list (macOS 15.4) is
data/macos-system-binaries.tsv, its sources in sipdoctor/data/macos-system-binaries.md.
"""

from __future__ import annotations

import csv
import functools
import posixpath
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath

PROTECTED_ROOTS = ("/System", "/usr", "/bin", "/sbin")
"""Roots under which SIP protects files (plus apps preinstalled with macOS, which are not command-line tools)."""

UNPROTECTED_EXCEPTIONS = ("/usr/local", "/usr/libexec/cups", "/usr/share/man", "/usr/share/snmp")
"""rootless.conf entries marked `*`: writable by third parties, so not SIP-protected."""


@dataclass(frozen=True)
class ShippedBinary:
    """An executable macOS ships in a protected directory."""

    path: str
    kind: str  # real | xcode-shim | script | unknown
    source: str

    @property
    def is_xcode_shim(self) -> bool:
        return self.kind == "xcode-shim"


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def is_protected_path(path: str) -> bool:
    """True when SIP protects this absolute path (judged lexically, as for a file on a Mac).

    String prefixes on the normalised path: PATH scans call this thousands of times per run."""
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = normal[1:]  # POSIX keeps a leading "//"; for macOS it is "/"
    if any(_under(normal, exc) for exc in UNPROTECTED_EXCEPTIONS):
        return False
    return any(_under(normal, root) for root in PROTECTED_ROOTS)


@functools.cache
def shipped_binaries() -> dict[str, ShippedBinary]:
    """Every executable in macOS's protected directories, keyed by absolute path."""
    text = resources.files("sipdoctor.data").joinpath("macos-system-binaries.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    out: dict[str, ShippedBinary] = {}
    for row in rows:
        path = f"{row['dir'].rstrip('/')}/{row['name']}"
        out[path] = ShippedBinary(path=path, kind=row["kind"], source=row["source"])
    return out


def shipped_binary(path: str) -> ShippedBinary | None:
    """The macOS-shipped executable at this path, if any."""
    return shipped_binaries().get(str(PurePosixPath(path)))
