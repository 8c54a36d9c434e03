"""Benchmark: project + PATH facts (what `check` collects) on a large real project, cold and warm cache.

Set-up (cached in $SIPDOCTOR_BENCH_CACHE, default ~/.cache/sipdoctor-bench): a project whose node_modules
holds several real packages installed with npm, plus a pnpm workspace package with its own node_modules
(50,000+ files in all), and a PATH of 3,000 directories, each with a `#!/usr/bin/env node` script, a
`#!/bin/sh` script and a copy of /bin/true. Prints the figures; no assertion (not a test).

Floor, measured in the same run: a minimal os.scandir walk plus a read of the first 512 bytes of every file
that the collectors look at (the PATH directories, the project outside node_modules, node_modules/.bin), and
for scale the same pass over every file of the project including all of node_modules.

Run: /tmp/v/bin/python bench/bench_check.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NPM_PACKAGES = ["typescript", "eslint", "webpack", "@babel/core", "jest", "vitest", "rollup", "lodash", "rxjs",
                "@angular/core", "aws-sdk", "next", "@mui/material", "@mui/icons-material",
                "@fortawesome/free-solid-svg-icons"]
PNPM_PACKAGES = ["vite", "prettier", "@swc/core", "date-fns", "three"]
PATH_DIRS = 3000


def cache_root() -> Path:
    root = Path(os.environ.get("SIPDOCTOR_BENCH_CACHE") or Path.home() / ".cache" / "sipdoctor-bench")
    root.mkdir(parents=True, exist_ok=True)
    return root


def run(argv: list[str], cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def build_project(root: Path) -> Path:
    project = root / "project"
    if not (project / ".ready").exists():
        project.mkdir(exist_ok=True)
        (project / "package.json").write_text('{"name": "bench", "private": true, "scripts": '
                                              '{"bench": "vitest bench --run", "build": "tsc"}}\n')
        (project / "Makefile").write_text("bench:\n\tnode bench.js\n")
        run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", *NPM_PACKAGES], project)
        pnpm_prefix = root / "pnpm"
        pnpm_prefix.mkdir(exist_ok=True)
        run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(pnpm_prefix), "pnpm"], pnpm_prefix)
        web = project / "packages" / "web"
        web.mkdir(parents=True, exist_ok=True)
        (web / "package.json").write_text('{"name": "web", "private": true}\n')
        run([str(pnpm_prefix / "node_modules" / ".bin" / "pnpm"), "add", "--ignore-scripts", *PNPM_PACKAGES], web)
        (project / ".ready").write_text("")
    return project


def build_path(root: Path) -> str:
    base = root / "path"
    if not (base / ".ready").exists():
        for index in range(PATH_DIRS):
            directory = base / f"d{index:04d}"
            directory.mkdir(parents=True, exist_ok=True)
            for name, text in ((f"tool{index}", "#!/usr/bin/env node\n"), (f"sh{index}", "#!/bin/sh\nexit 0\n")):
                (directory / name).write_text(text)
                (directory / name).chmod(0o755)
            shutil.copy("/bin/true", directory / f"bin{index}")
        (base / ".ready").write_text("")
    dirs = [str(base / f"d{i:04d}") for i in range(PATH_DIRS)]
    return os.pathsep.join([*dirs, "/usr/local/bin", "/usr/bin", "/bin"])


def floor_pass(roots: list[str], skip_node_modules: bool) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    pending = list(roots)
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not (skip_node_modules and entry.name == "node_modules"):
                    pending.append(entry.path)
                continue
            if entry.is_file():
                count += 1
                try:
                    with open(entry.path, "rb") as f:
                        f.read(512)
                except OSError:
                    pass
    return time.perf_counter() - start, count


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def check_once(project: Path, env_path: str, cache_file: Path) -> float:
    from sipdoctor.binaries import Assumptions, VerdictCache
    from sipdoctor.chains.context import Judge
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.project.pathscan import collect_path_facts
    from sipdoctor.system import System

    system = System(platform="linux", env={"PATH": env_path, "HOME": str(project)})
    assumptions = Assumptions(target="macos")
    start = time.perf_counter()
    cache = VerdictCache(cache_file)
    judge = Judge(assumptions, cache)
    collect_path_facts(system, assumptions, judge)
    collect_project_facts(project, system, assumptions, judge=judge)
    cache.save()
    return time.perf_counter() - start


def main() -> int:
    root = cache_root()
    project = build_project(root)
    env_path = build_path(root)
    files = count_files(project)
    print(f"project: {project} ({files:,} files), PATH: {PATH_DIRS + 3} entries")
    with tempfile.TemporaryDirectory() as tmp:
        cache_file = Path(tmp) / "verdicts.json"
        cold = check_once(project, env_path, cache_file)
        warm = check_once(project, env_path, cache_file)
    looked_at = [*env_path.split(os.pathsep), str(project), str(project / "node_modules" / ".bin"),
                 str(project / "packages" / "web" / "node_modules" / ".bin")]
    floor, floor_files = floor_pass(looked_at, skip_node_modules=True)
    full, full_files = floor_pass([str(project)], skip_node_modules=False)
    print(f"check facts, cold verdict cache: {cold:.3f} s")
    print(f"check facts, warm verdict cache: {warm:.3f} s")
    print(f"floor (scandir + first 512 bytes of the {floor_files:,} files check looks at): {floor:.3f} s "
          f"-> warm/floor = {warm / floor:.2f}x, cold/floor = {cold / floor:.2f}x")
    print(f"scale: the same pass over every file of the project ({full_files:,} files): {full:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
