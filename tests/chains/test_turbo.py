"""turbo: `<package manager> run TASK` in each workspace package that has the script, and its strict env mode,
which clears the profiler's variable (and any copy a profiler re-arms from) for every task
(sipdoctor/chains/node_runners.py, sipdoctor/sources/workspaces.py). Judged on the developer-Mac model, where
turbo is known without its install."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="judges the developer-Mac model")

TURBO_JSONC = """\
{
  // comments and trailing commas, as turbo.jsonc allows
  "$schema": "https://turborepo.com/schema.json",
  "tasks": {
    "bench": { "cache": false, "env": ["BENCH_SIZE"], },
    "build": { "outputs": ["dist/**"] },
  },
}
"""


def package(directory: Path, name: str, scripts: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps({"name": name, "scripts": scripts}))


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    package(root, "root", {"bench": "turbo run bench", "bench:loose": "turbo run bench --env-mode=loose"})
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n  - '!packages/skipped'\n")
    (root / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    (root / "turbo.jsonc").write_text(TURBO_JSONC)
    package(root / "packages" / "a", "@x/a", {"bench": "node bench.js"})
    package(root / "packages" / "b", "@x/b", {"build": "tsc"})
    package(root / "packages" / "c", "@x/c", {"bench": "vitest bench --run"})
    package(root / "packages" / "skipped", "@x/skipped", {"bench": "node nope.js"})
    monkeypatch.chdir(root)
    return root


def explain(cli, *argv: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = cli("explain", "--target", "macos", "--format", "json", "--", *argv)
    assert result.exit_code in (0, 1), result.stderr
    (turbo,) = json.loads(result.stdout)["children"]
    tasks: list[dict[str, Any]] = turbo["children"]
    return tasks


def test_turbo_runs_the_package_manager_in_each_package_with_the_task(cli, monorepo: Path) -> None:
    tasks = explain(cli, "turbo", "run", "bench")
    assert [t["argv"] for t in tasks] == [["pnpm", "run", "bench"], ["pnpm", "run", "bench"]]
    # each in its own package; b has no bench, `skipped` is excluded by the workspace's `!` pattern
    assert [t["chain"][0]["why"].split(" with ")[0] for t in tasks] == ["turbo runs task `bench` of a",
                                                                     "turbo runs task `bench` of c"]
    assert "packages/c/node_modules/.bin" in json.dumps(tasks[1])  # vitest looked up from c


def test_strict_env_mode_clears_the_variable_for_every_task(cli, monorepo: Path) -> None:
    for task in explain(cli, "turbo", "run", "bench"):
        assert "DYLD_INSERT_LIBRARIES is not one of them" in task["filtered_by"]
        assert "turbo.jsonc" in task["filtered_by"]
        hops = [h for h in task["chain"]]
        assert hops and all(h["verdict"] == "not-profiled" for h in hops)


@pytest.mark.parametrize("how", ["flag", "pass-through"])
def test_loose_mode_or_a_passed_variable_keeps_it(cli, monorepo: Path, how: str) -> None:
    argv = ["turbo", "bench", "--env-mode", "loose"] if how == "flag" else ["turbo", "run", "bench"]
    if how == "pass-through":
        (monorepo / "turbo.jsonc").write_text('{"globalPassThroughEnv": ["DYLD_*"], "tasks": {"bench": {}}}')
    tasks = explain(cli, *argv)
    assert len(tasks) == 2 and not any("filtered_by" in t for t in tasks)


def test_a_filter_picks_packages_by_name_or_directory(cli, monorepo: Path) -> None:
    assert len(explain(cli, "turbo", "run", "bench", "--filter=@x/a")) == 1
    assert len(explain(cli, "turbo", "run", "bench", "-F", "./packages/c")) == 1
    assert len(explain(cli, "turbo", "run", "bench", "--filter", "@x/*", "--filter=!@x/c")) == 1


def test_check_says_what_turbo_drops_and_how_to_keep_it(cli, monorepo: Path) -> None:
    data = json.loads(cli("check", monorepo, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    (finding,) = [f for f in data["findings"] if f["rule"] == "CHN007"]
    assert finding["severity"] == "error" and finding["evidence"]["command"] == "pnpm run bench"
    assert finding["remediations"][0]["command"] == "turbo run bench --env-mode=loose"
    loose = next(c for c in data["commands"] if c["name"] == "bench:loose")
    assert loose["filters"] == []


def test_on_linux_the_variable_is_ld_preload(cli, monorepo: Path) -> None:
    result = cli("explain", "--target", "linux", "--format", "json", "--", "turbo", "run", "bench")
    tasks = json.loads(result.stdout)["children"][0]["children"]
    assert all("LD_PRELOAD is not one of them" in t["filtered_by"] for t in tasks)


def test_a_recursive_workspace_glob_never_looks_into_node_modules(cli, monorepo: Path) -> None:
    (monorepo / "pnpm-workspace.yaml").write_text("packages:\n  - 'packages/**'\n")
    package(monorepo / "packages" / "a" / "node_modules" / "dep", "dep", {"bench": "node dep.js"})
    package(monorepo / "packages" / "group" / "d", "@x/d", {"bench": "node d.js"})
    whys = [t["chain"][0]["why"].split(" with ")[0] for t in explain(cli, "turbo", "run", "bench")]
    assert whys == ["turbo runs task `bench` of a", "turbo runs task `bench` of c", "turbo runs task `bench` of d",
                    "turbo runs task `bench` of skipped"]  # no `!` pattern this time; dep is no workspace package
