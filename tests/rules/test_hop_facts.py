"""The fix facts sipdoctor.project.fixes adds to each stripped hop, read from the predicted tree."""

from __future__ import annotations

import json
from pathlib import Path

from sipdoctor.check import CheckOptions, collect_facts_and_judge
from sipdoctor.system import System
from tests.chains import toolchains
from tests.chains.conftest import host_path
from tests.rules.conftest import link_node_modules


def test_npm_hops_carry_the_direct_invocation(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    scripts = {"bench": "vitest bench --run", "perf": "npx vitest bench", "test": "vitest run"}
    (project / "package.json").write_text(json.dumps({"name": "p", "scripts": scripts}))
    link_node_modules(project, toolchains.npm_project())
    system = System(platform="linux", env={"PATH": host_path(), "HOME": str(project)})
    stripped = collect_facts_and_judge(system, CheckOptions(project=project, target="macos"))[0]["project"]["stripped"]
    facts = {(h["command"]["run_as"], h["path"], h["cause"]): {**h, "command": h["command"]["run_as"]}
             for h in stripped}
    top = facts[("npm run bench", "/usr/bin/env", None)]
    assert top["invoked_as"] == "npm run bench" and top["top_level"] and not top["replaceable"]
    assert top["direct"].startswith("node /") and top["direct"].endswith("/npm-cli.js run bench")
    tool = next(e for e in facts.values()
                if e["command"] == "npm run bench" and e["invoked_as"] == "vitest bench --run")
    assert tool["direct"] == "node node_modules/vitest/vitest.mjs bench --run"
    assert tool["replaceable"] and tool["spawned_by"] == "sh" and tool["edit_file"] == "package.json"
    shell = next(e for e in facts.values() if e["command"] == "npm run bench" and e["role"] == "shell")
    assert shell["spawned_by"] == "npm" and shell["direct"] is None
    launched = [e for e in facts.values() if e["command"] == "npm run perf" and e["launcher"] == "npx"]
    assert launched and {e["direct"] for e in launched} == {"node node_modules/vitest/vitest.mjs bench"}
    assert all(e["invoked_as"] == "npx vitest bench" and e["replaceable"] for e in launched)


def test_text_found_twice_on_the_commands_line_is_not_replaceable(tmp_path: Path) -> None:
    """All scripts on one line: `vitest bench` stands as a whole command twice there; on their own lines,
    each script's text is found once on its line (the other script's longer command does not count)."""
    project = tmp_path / "p"
    project.mkdir()
    scripts = {"bench:ci": "vitest bench && echo ci", "bench": "vitest bench", "x": "vitest bench --verbose"}
    link_node_modules(project, toolchains.npm_project())
    system = System(platform="linux", env={"PATH": host_path(), "HOME": str(project)})
    for indent, replaceable in ((None, False), (2, True)):
        (project / "package.json").write_text(json.dumps({"name": "p", "scripts": scripts}, indent=indent))
        facts, _ = collect_facts_and_judge(system, CheckOptions(project=project, target="macos"))
        stripped = facts["project"]["stripped"]
        tool = [h for h in stripped if h["invoked_as"] == "vitest bench" and h["command"]["name"] == "bench"]
        assert tool and all(h["replaceable"] == replaceable for h in tool)


def test_ignored_hops_mark_the_workload() -> None:
    from sipdoctor.project.fixes import ignored_hops

    def hop(path: str, verdict: str) -> dict:
        reasons = [{"code": "hardened-runtime", "message": "flags=0x10000(runtime)"}] if verdict == "ignored" else []
        return {"path": path, "argv": [path], "verdict": verdict, "reasons": reasons}

    leaf = {"argv": ["tool"], "chain": [hop("/opt/tool", "ignored")], "children": [], "notes": []}
    launcher = {"argv": ["uvx", "x"], "chain": [hop("/opt/uvx", "ignored")], "children": [leaf], "notes": []}
    command = {"source": "package.json", "file": "package.json", "line": 3, "name": "bench", "run_as": "npm run bench",
               "benchmark": True, "tree": {"command": "npm run bench", "children": [launcher], "notes": []},
               "stripped_hops": []}
    found = ignored_hops([command])
    assert [(h["path"], h["workload"]) for h in found] == [("/opt/uvx", False), ("/opt/tool", True)]
    assert found[1]["reason_codes"] == ["hardened-runtime"] and "tree" not in found[1]["command"]
