"""Real JavaScript toolchains under the probe: `npm run`, and `pnpm run` of a vitest bench.

npm and pnpm start with `#!/usr/bin/env node`, so on a Mac /usr/bin/env strips the variable and nothing below
is profiled: the chain from the CodSpeed docs (env -> node -> /bin/sh -> node ...). --emulate-sip shows it here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.trace.model import State, TraceResult
from tests.downloads import PINS, DownloadFailed, provide
from tests.trace.trace_helpers import LINUX, find

pytestmark = [
    pytest.mark.skipif(not LINUX, reason="real LD_PRELOAD traces run on Linux"),
    pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="node/npm not installed"),
]
Traced = Callable[..., TraceResult]
QUIET_NPM = {"npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
BENCH_JS = "let x = 0; for (let i = 0; i < 3e7; i++) x += i % 7; console.log('done', x);\n"


def npm_env(tmp: Path) -> dict[str, str]:
    return {**os.environ, **QUIET_NPM, "npm_config_cache": str(tmp / "npm-cache")}


@pytest.fixture
def npm_project(tmp_path: Path) -> Path:
    (tmp_path / "package.json").write_text(json.dumps(
        {"name": "t", "version": "1.0.0", "private": True, "scripts": {"bench": "node bench.js"}}))
    (tmp_path / "bench.js").write_text(BENCH_JS)
    return tmp_path


def run_in(project: Path, traced: Traced, argv: list[str], *, emulate_sip: bool) -> TraceResult:
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return traced(argv, emulate_sip=emulate_sip, env=npm_env(project), compare=True)
    finally:
        os.chdir(cwd)


def test_npm_run_is_profiled_on_linux(npm_project: Path, traced: Traced) -> None:
    result = run_in(npm_project, traced, ["npm", "run", "bench"], emulate_sip=False)
    assert result.exit_code == 0
    assert result.prediction_differences == []
    (bench,) = find(result, lambda n: n.argv[-1:] == ("bench.js",))
    assert bench.state == State.PROFILED
    assert {n.state for n in result.nodes()} == {State.PROFILED}


def test_npm_run_chain_under_emulated_sip(npm_project: Path, traced: Traced) -> None:
    result = run_in(npm_project, traced, ["npm", "run", "bench"], emulate_sip=True)
    assert result.exit_code == 0
    root = result.roots[0]
    assert root.state == State.STRIPPED and "/usr/bin/env" in (root.cause or "")
    (bench,) = find(result, lambda n: n.argv[-1:] == ("bench.js",))
    assert bench.state == State.UNPROFILED and bench.culprit is root
    chain = [n.argv[0] for n in _path_to(root, bench)]
    assert chain[0] == "npm" and "node" in chain[1] and chain[-2:] == ["sh", "node"]
    assert root.exe == "/usr/bin/env"  # npm is a `#!/usr/bin/env node` script: the kernel runs env
    assert result.coverage.cpu_profiled_fraction == 0
    assert result.prediction_differences == []  # sipdoctor explain predicted this very chain


def _path_to(root: object, target: object) -> list:  # type: ignore[type-arg]
    def walk(node, trail):  # type: ignore[no-untyped-def]
        trail = [*trail, node]
        if node is target:
            return trail
        for child in node.children:
            found = walk(child, trail)
            if found:
                return found
        return None

    return walk(root, []) or []


# ------------------------------------------------------------------------------------------------------------
# pnpm + vitest bench: installed once with npm into pytest's cache (skipped offline, required in CI)

VITEST_BENCH = """import { bench } from 'vitest'
bench('loop', () => { let x = 0; for (let i = 0; i < 2e5; i++) x += i % 7 }, { time: 150, iterations: 5 })
"""


@pytest.fixture(scope="session")
def vitest_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        project = Path(request.config.cache.mkdir("sipdoctor-vitest-project"))
    except AttributeError:
        project = tmp_path_factory.mktemp("vitest")
    (project / "package.json").write_text(json.dumps({
        "name": "vb", "version": "1.0.0", "private": True, "type": "module",
        "scripts": {"bench": "vitest bench --run"}}))
    (project / "loop.bench.js").write_text(VITEST_BENCH)
    def install() -> None:
        done = subprocess.run(["npm", "install", "--no-save", PINS["vitest"], PINS["pnpm9"]], cwd=project,
                              env=npm_env(project), capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise DownloadFailed(f"cannot install vitest and pnpm (offline?): {done.stderr[-300:]}")

    provide("vitest-project", (project / "node_modules" / ".bin" / "pnpm").exists, install)
    return project


@pytest.mark.slow
def test_pnpm_vitest_bench_chain_under_emulated_sip(vitest_project: Path, traced: Traced) -> None:
    pnpm = str(vitest_project / "node_modules" / ".bin" / "pnpm")
    result = run_in(vitest_project, traced, [pnpm, "run", "bench"], emulate_sip=True)
    assert result.exit_code == 0
    root = result.roots[0]
    assert root.state == State.STRIPPED and "/usr/bin/env" in (root.cause or "")
    nodes = find(result, lambda n: n.exe.endswith("/node"))
    assert any(n.argv[1].endswith(".bin/vitest") for n in nodes)  # vitest, and its forked workers
    assert len(nodes) >= 3 and all(n.state == State.UNPROFILED and n.culprit is root for n in nodes)
    assert result.coverage.processes_profiled == 0


@pytest.mark.slow
def test_pnpm_vitest_bench_profiled_on_linux(vitest_project: Path, traced: Traced) -> None:
    pnpm = str(vitest_project / "node_modules" / ".bin" / "pnpm")
    result = run_in(vitest_project, traced, [pnpm, "run", "bench"], emulate_sip=False)
    assert result.exit_code == 0
    assert {n.state for n in result.nodes()} == {State.PROFILED}
    assert len(find(result, lambda n: n.exe.endswith("/node"))) >= 3
