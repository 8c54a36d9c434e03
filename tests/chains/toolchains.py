"""Real toolchains for the prediction tests, installed once into a cache directory shared across runs.

SIPDOCTOR_TEST_CACHE overrides the cache directory (default ~/.cache/sipdoctor-tests). When an install fails
the tests that need it are skipped, except in CI (CI set), where the failure fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

NPM_PACKAGES = ("vitest@3", "tinybench@2")
BENCH_SCRIPTS = {"bench": "vitest bench --run", "test": "vitest run"}


def cache_dir() -> Path:
    root = Path(os.environ.get("SIPDOCTOR_TEST_CACHE") or Path.home() / ".cache" / "sipdoctor-tests")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _unavailable(what: str, detail: str) -> None:
    message = f"{what} could not be installed: {detail}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _run(argv: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(what, str(exc))
        return
    if done.returncode != 0:
        _unavailable(what, (done.stderr or done.stdout)[-2000:])


def _write_package(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "private": True, "version": "1.0.0", "scripts": BENCH_SCRIPTS}
    (directory / "package.json").write_text(json.dumps(data, indent=2) + "\n")


def npm_project() -> Path:
    """A project with vitest and tinybench installed by npm (node_modules/.bin/vitest -> vitest.mjs)."""
    project = cache_dir() / "npm-project"
    if not (project / "node_modules" / ".bin" / "vitest").exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm project", "npm is not on PATH")
        _write_package(project, "npm-bench")
        _run([str(npm), "install", "--no-audit", "--no-fund", *NPM_PACKAGES], project, "npm project")
    return project


def pnpm_bin() -> Path:
    """pnpm installed with `npm install --prefix <cache>/pnpm pnpm`."""
    prefix = cache_dir() / "pnpm"
    pnpm = prefix / "node_modules" / ".bin" / "pnpm"
    if not pnpm.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("pnpm", "npm is not on PATH")
        prefix.mkdir(parents=True, exist_ok=True)
        _run([str(npm), "install", "--no-audit", "--no-fund", "--prefix", str(prefix), "pnpm"], prefix, "pnpm")
    return pnpm.parent


def pnpm_project() -> Path:
    """A project with vitest installed by pnpm (node_modules/.bin/vitest is a #!/bin/sh wrapper)."""
    project = cache_dir() / "pnpm-project"
    bin_dir = pnpm_bin()
    if not (project / "node_modules" / ".bin" / "vitest").exists():
        _write_package(project, "pnpm-bench")
        _run([str(bin_dir / "pnpm"), "add", "--ignore-scripts", *NPM_PACKAGES], project, "pnpm project")
    return project
