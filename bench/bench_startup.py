"""Benchmark: what every command pays before and around its work, each a new process as users run it.

- `sipdoctor check` on a tiny project (a package.json with one benchmark script) against the CPU time of
  `python -c "import typer, rich, yaml, psutil, platformdirs"`: importing what it needs and nothing more
  (goal: at most 1.5x). The PATH is this process's own: check reads every directory on it.
- `sipdoctor check --help` against `sipdoctor --version` (goal: at most 1.2x).

    python bench/bench_startup.py [--rounds 15]

Not a test: it prints the figures for the README's performance section.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import compile_package, goal_text, interleaved, process, sipdoctor_argv, table

FLOOR_IMPORTS = "import typer, rich, yaml, psutil, platformdirs"


def tiny_project(where: Path) -> Path:
    project = where / "tiny"
    project.mkdir()
    (project / "package.json").write_text('{"name": "tiny", "private": true, "scripts": {"bench": "node bench.js"}}\n')
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    compile_package()
    cli = sipdoctor_argv()
    with tempfile.TemporaryDirectory(prefix="sipdoctor-bench-") as tmp:
        project = tiny_project(Path(tmp))
        env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        variants = {
            "import floor": process([sys.executable, "-c", FLOOR_IMPORTS], env),
            "check (tiny project)": process([*cli, "check", str(project)], env),
            "--version": process([*cli, "--version"], env),
            "check --help": process([*cli, "check", "--help"], env),
        }
        samples = interleaved(variants, args.rounds)
    path_dirs = len(os.environ.get("PATH", "").split(os.pathsep))
    print(f"{args.rounds} interleaved rounds, new processes, python {sys.version.split()[0]}, "
          f"PATH of {path_dirs} directories")
    print(table(samples, "import floor"))
    print("check, tiny project / import floor (CPU):",
          goal_text(samples["check (tiny project)"].cpu, samples["import floor"].cpu, 1.5))
    print("check --help / --version (CPU):", goal_text(samples["check --help"].cpu, samples["--version"].cpu, 1.2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
