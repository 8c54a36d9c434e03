"""--emulate-sip's list of protected executables, with the host's directory links resolved."""

from __future__ import annotations

import os

from sipdoctor.trace.emulate import host_forms, is_emulated_protected, protected_paths


def test_macos_shipped_binaries_are_listed() -> None:
    paths = set(protected_paths())
    assert {"/bin/sh", "/bin/bash", "/usr/bin/env", "/usr/bin/python3", "/usr/bin/make"} <= paths
    assert not any(p.startswith("/usr/local/") for p in paths)


def test_directory_links_add_the_resolved_form() -> None:
    forms = host_forms("/bin/bash")
    assert "/bin/bash" in forms
    assert os.path.join(os.path.realpath("/bin"), "bash") in forms


def test_file_links_are_not_followed_into_the_list() -> None:
    """/usr/bin/python3 -> python3.11 on Debian: python3.11 itself is not a macOS binary."""
    paths = set(protected_paths())
    target = os.path.realpath("/usr/bin/python3")
    if target != "/usr/bin/python3":
        assert target not in paths


def test_matching_as_executed_and_as_resolved() -> None:
    protected = frozenset(protected_paths())
    assert is_emulated_protected("/bin/sh", protected)
    assert is_emulated_protected("/usr/bin/env", protected)
    assert not is_emulated_protected("/usr/local/bin/node", protected)
    assert not is_emulated_protected("", protected)
