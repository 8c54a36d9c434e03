"""--emulate-sip: make a Linux trace behave as macOS would.

The tracer writes the paths of the executables macOS ships in SIP-protected directories (the macOS 15.4 list
in sipdoctor/data, read through sipdoctor.macos_paths) to a file named in $SIPDOCTOR_EMULATE_SIP. The probe
(native/sipdoctor_probe.c, emulated_protected) compares each process's executable against that file and, on a
match, removes LD_PRELOAD and every DYLD_* variable from the environment and stays inert, as dyld does on a Mac
(dyld/DyldProcessConfig.cpp pruneEnvVars; docs/macos-facts.md#prune).

Host layout: Debian links /bin to /usr/bin, so `/bin/bash` runs with /proc/self/exe = /usr/bin/bash. Each
macOS path is written as is (matched against AT_EXECFN, the path as executed) and with its directory
resolved on this host (matched against /proc/self/exe). Only the directory is resolved: a file symlink such as
/usr/bin/python3 -> python3.11 would otherwise mark every python3.11 as protected.
"""

from __future__ import annotations

import os
from pathlib import Path

from sipdoctor.macos_paths import is_protected_path, shipped_binaries

EMULATE_ENV = "SIPDOCTOR_EMULATE_SIP"  # native/sipdoctor_probe.c EMULATE_VAR
LIST_NAME = "emulate-sip.txt"


def host_forms(mac_path: str) -> set[str]:
    """The macOS path itself and, when it exists here, the same name in its resolved directory."""
    forms = {mac_path}
    directory, name = os.path.split(mac_path)
    if os.path.isdir(directory):
        forms.add(os.path.join(os.path.realpath(directory), name))
    return forms


def protected_paths() -> list[str]:
    """Every path form that --emulate-sip treats as a SIP-protected executable on this host."""
    paths: set[str] = set()
    for mac_path in shipped_binaries():
        if is_protected_path(mac_path):
            paths |= host_forms(mac_path)
    return sorted(paths)


def write_protected_list(trace_dir: Path) -> Path:
    target = trace_dir / LIST_NAME
    target.write_text("\n".join(protected_paths()) + "\n", encoding="utf-8")
    return target


def is_emulated_protected(path: str, protected: frozenset[str]) -> bool:
    """The probe's test, for processes judged from a record or an observation instead of the probe itself."""
    if not path:
        return False
    candidates = {path, os.path.realpath(path)} if path.startswith("/") else {path}
    return bool(candidates & protected)
