"""Package-manager options that run a script in workspace packages (sipdoctor/chains/workspace_args.py):
`pnpm -r`, `pnpm --filter`, `pnpm -C`, `npm -w`/`--workspaces`, `yarn workspace NAME`, `yarn workspaces
foreach`. Judged on the developer-Mac model, where the package managers are known without their install."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges the developer-Mac model")


def package(directory: Path, name: str, scripts: dict[str, str], **fields: Any) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps({"name": name, "scripts": scripts, **fields}))


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    package(root, "root", {"bench": "node root-bench.js"}, workspaces=["packages/*"])
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n")
    package(root / "packages" / "a", "@x/a", {"bench": "node a.js"})
    package(root / "packages" / "b", "@x/b", {"build": "tsc"})
    package(root / "packages" / "c", "@x/c", {"bench": "node c.js"})
    monkeypatch.chdir(root)
    return root


def scripts(cli, *argv: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The script text of every `sh -c` the command ends in (one per package it ran in)."""
    result = cli("explain", "--target", "macos", "--format", "json", "--", *argv)
    assert result.exit_code in (0, 1), result.stderr
    found: list[str] = []
    pending = list(json.loads(result.stdout)["children"])
    while pending:
        process = pending.pop(0)
        if process["argv"][:2] == ["sh", "-c"]:
            found.append(process["argv"][2])
        pending.extend(process["children"])
    return found


@pytest.mark.parametrize("argv", [
    ("pnpm", "-r", "bench"), ("pnpm", "-r", "run", "bench"), ("pnpm", "--recursive", "--workspace-concurrency", "1",
                                                              "bench"),
    ("npm", "run", "bench", "--workspaces"), ("npm", "--ws", "run", "bench"),
    ("yarn", "workspaces", "foreach", "-A", "run", "bench"), ("yarn", "workspaces", "run", "bench"),
])
def test_every_package_with_the_script(cli, monorepo: Path, argv: tuple[str, ...]) -> None:
    assert scripts(cli, *argv) == ["node a.js", "node c.js"]  # b has no bench; the root is not a package here


@pytest.mark.parametrize("argv", [
    ("pnpm", "--filter", "@x/c", "bench"), ("pnpm", "-F", "./packages/c", "run", "bench"),
    ("pnpm", "--filter=@x/*", "--filter=!@x/a", "bench"), ("pnpm", "-C", "packages/c", "bench"),
    ("npm", "run", "bench", "-w", "@x/c"), ("npm", "run", "bench", "--workspace=packages/c"),
    ("yarn", "workspace", "@x/c", "run", "bench"), ("yarn", "workspace", "@x/c", "bench"),
])
def test_the_packages_a_selector_names(cli, monorepo: Path, argv: tuple[str, ...]) -> None:
    assert scripts(cli, *argv) == ["node c.js"]


def test_without_workspace_options_the_script_runs_where_it_was_started(cli, monorepo: Path) -> None:
    assert scripts(cli, "pnpm", "run", "bench") == ["node root-bench.js"]
    assert scripts(cli, "pnpm", "-w", "run", "bench") == ["node root-bench.js"]


def test_arguments_after_the_script_name_are_the_scripts(cli, monorepo: Path) -> None:
    """pnpm passes what follows the script's name to the script: `-r` there is not pnpm's."""
    assert scripts(cli, "pnpm", "run", "bench", "-r") == ["node root-bench.js -r"]


def test_check_lists_each_workspace_packages_scripts_as_commands(cli, monorepo: Path) -> None:
    for letter in "defgh":  # seven benchmark commands in all: more than the trees drawn by default
        package(monorepo / "packages" / letter, f"@x/{letter}", {"bench": f"node {letter}.js"})
    data = json.loads(cli("check", monorepo, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    benches = {(c["directory"], c["label"]) for c in data["commands"] if c["name"] == "bench"}
    assert (None, "`pnpm run bench`") in benches and ("packages/a", "`pnpm run bench` in packages/a") in benches
    assert len(benches) == 8  # the root's and seven packages'; b has none
    human = cli("check", monorepo, "--target", "macos", "--fail-on", "never", "--color", "never").stdout
    assert "and 3 more benchmark commands" in human and "`check -v` draws them all" in human
    verbose = cli("check", monorepo, "--target", "macos", "--fail-on", "never", "--color", "never", "-v").stdout
    assert "more benchmark commands" not in verbose and verbose.count("$ pnpm run bench") == 8


def test_workspace_globs_outside_the_repository_or_malformed_are_ignored(cli, monorepo: Path) -> None:
    (monorepo / "pnpm-workspace.yaml").write_text('packages:\n  - "../*"\n  - "/etc"\n  - ""\n  - 5\n'
                                                  '  - "packages/a"\n')
    assert scripts(cli, "pnpm", "-r", "bench") == ["node a.js"]


def test_the_plan_on_a_model_mac_sees_the_projects_own_scripts(cli, tmp_path: Path) -> None:
    """The plan predicts on a scratch copy: on a model Mac that copy is the project's own files too, so a
    `#!/bin/sh` script it runs stays in the prediction (it used to vanish, and the plan claimed a fix)."""
    project = tmp_path / "p"
    package(project, "p", {"bench": "./bench.sh"})
    (project / "bench.sh").write_text("#!/bin/sh\nnode bench.js\n")
    (project / "bench.sh").chmod(0o755)
    data = json.loads(cli("check", project, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    plan = data["plan"]
    assert plan["fixed"] == [] and "bench.sh" in plan["unfixed"][0]["reason"], plan


def test_pnpms_shell_emulator_starts_no_sh(cli, monorepo: Path) -> None:
    """`shellEmulator: true` (pnpm-workspace.yaml): the script's commands are started by pnpm itself."""
    (monorepo / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\nshellEmulator: true\n")
    result = cli("explain", "--target", "macos", "--format", "json", "--", "pnpm", "run", "bench")
    (root,) = json.loads(result.stdout)["children"]
    (child,) = root["children"]
    assert child["argv"] == ["node", "root-bench.js"] and "shell emulator" in child["chain"][0]["why"]
