from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions
from sipdoctor.chains.context import Judge
from sipdoctor.macos_paths import is_protected_path
from sipdoctor.project.pathscan import collect_path_facts, scripts_on_path
from sipdoctor.system import System
from tests.conftest import write_executable


def test_path_entries_resolution_shadowing_and_scripts(tmp_path: Path) -> None:
    if not shutil.which("env", path="/usr/bin"):
        pytest.skip("no /usr/bin/env")
    managed = tmp_path / "managed"
    managed.mkdir()
    shutil.copy("/bin/true", managed / "env")
    write_executable(managed / "tool", "#!/usr/bin/env node\n")
    path = f"/usr/bin:{managed}:{tmp_path / 'missing'}:/usr/bin"
    system = System(platform="linux", env={"PATH": path, "HOME": str(tmp_path)})
    facts = collect_path_facts(system, Assumptions(target="macos"))
    json.dumps(facts)
    entries = facts["path"]["entries"]
    assert [(e["protected"], e["exists"], e["duplicate_of"]) for e in entries] == [
        (True, True, None), (False, True, None), (False, False, None), (True, True, 0)]
    env = next(c for c in facts["path"]["commands"] if c["name"] == "env")
    assert [c["path"] for c in env["candidates"]] == ["/usr/bin/env", str(managed / "env")]
    assert {"command": "env", "winner": "/usr/bin/env", "later": str(managed / "env"), "protected_dir": "/usr/bin",
            "later_dir": str(managed), "later_verdict": env["candidates"][1]["verdict"]} in facts["path"]["shadowing"]
    tool = next(s for s in facts["path"]["scripts"] if s["path"] == str(managed / "tool"))
    assert tool["chain"][0] == "/usr/bin/env" and tool["stripping_interpreter"] == "/usr/bin/env"
    assert set(facts["toolchains"]) >= {"homebrew", "uv", "pyenv", "nvm", "fnm", "volta", "mise", "asdf",
                                        "rustup", "corepack"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/usr/bin/env", True), ("/usr/local/bin/node", False), ("/usr/libexec/cups/x", False), ("/bin", True),
     ("/sbin/", True), ("//usr/bin/env", True), ("/./usr/bin", True), ("/usr/../opt/x", False),
     ("/System/Library", True), ("/opt/usr/bin", False), ("usr/bin/env", False), ("node (not found)", False),
     ("/", False), ("", False), ("/root/.cache/d0001", False), ("/usr", True), ("/usr/localx/bin", True),
     ("/usr/share/man/man1/ls.1", False), ("/bin2/x", False)],
)
def test_is_protected_path(path: str, expected: bool) -> None:
    assert is_protected_path(path) is expected


def test_scripts_on_path_reads_executable_regular_files_once(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_executable(first / "tool", "#!/usr/bin/env node\n")
    write_executable(first / "plain", "#!/bin/sh\nexit 0\n")
    (first / "readme").write_text("#!/bin/sh\n")  # not executable: not a script on PATH
    (first / "sub").mkdir()
    os.mkfifo(first / "pipe")  # never opened: a FIFO would block a plain open
    (second / "link").symlink_to(first / "tool")
    (second / "fifo-link").symlink_to(first / "pipe")
    (second / "loop").symlink_to(second / "loop")
    write_executable(second / "node", "#!/bin/sh\n")
    write_executable(second / "binary", "\x7fELF")
    env_path = os.pathsep.join([str(first), str(second), f"{first}/", str(tmp_path / "missing")])
    scripts = scripts_on_path(env_path, Judge(Assumptions(target="macos")))
    by_path = {s["path"]: s for s in scripts}
    assert sorted(by_path) == sorted([str(first / "tool"), str(first / "plain"), str(second / "link"),
                                      str(second / "node")])
    assert by_path[str(second / "link")]["chain"] == ["/usr/bin/env", str(second / "node")]
    assert by_path[str(first / "plain")] == {"path": str(first / "plain"), "shebang": "#!/bin/sh",
                                             "chain": ["/bin/sh"], "stripping_interpreter": "/bin/sh"}
    assert by_path[str(first / "tool")]["chain"] is not by_path[str(second / "link")]["chain"]


def test_path_lookups_share_one_listing_per_directory(tmp_path: Path) -> None:
    managed = tmp_path / "managed"
    managed.mkdir()
    write_executable(managed / "node", "#!/bin/sh\n")
    judge = Judge(Assumptions(target="linux"))
    env_path = f"{managed}{os.pathsep}{tmp_path / 'missing'}"
    system = System(platform="linux", env={"PATH": env_path, "HOME": str(tmp_path)})
    facts = collect_path_facts(system, Assumptions(target="linux"), judge)
    listing = judge.path_index.listing(str(managed))
    assert judge.path_index.directories(env_path)[0][1] is listing
    node = next(c for c in facts["path"]["commands"] if c["name"] == "node")
    assert [c["path"] for c in node["candidates"]] == [str(managed / "node")]
