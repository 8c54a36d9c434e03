"""Benchmark: `check` on the large inputs that once hung it (docs/bad-inputs.md, "Size").

Projects, generated in a temporary directory: a Makefile of 5,000 independent targets, a Makefile whose 3,000
targets form one dependency chain, and a 14 MB workflow file. Each is checked twice: as a new process (`sipdoctor
check PROJECT`, interpreter start-up included) and in-process with the modules already imported (the work
itself). Prints wall-clock and CPU seconds (the CPU figure is what a busy shared machine disturbs least), the
best of three runs each; no assertion (not a test).

Run: .venv/bin/python bench/bench_big_inputs.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import compile_package


def flat_makefile(project: Path) -> None:
    (project / "Makefile").write_text("".join(f"t{i}:\n\techo {i}\n" for i in range(5000)))


def chain_makefile(project: Path) -> None:
    text = "".join(f"t{i}: t{i + 1}\n\techo {i}\n" for i in range(3000)) + "t3000:\n\techo end\n"
    (project / "Makefile").write_text(text)


def big_workflow(project: Path) -> None:
    folder = project / ".github" / "workflows"
    folder.mkdir(parents=True)
    steps = "".join(f"      - name: step {i}\n        run: echo {'x' * 40} {i}\n" for i in range(140_000))
    (folder / "big.yml").write_text(f"on: push\njobs:\n  bench:\n    runs-on: macos-latest\n    steps:\n{steps}")


CASES: dict[str, Callable[[Path], None]] = {
    "Makefile, 5,000 targets": flat_makefile,
    "Makefile, 3,000-deep prerequisite chain": chain_makefile,
    "workflow file of 14 MB": big_workflow,
}


def best(runs: int, job: Callable[[], object], cpu: Callable[[], float]) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest run."""
    times = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), cpu()
        job()
        times.append((time.perf_counter() - start, cpu() - start_cpu))
    return min(times)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    from sipdoctor.cli import main as cli_main

    compile_package()

    sipdoctor = [sys.executable, "-m", "sipdoctor"]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        print(f"{'input':<42} {'size':>11} {'new process: wall / CPU s':>26} {'in-process: wall / CPU s':>25}")
        for index, (name, make) in enumerate(CASES.items()):
            project = Path(tmp) / f"p{index}"
            project.mkdir()
            make(project)
            size = sum(f.stat().st_size for f in project.rglob("*") if f.is_file())
            argv = ["check", str(project), "--fail-on", "never"]

            def fresh(argv: list[str] = argv) -> object:
                return subprocess.run([*sipdoctor, *argv], stdout=subprocess.DEVNULL, check=True)

            def warm(argv: list[str] = argv) -> object:
                with open(os.devnull, "w") as null:
                    saved, sys.stdout = sys.stdout, null
                    try:
                        return cli_main(argv)
                    finally:
                        sys.stdout = saved

            (fw, fc), (ww, wc) = best(3, fresh, children_cpu), best(3, warm, time.process_time)
            print(f"{name:<42} {size:>11,} {fw:>17.3f} / {fc:.3f} {ww:>16.3f} / {wc:.3f}")


if __name__ == "__main__":
    main()
