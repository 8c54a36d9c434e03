"""Real toolchains for the prediction tests, installed once (tests/downloads.py: pinned, one cache root, locked,
a failure remembered for the session; skipped offline except in CI)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.downloads import PINS, DownloadFailed, cache_root, provide

NPM_PACKAGES = (PINS["vitest"], PINS["tinybench"])
BENCH_SCRIPTS = {"bench": "vitest bench --run", "test": "vitest run"}


def cache_dir() -> Path:
    return cache_root()


def _run(argv: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DownloadFailed(f"{what}: {exc}") from None
    if done.returncode != 0:
        raise DownloadFailed(f"{what}: {(done.stderr or done.stdout)[-2000:]}")


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise DownloadFailed("npm is not on PATH")
    return npm


def _write_package(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "private": True, "version": "1.0.0", "scripts": BENCH_SCRIPTS}
    (directory / "package.json").write_text(json.dumps(data, indent=2) + "\n")


def npm_project() -> Path:
    """A project with vitest and tinybench installed by npm (node_modules/.bin/vitest -> vitest.mjs)."""
    project = cache_dir() / "npm-project"

    def install() -> None:
        _write_package(project, "npm-bench")
        _run([_npm(), "install", "--no-audit", "--no-fund", *NPM_PACKAGES], project, "npm project")

    provide("npm-project", (project / "node_modules" / ".bin" / "vitest").exists, install)
    return project


def pnpm_bin() -> Path:
    """pnpm (the pinned version) installed with `npm install --prefix <cache>/pnpm`."""
    prefix = cache_dir() / "pnpm"
    pnpm = prefix / "node_modules" / ".bin" / "pnpm"

    def install() -> None:
        prefix.mkdir(parents=True, exist_ok=True)
        _run([_npm(), "install", "--no-audit", "--no-fund", "--prefix", str(prefix), PINS["pnpm"]], prefix, "pnpm")

    provide("pnpm", pnpm.exists, install)
    return pnpm.parent


def pnpm_project() -> Path:
    """A project with vitest installed by pnpm (node_modules/.bin/vitest is a #!/bin/sh wrapper)."""
    project = cache_dir() / "pnpm-project"
    bin_dir = pnpm_bin()

    def install() -> None:
        _write_package(project, "pnpm-bench")
        _run([str(bin_dir / "pnpm"), "add", "--ignore-scripts", *NPM_PACKAGES], project, "pnpm project")

    provide("pnpm-project", (project / "node_modules" / ".bin" / "vitest").exists, install)
    return project
