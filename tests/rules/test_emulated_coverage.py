"""Issue 6's last "done when": with `trace --emulate-sip` on Linux, applying the remediations that
`check --target macos` gives for the npm/pnpm chain turns a vitest bench's CPU coverage from near 0% to near
100%.

Each test copies a real project (tests/chains/toolchains.py) to tmp, adds a CPU-bound vitest bench, traces
`npm run bench` / `pnpm run bench` through the CLI, runs the check, applies every CHN001 `edit` to the copy,
takes the `run_instead` line when there is one, and traces again.

The toolchain directory first on PATH holds copies of this host's bash and node: a shell and a Node.js
outside the directories macOS protects, what Homebrew's are on a Mac. node is there because a host's node
may live in /usr/bin, which the macOS check rightly calls protected (and tells the user to install another),
while --emulate-sip strips only what macOS ships.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.chains import toolchains
from tests.chains.conftest import host_path
from tests.rules.conftest import TOOLCHAIN_HOMES, copy_tree, link_node_modules
from tests.rules.test_fix_plans import linux_binaries_only
from tests.trace.test_npm import QUIET_NPM
from tests.trace.trace_helpers import LINUX

pytestmark = [
    pytest.mark.skipif(not LINUX, reason="--emulate-sip traces run on Linux"),
    pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm") and shutil.which("bash")),
                       reason="needs node, npm and bash"),
]

BENCH = """import { bench } from 'vitest'
bench('loop', () => { let x = 0; for (let i = 0; i < 2e6; i++) x += i % 7 }, { time: 300, iterations: 5 })
"""
BENCH_SCRIPT = "vitest bench --run"
DIRECT_VITEST = "node_modules/vitest/vitest.mjs"

HELPER_SCRIPTS = {
    "/proc/cpuinfo": "tinypool (vitest's worker pool) counts cores with execSync, a `/bin/sh -c` "
                     "(`sysctl -n hw.physicalcpu_max` on macOS, stripped there too)",
    "kill -9": "pnpm's watchdog that kills the script's process groups when pnpm dies",
}
"""`sh -c` processes the tools start outside the benchmark's chain: stripped on a Mac whatever the project says,
and no benchmark code runs under them (the tests check that every node process is profiled)."""


# ------------------------------------------------------------------------------------------------------------
# set-up: real projects (module scope, so CI is still set when an install fails), a toolchain, the probe cache


@pytest.fixture(scope="module")
def npm_source() -> Path:
    return toolchains.npm_project()


@pytest.fixture(scope="module")
def pnpm_source() -> tuple[Path, Path]:
    return toolchains.pnpm_project(), toolchains.pnpm_bin()


@pytest.fixture(scope="module")
def toolchain_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bash and node copied outside the protected directories (node hard-linked when the filesystem allows)."""
    bin_dir = tmp_path_factory.mktemp("toolchain") / "bin"
    bin_dir.mkdir()
    for name in ("bash", "node"):
        real = Path(shutil.which(name) or name).resolve()
        try:
            os.link(real, bin_dir / name)
        except OSError:
            shutil.copy(real, bin_dir / name)
    return bin_dir


@pytest.fixture(scope="module")
def probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe-cache")


def user_env(project: Path, probe_cache: Path, *path_first: Path) -> dict[str, str]:
    """The user's shell as the checks see it: the toolchain first on PATH, the project as home."""
    env = {k: v for k, v in os.environ.items() if k not in TOOLCHAIN_HOMES}
    return {**env, **QUIET_NPM, "PATH": host_path(*path_first), "HOME": str(project),
            "npm_config_cache": str(project.parent / "npm-cache"), "SIPDOCTOR_CACHE_DIR": str(probe_cache)}


def add_bench(project: Path) -> None:
    (project / "cpu.bench.js").write_text(BENCH)
    package = json.loads((project / "package.json").read_text())
    package["scripts"] = {**package.get("scripts", {}), "bench": BENCH_SCRIPT}
    (project / "package.json").write_text(json.dumps(package, indent=2) + "\n")


# ------------------------------------------------------------------------------------------------------------
# the CLI


def sipdoctor(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sipdoctor", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)


def check(project: Path, env: dict[str, str]) -> dict[str, Any]:
    done = sipdoctor(project, env, "check", str(project), "--target", "macos", "--machine", "host",
                     "--format", "json",
                     "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def trace(project: Path, env: dict[str, str], argv: list[str]) -> dict[str, Any]:
    """The JSON report of `sipdoctor trace --emulate-sip` (written to a file: the command owns stdout)."""
    report = project.parent / "trace.json"
    done = sipdoctor(project, env, "trace", "--emulate-sip", "--format", "json", "-o", str(report), "--", *argv)
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    data: dict[str, Any] = json.loads(report.read_text())
    report.unlink()
    assert data["exit_code"] == 0
    return data


def cpu_coverage(report: dict[str, Any]) -> float:
    fraction = report["coverage"]["cpu_profiled_fraction"]
    assert fraction is not None, report
    return float(fraction)


def node_processes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The processes running JavaScript (not pnpm's `node --version` check of which node it has)."""
    return [p for p in report["processes"] if Path(p["exe"]).name == "node" and p["argv"][1:] != ["--version"]]


def helper_role(process: dict[str, Any]) -> str | None:
    argv = process["argv"]
    if len(argv) < 3 or Path(argv[0]).name != "sh" or argv[1] != "-c":
        return None
    return next((why for marker, why in HELPER_SCRIPTS.items() if marker in argv[2]), None)


# ------------------------------------------------------------------------------------------------------------
# the round: trace, check, apply, trace again


def assert_hidden(report: dict[str, Any]) -> None:
    """The bench ran (vitest and its workers) and the profiler saw next to none of its CPU."""
    nodes = node_processes(report)
    assert any(p["argv"][1].endswith(("/vitest", "/vitest.mjs")) and "bench" in p["argv"] for p in nodes), nodes
    assert len(nodes) >= 3 and all(p["state"] == "unprofiled" for p in nodes), nodes
    # the package manager's own process, started directly, is profiled: about a tenth of the CPU, more on a busy
    # machine; the bench itself (every node process above) is not
    assert cpu_coverage(report) < 0.25, report["coverage"]


def remediate(project: Path, env: dict[str, str], run_as: str) -> tuple[list[dict[str, Any]], list[str]]:
    """`check --fix` makes the plan's file edits; the plan left afterwards is the line to run instead."""
    plan = check(project, env)["plan"]
    # real node and pnpm here are Linux binaries, which a Mac cannot judge: "cannot be verified", nothing else
    assert plan["losing"] == [f"`{run_as}`"] and plan["unfixed"] == linux_binaries_only(plan), plan
    edits = [s["change"]["edit"] for s in plan["steps"] if s["kind"] == "edit"]
    done = sipdoctor(project, env, "check", str(project), "--target", "macos", "--machine", "host",
                     "--format", "json", "--fail-on", "never", "--fix")
    assert done.returncode == 0 and done.stderr.count("sipdoctor: fixed:") == len(edits), done.stderr
    left = json.loads(done.stdout)["plan"]["steps"]
    assert all(s["kind"] == "run-instead" and s["confirmed"] for s in left), left
    instead = [s["change"]["run_instead"] for s in left if s["change"]["command"] == run_as]
    return edits, shlex.split(instead[0] if instead else run_as)


def assert_profiled(report: dict[str, Any]) -> None:
    nodes = node_processes(report)
    assert any(DIRECT_VITEST in p["argv"] for p in nodes), nodes
    assert len(nodes) >= 3 and all(p["state"] == "profiled" for p in nodes), nodes
    stripped = [p for p in report["processes"] if p["state"] == "stripped"]
    assert all(helper_role(p) for p in stripped), stripped
    assert cpu_coverage(report) > 0.9, report["coverage"]


def test_npm_bench_coverage(npm_source: Path, toolchain_bin: Path, probe_cache: Path, tmp_path: Path) -> None:
    project = copy_tree(npm_source, tmp_path / "npm", ("package.json",))
    link_node_modules(project, npm_source)
    add_bench(project)
    env = user_env(project, probe_cache, toolchain_bin)
    assert_hidden(trace(project, env, ["npm", "run", "bench"]))

    edits, argv = remediate(project, env, "npm run bench")
    assert {(e["file"], e["action"]) for e in edits} == {(".npmrc", "append"), ("package.json", "replace")}
    assert argv[0] == "node" and Path(argv[1]).name == "npm-cli.js" and argv[2:] == ["run", "bench"], argv
    assert_profiled(trace(project, env, argv))


def pnpm(pnpm_bin: Path, project: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(pnpm_bin / "pnpm"), *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=60, check=False, stdin=subprocess.DEVNULL)
    return done.stdout.strip()


def test_pnpm_bench_coverage(pnpm_source: tuple[Path, Path], toolchain_bin: Path, probe_cache: Path,
                             tmp_path: Path) -> None:
    source, pnpm_bin = pnpm_source
    # A whole copy, not a link to the shared node_modules: pnpm 12 runs `pnpm install` before a script in a
    # project it sees as moved (verifyDepsBeforeRun), rewriting node_modules and fetching packages: turned off.
    project = Path(shutil.copytree(source, tmp_path / "pnpm", symlinks=True))
    add_bench(project)
    env = {**user_env(project, probe_cache, toolchain_bin, pnpm_bin), "PNPM_CONFIG_VERIFY_DEPS_BEFORE_RUN": "false"}
    assert_hidden(trace(project, env, ["pnpm", "run", "bench"]))

    edits, argv = remediate(project, env, "pnpm run bench")
    assert len(edits) == 2 and ("package.json", "replace") in {(e["file"], e["action"]) for e in edits}, edits
    assert argv == ["pnpm", "run", "bench"]
    report = trace(project, env, argv)
    script = next((p for p in report["processes"] if p["argv"][1:2] == ["-c"] and DIRECT_VITEST in p["argv"][-1]),
                  None)
    assert script is not None, report["processes"]  # the edited script, run by pnpm's script shell
    setting = next(e["text"] for e in edits if e["file"] == "pnpm-workspace.yaml")  # pnpm 10+: not .npmrc
    assert pnpm(pnpm_bin, project, env, "config", "get", "scriptShell") == setting.partition(": ")[2]
    assert_profiled(report)
