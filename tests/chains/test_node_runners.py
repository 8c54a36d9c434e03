"""Node.js task runners (sipdoctor/chains/node_runners.py): concurrently's `/bin/sh -c`, npm-run-all's direct
`node <npm entry> run TASK`, their script patterns, and the fix `check` gives for concurrently's shell. Judged
on the developer-Mac model (`--target macos`), where npm is Homebrew's and nothing is installed in the project:
these runners are known without their install."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges the developer-Mac model")

SCRIPTS = {
    "bench": 'concurrently -k -s first -n srv,load "node server.js" "npm:load:*"',
    "load:a": "autocannon a",
    "load:b": "autocannon b",
    "all": 'run-s "bench:* -- --quick" lint',
    "bench:one": "node one.js",
    "bench:two": "node two.js",
    "bench:two:deep": "node deep.js",
    "lint": "eslint",
}
NPM_ENTRY = "/opt/homebrew/lib/node_modules/npm/bin/npm-cli.js"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "package.json").write_text(json.dumps({"name": "p", "scripts": SCRIPTS}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def explain(cli, *argv: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("explain", "--target", "macos", "--format", "json", "--", *argv)
    assert result.exit_code in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def below_script(data: dict[str, Any]) -> dict[str, Any]:
    """The runner's process: npm -> its `sh -c SCRIPT` -> the runner."""
    (shell,) = data["children"][0]["children"]
    (runner,) = shell["children"]
    return runner


def test_concurrently_runs_each_command_with_the_absolute_bin_sh(cli, project: Path) -> None:
    runner = below_script(explain(cli, "npm", "run", "bench"))
    assert runner["argv"][0] == "concurrently"
    commands = [child["argv"] for child in runner["children"]]
    assert commands == [["/bin/sh", "-c", "node server.js"], ["/bin/sh", "-c", "npm run load:a"],
                        ["/bin/sh", "-c", "npm run load:b"]]  # -n's value is no command; npm:load:* expanded
    assert all(child["chain"][0]["path"] == "/bin/sh" and child["chain"][0]["own_verdict"] == "stripped"
               for child in runner["children"])


def test_run_s_starts_npm_by_its_entry_for_each_matching_script(cli, project: Path) -> None:
    runner = below_script(explain(cli, "npm", "run", "all"))
    assert [child["argv"] for child in runner["children"]] == [
        ["node", NPM_ENTRY, "run", "bench:one", "--", "--quick"],
        ["node", NPM_ENTRY, "run", "bench:two", "--", "--quick"],  # `*` is one segment: not bench:two:deep
        ["node", NPM_ENTRY, "run", "lint"],
    ]
    first = runner["children"][0]
    assert [hop["path"] for hop in first["chain"]] == ["/opt/homebrew/bin/node"]  # no /usr/bin/env in front
    assert first["children"][0]["argv"] == ["sh", "-c", "node one.js --quick"]


def test_a_runner_behind_pnpms_wrapper_is_known_by_its_entry(cli, project: Path) -> None:
    """pnpm's .bin entries are `#!/bin/sh` wrappers that run `node <package entry>`: the entry names the tool."""
    bin_dir = project / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "concurrently").write_text(
        '#!/bin/sh\nbasedir=$(dirname "$(echo "$0" | sed -e \'s,\\\\,/,g\')")\n'
        'exec node  "$basedir/../concurrently/dist/bin/concurrently.js" "$@"\n')
    (bin_dir / "concurrently").chmod(0o755)
    entry = project / "node_modules" / "concurrently" / "dist" / "bin" / "concurrently.js"
    entry.parent.mkdir(parents=True)
    entry.write_text("#!/usr/bin/env node\n")
    runner = below_script(explain(cli, "npm", "run", "bench"))
    assert [hop["path"] for hop in runner["chain"]] == ["/bin/sh", "/opt/homebrew/bin/node"]
    assert [child["argv"][:2] for child in runner["children"]] == [["/bin/sh", "-c"]] * 3


def test_check_says_no_shell_setting_replaces_concurrentlys(cli, project: Path) -> None:
    result = cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never")
    data = json.loads(result.stdout)
    unfixed = " ".join(u["reason"] for u in data["plan"]["unfixed"])
    assert "concurrently runs each of its commands with `/bin/sh -c`, by absolute path" in unfixed
    assert "brew install bash" not in unfixed  # a Homebrew bash would not help here


def test_empty_task_names_run_nothing(cli, project: Path) -> None:
    data = explain(cli, "run-s", "", "  ", "lint")
    assert [child["argv"][-2:] for child in data["children"][0]["children"]] == [["run", "lint"]]


@pytest.mark.parametrize("argv", [("nice", "-n", "5", "node", "b.js"), ("/usr/bin/time", "-l", "node", "b.js"),
                                  ("caffeinate", "-i", "node", "b.js"), ("nohup", "node", "b.js"),
                                  ("timeout", "-s", "KILL", "60", "node", "b.js"), ("xargs", "-n1", "node", "b.js")])
def test_command_wrappers_run_the_command_they_name(cli, project: Path, argv: tuple[str, ...]) -> None:
    (wrapper,) = explain(cli, *argv)["children"]
    (child,) = wrapper["children"]
    assert child["argv"] == ["node", "b.js"] and child["chain"][0]["path"] == "/opt/homebrew/bin/node"
