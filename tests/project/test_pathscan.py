from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions
from sipdoctor.project.pathscan import collect_path_facts
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
