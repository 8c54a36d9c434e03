"""Every rule: facts it fires on and facts it must stay quiet on; and CHN001's choice of remediation follows
the toolchains installed (never a `brew` command without saying to install Homebrew first)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sipdoctor.advice.engine import evaluate_rule
from sipdoctor.advice.loader import load_rules

RULES = {r.id: r for r in load_rules(include_user=False).rules}

# Rule -> edits of its example facts (path, value) after which it must not fire.
QUIET: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
    "SIP001": [(("sip", "dyld_env_stripping"), False)],
    "SIP002": [(("sip", "status"), "enabled")],
    "SIP003": [(("sip", "readable"), True)],
    "SIP004": [(("sip", "disagreements"), [])],
    "SIP005": [(("host", "target"), "linux")],
    "LNX001": [(("linux", "ld_so_preload", "entries"), [])],
    "LNX002": [(("linux", "ld_preload"), None)],
    "LNX003": [(("linux", "secure_execution"), False)],
    "CHN001": [(("profiler",), "codspeed"), (("project", "causes", 0, "reinjected_below"), True)],
    "CHN002": [(("profiler",), "generic")],
    "CHN003": [(("project", "stripped", 0, "verdict"), "stripped")],
    "CHN004": [(("project", "others_losing"), [])],
    "CHN005": [(("project", "package", "yarn_berry"), False)],
    "CHN006": [(("project", "ignored", 0, "workload"), False)],
    "CHN007": [(("project", "commands", 0, "filters"), [])],
    "PTH001": [(("path", "shadowing"), [])],
    "TRC001": [(("trace", "blind_spots", 0, "percent"), 0)],
    "TRC002": [(("trace", "missed_estimate"), 0)],
    "TRC003": [(("trace", "incomplete"), None)],
    "VNV001": [(("project", "venvs", 0, "interpreters", 0, "verdict"), "profiled")],
    "PRJ001": [(("project", "problems"), [])],
    "MCH001": [(("project", "commands", 0, "unverified"), [])],
    "MCH002": [(("project", "machines", 0, "sip"), "on")],
    "MCH003": [(("project", "machines", 0, "note"), None)],
    "MCH004": [(("project", "unjudged", 0, "benchmark"), False)],
    "MCH005": [(("project", "unjudged", 0, "benchmark"), True)],
    "ONB001": [(("onboarding", 0, "stripped_at"), None)],
    "ONB002": [(("onboarding", 0, "stripped_at"), None)],
    "ONB003": [(("onboarding", 0, "stripped_at"), None)],
    "ONB004": [(("onboarding", 0, "verdict"), "profiled")],
}


def edited(facts: dict[str, Any], edits: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    out = copy.deepcopy(facts)
    for path, value in edits:
        target: Any = out
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return out


def test_every_rule_has_a_quiet_case() -> None:
    assert set(QUIET) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_fires_on_its_example_and_not_when_the_cause_is_gone(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.example is not None
    assert evaluate_rule(rule, rule.example)
    assert evaluate_rule(rule, edited(rule.example, QUIET[rule_id])) == []


def hop(**fields: Any) -> dict[str, Any]:
    base = {"path": "/bin/sh", "name": "sh", "via": None, "argv": ["sh", "-c", "vitest bench --run"],
            "verdict": "stripped", "cause": None, "why": "npm runs script `bench` with `sh -c`", "role": "shell",
            "reinjected_below": False, "invoked_as": "sh -c 'vitest bench --run'", "direct": None,
            "direct_verdict": "stripped", "top_level": False, "replaceable": False, "spawned_by": "npm",
            "launcher": None, "edit_file": "package.json", "venv": None, "step_line": None,
            "command": {"source": "package.json", "file": "/p/package.json", "line": 5, "name": "bench",
                        "command": "vitest bench --run", "run_as": "npm run bench", "benchmark": True}}
    return {**base, **fields}


def cause(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "commands": [item["command"]], "label": f"`{item['command']['run_as']}`"}


def chn001(item: dict[str, Any], **toolchains: Any) -> list[dict[str, Any]]:
    tools = {"homebrew": {"installed": False}, "uv": {"installed": False}, "pyenv": {"installed": False},
             "non_system_shells": [], **toolchains}
    facts = {"profiler": "generic", "toolchains": tools, "path": {"commands": []},
             "project": {"stripped": [item], "causes": [cause(item)]}}
    (finding,) = evaluate_rule(RULES["CHN001"], facts)
    return [r.to_json() for r in finding.remediations]


def test_script_shell_uses_the_installed_shell_and_says_how_to_undo() -> None:
    (fix,) = chn001(hop(), non_system_shells=["/opt/homebrew/bin/bash"], portable_shell="bash")
    assert fix["edit"] == {"file": ".npmrc", "action": "append", "text": "script-shell=bash",
                           "with": None, "line": None, "lines": 1}
    assert "Delete the line to undo" in fix["text"]


def test_a_shell_not_first_on_path_is_not_written_by_its_path() -> None:
    (fix,) = chn001(hop(), non_system_shells=["/opt/homebrew/bin/bash"], portable_shell=None)
    assert fix["edit"] is None and fix["command"] == 'export PATH="/opt/homebrew/bin:$PATH"'


def test_without_homebrew_the_brew_command_comes_after_installing_it() -> None:
    (fix,) = chn001(hop())
    assert fix["command"].startswith("brew install bash") and "install Homebrew first" in fix["text"]
    (with_brew,) = chn001(hop(), homebrew={"installed": True})
    assert "Homebrew first" not in with_brew["text"]


def test_make_recipes_get_a_shell_line_and_pnpm_wrappers_the_direct_entry() -> None:
    make = hop(spawned_by="make", edit_file="Makefile",
               command={**hop()["command"], "source": "Makefile", "file": "/p/Makefile"})
    (fix,) = chn001(make, non_system_shells=["/usr/local/bin/bash"], portable_shell="bash")
    assert fix["edit"] == {"file": "Makefile", "action": "prepend", "text": "SHELL := bash",
                           "with": None, "line": None, "lines": 1}
    wrapper = hop(via="/p/node_modules/.bin/vitest", spawned_by="sh", invoked_as="vitest bench --run",
                  direct="node node_modules/vitest/vitest.mjs bench --run",
                  direct_portable="node node_modules/vitest/vitest.mjs bench --run", replaceable=True)
    fixes = chn001(wrapper)
    assert fixes[0]["edit"] == {"file": "package.json", "action": "replace", "text": "vitest bench --run",
                                "with": "node node_modules/vitest/vitest.mjs bench --run", "line": None,
                                "lines": 1}


def test_python_prefers_what_is_installed() -> None:
    python = hop(path="/usr/bin/python3", name="python3", argv=["python3", "bench.py"], role="xcode-stub",
                 invoked_as="python3 bench.py", spawned_by="make")
    with_uv = chn001(python, uv={"installed": True})
    assert [f["command"] for f in with_uv] == ["uv run --python 3.12 python bench.py"]
    with_pyenv = chn001(python, pyenv={"installed": True})
    assert [f["command"] for f in with_pyenv] == ["pyenv install 3.12 && pyenv local 3.12"]
    (nothing,) = chn001(python)
    assert nothing["command"].startswith("curl -LsSf https://astral.sh/uv/install.sh | sh")


def test_codspeed_reinjection_is_only_a_note() -> None:
    item = hop(role="env", path="/usr/bin/env", reinjected_below=True)
    facts = {"profiler": "codspeed", "toolchains": {}, "project": {"stripped": [item], "causes": [cause(item)]}}
    assert evaluate_rule(RULES["CHN001"], facts) == []
    (note,) = evaluate_rule(RULES["CHN002"], facts)
    assert note.severity.value == "info"
