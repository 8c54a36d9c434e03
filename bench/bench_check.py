"""Benchmark: `sipdoctor check` on large inputs, each a new process as users run it, against its floor.

- A project whose node_modules holds several real packages installed with npm plus a pnpm workspace package
  (50,000+ files in all), with a PATH of 3,000 directories, each holding a `#!/usr/bin/env node` script, a
  `#!/bin/sh` script and a copy of /bin/true (goal: at most 2x the floor).
- A source tree of 100,000 files in 1,000 directories, one file in 100 an executable script, with a
  .gitignore (goal: at most 2x the floor).
- A project whose Makefile has 5,000 targets, each with a one-line recipe, and an `all` target needing them
  all (goal: under 1 s).
- Every directory under $SIPDOCTOR_BENCH_CACHE/real (checkouts of real projects, when present; goal: the
  largest under 1.5 s).

The floor (bench/floor.py) is also a new process: the same imports any such command needs, then an os.scandir
walk of what `check` looks at (the PATH directories, the project outside node_modules, node_modules/.bin), a
stat of each file and the first 512 bytes of each executable. The verdict cache is warm (the untimed warm-up
run fills it), as on every run after a user's first. Set-up is cached in $SIPDOCTOR_BENCH_CACHE (default
~/.cache/sipdoctor-bench).

    python bench/bench_check.py [--rounds 7] [--skip big,tree,make,real]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import compile_package, goal_text, interleaved, process, sipdoctor_argv, table

NPM_PACKAGES = ["typescript", "eslint", "webpack", "@babel/core", "jest", "vitest", "rollup", "lodash", "rxjs",
                "@angular/core", "aws-sdk", "next", "@mui/material", "@mui/icons-material",
                "@fortawesome/free-solid-svg-icons"]
PNPM_PACKAGES = ["vite", "prettier", "@swc/core", "date-fns", "three"]
PATH_DIRS = 3000
TREE_DIRS, TREE_FILES_PER_DIR = 1000, 100
MAKE_TARGETS = 5000
FLOOR = str(Path(__file__).resolve().parent / "floor.py")


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


def build_tree(root: Path) -> Path:
    tree = root / "tree"
    if not (tree / ".ready").exists():
        for index in range(TREE_DIRS):
            directory = tree / f"pkg{index // 40:02d}" / f"mod{index % 40:02d}"
            directory.mkdir(parents=True, exist_ok=True)
            for number in range(TREE_FILES_PER_DIR):
                source = directory / f"file{number:03d}.py"
                if number == 0:
                    source.write_text("#!/usr/bin/env python3\nprint('tool')\n")
                    source.chmod(0o755)
                else:
                    source.write_text("def f():\n    return 1\n")
        (tree / ".gitignore").write_text("*.pyc\n/build\ndist/\n.cache\n")
        (tree / ".ready").write_text("")
    return tree


def build_makefile(root: Path) -> Path:
    project = root / "make"
    if not (project / "Makefile").exists():
        project.mkdir(exist_ok=True)
        targets = [f"t{index}" for index in range(MAKE_TARGETS)]
        rules = "".join(f"{t}:\n\techo {t}\n" for t in targets)
        (project / "Makefile").write_text(f"all: {' '.join(targets)}\n\n{rules}")
    return project


def real_projects(root: Path) -> list[Path]:
    real = root / "real"
    return sorted(p for p in real.iterdir() if p.is_dir()) if real.is_dir() else []


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip", default="", help="comma-separated: big, tree, make, real")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    compile_package()
    root = cache_root()
    cli = sipdoctor_argv()
    variants = {}
    notes = []
    with tempfile.TemporaryDirectory(prefix="sipdoctor-bench-") as tmp:
        base_env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        if "big" not in skip:
            project, env_path = build_project(root), build_path(root)
            bins = [str(p) for p in (project / "node_modules" / ".bin",
                                     project / "packages" / "web" / "node_modules" / ".bin") if p.is_dir()]
            env = {**base_env, "PATH": env_path}
            variants["big project: check"] = process([*cli, "check", str(project)], env)
            variants["big project: floor"] = process(
                [sys.executable, FLOOR, "--skip-node-modules", *env_path.split(os.pathsep), str(project), *bins], env)
            notes.append(f"big project: {count_files(project):,} files, PATH of {PATH_DIRS + 3} directories")
        if "tree" not in skip:
            tree = build_tree(root)
            variants["source tree: check"] = process([*cli, "check", str(tree)], base_env)
            variants["source tree: floor"] = process([sys.executable, FLOOR, str(tree)], base_env)
            notes.append(f"source tree: {count_files(tree):,} files")
        if "make" not in skip:
            variants["5,000-target Makefile: check"] = process([*cli, "check", str(build_makefile(root))], base_env)
        if "real" not in skip:
            for real in real_projects(root):
                variants[f"real: {real.name}"] = process([*cli, "check", str(real)], base_env)
                notes.append(f"real: {real.name}: {count_files(real):,} files")
        samples = interleaved(variants, args.rounds)
    print(f"{args.rounds} interleaved rounds, new processes, python {sys.version.split()[0]}; " + "; ".join(notes))
    print(table(samples, next(iter(samples))))
    for name in ("big project", "source tree"):
        if f"{name}: check" in samples:
            print(f"{name}: check / floor (CPU):",
                  goal_text(samples[f"{name}: check"].cpu, samples[f"{name}: floor"].cpu, 2.0))
            print(f"{name}: check / floor (wall):",
                  goal_text(samples[f"{name}: check"].wall, samples[f"{name}: floor"].wall, 2.0))
    for name, got in samples.items():
        if name.startswith(("5,000", "real")):
            goal = 1.0 if name.startswith("5,000") else 1.5
            print(f"{name}: median wall {statistics.median(got.wall):.3f} s (max {max(got.wall):.3f}), "
                  f"CPU {statistics.median(got.cpu):.3f} s; goal under {goal} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
