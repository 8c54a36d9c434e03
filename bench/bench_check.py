"""Benchmark: project + PATH facts (what `check` collects) on a large real project, cold and warm cache.

Set-up (cached in $SIPDOCTOR_BENCH_CACHE, default ~/.cache/sipdoctor-bench): a project whose node_modules
holds several real packages installed with npm, plus a pnpm workspace package with its own node_modules
(50,000+ files in all), and a PATH of 3,000 directories, each with a `#!/usr/bin/env node` script, a
`#!/bin/sh` script and a copy of /bin/true. Prints the figures; no assertion (not a test).

`check` runs as a new process each time, so cold and warm are each timed in a new interpreter that has loaded
sipdoctor.cli (as any command has), from the collectors' imports to the verdict cache saved; interpreter start-up
is excluded, as for the floor. The second call in that process is also shown (modules already imported).

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
    """What `sipdoctor check` collects (sipdoctor/check.py): the PATH facts then the project facts, with one
    Judge over one verdict cache, loaded before and saved after. The first call in a process includes the
    imports these collectors make on first use (bashlex, macholib, pyelftools...), as every CLI run pays them."""
    start = time.perf_counter()
    from sipdoctor.binaries import Assumptions, VerdictCache
    from sipdoctor.chains.context import Judge
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.project.pathscan import collect_path_facts
    from sipdoctor.system import System

    system = System(platform="linux", env={"PATH": env_path, "HOME": str(project)})
    assumptions = Assumptions(target="macos")
    with VerdictCache(cache_file) as cache:
        judge = Judge(assumptions, cache)
        collect_path_facts(system, assumptions, judge)
        collect_project_facts(project, system, assumptions, "generic", judge)
    return time.perf_counter() - start


def in_fresh_process(cache_file: Path) -> tuple[float, float]:
    """(first call, second call) of check_once in a new interpreter, as a CLI run then the same in-process."""
    out = subprocess.run([sys.executable, __file__, "--once", str(cache_file)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), float(out[1])


def once(cache_file: Path) -> int:
    import sipdoctor.cli  # noqa: F401  (loaded before any command runs: typer, rich and the stdlib they pull in)

    root = cache_root()
    project, env_path = build_project(root), build_path(root)
    first = check_once(project, env_path, cache_file)
    second = check_once(project, env_path, cache_file)
    print(first, second)
    return 0


def main() -> int:
    root = cache_root()
    project = build_project(root)
    env_path = build_path(root)
    files = count_files(project)
    print(f"project: {project} ({files:,} files), PATH: {PATH_DIRS + 3} entries")
    looked_at = [*env_path.split(os.pathsep), str(project), str(project / "node_modules" / ".bin"),
                 str(project / "packages" / "web" / "node_modules" / ".bin")]
    floor_pass(looked_at, skip_node_modules=True)  # untimed: the OS page cache is warm for every variant
    with tempfile.TemporaryDirectory() as tmp:
        cache_file = Path(tmp) / "verdicts.json"
        cold, _ = in_fresh_process(cache_file)
        warm, warm_loaded = in_fresh_process(cache_file)
    floor, floor_files = floor_pass(looked_at, skip_node_modules=True)
    full, full_files = floor_pass([str(project)], skip_node_modules=False)
    print(f"floor (scandir + first 512 bytes of the {floor_files:,} files check looks at): {floor:.3f} s")
    for label, seconds in (("cold verdict cache, new process", cold), ("warm verdict cache, new process", warm),
                           ("warm verdict cache, modules already imported", warm_loaded)):
        print(f"check facts, {label}: {seconds:.3f} s = {seconds / floor:.2f}x floor")
    print(f"scale: the same pass over every file of the project ({full_files:,} files): {full:.3f} s")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--once"]:
        sys.exit(once(Path(sys.argv[2])))
    sys.exit(main())
