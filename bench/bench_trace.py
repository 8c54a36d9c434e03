"""Trace overhead on a process-heavy workload (a benchmark script, not a test).

Runs thousands of /bin/true from a shell loop, several times each way, and prints the median wall time of:
untraced; a no-op LD_PRELOAD library (the floor: loading any library at all); the probe alone (LD_PRELOAD +
trace directory); `sipdoctor trace` (the probe plus the tracer's process-table polling); and
`strace -f -e trace=process` when strace is installed. With --vitest DIR it also times `npx vitest bench --run`
in that project, untraced and under `sipdoctor trace` (the "real benchmark" figure).

    python bench/bench_trace.py [--count 3000] [--repeat 5] [--vitest DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sipdoctor.trace.build import build_probe, find_toolchain
from sipdoctor.trace.session import run_trace

NOOP_SOURCE = "__attribute__((constructor)) static void noop(void) {}\n"


def build_noop(workdir: Path) -> Path:
    source, library = workdir / "noop.c", workdir / "libnoop.so"
    source.write_text(NOOP_SOURCE)
    subprocess.run([find_toolchain().compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(source)],
                   check=True)
    return library


def shell_loop(count: int) -> list[str]:
    return ["/bin/sh", "-c", f"i=0; while [ $i -lt {count} ]; do /bin/true; i=$((i+1)); done"]


def timed(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def subprocess_runner(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Callable[[], object]:
    return lambda: subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)


def traced_runner(argv: list[str], probe: Path, cwd: Path | None = None) -> Callable[[], object]:
    def run() -> object:
        here = os.getcwd()
        os.chdir(cwd or here)
        try:
            with open(os.devnull, "w") as sink:
                saved = os.dup(1)
                os.dup2(sink.fileno(), 1)
                try:
                    return run_trace(argv, probe=probe)
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
        finally:
            os.chdir(here)

    return run


def loop_variants(count: int, probe: Path, noop: Path, trace_dir: Path) -> dict[str, Callable[[], object]]:
    argv, env = shell_loop(count), dict(os.environ)
    variants = {
        "untraced": subprocess_runner(argv, env),
        "no-op LD_PRELOAD library": subprocess_runner(argv, {**env, "LD_PRELOAD": str(noop)}),
        "probe (LD_PRELOAD, records)": subprocess_runner(
            argv, {**env, "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}),
        "sipdoctor trace (probe + polling)": traced_runner(argv, probe),
    }
    if shutil.which("strace"):
        variants["strace -f -e trace=process"] = subprocess_runner(
            ["strace", "-f", "-e", "trace=process", "-o", os.devnull, *argv], env)
    return variants


def print_table(title: str, results: dict[str, float]) -> None:
    base = results["untraced"]
    floor = results.get("no-op LD_PRELOAD library")
    print(f"\n{title}")
    print(f"{'variant':38} {'median s':>9} {'vs untraced':>12} {'extra / no-op extra':>20}")
    for name, seconds in results.items():
        extra = seconds - base
        ratio = f"{extra / (floor - base):.2f}x" if floor and floor > base and name != "untraced" else ""
        print(f"{name:38} {seconds:9.3f} {100 * extra / base:+11.1f}% {ratio:>20}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000, help="processes per run (default 3000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per variant; the median is shown")
    parser.add_argument("--vitest", type=Path, help="a project with vitest installed, for the real-benchmark figure")
    args = parser.parse_args()
    probe = build_probe()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        noop = build_noop(workdir)
        trace_dir = workdir / "trace"
        trace_dir.mkdir(mode=0o700)
        variants = loop_variants(args.count, probe, noop, trace_dir)
        results = {}
        for name, run in variants.items():
            (trace_dir / "records.log").unlink(missing_ok=True)
            results[name] = timed(run, args.repeat)
        print_table(f"{args.count} x /bin/true from a shell loop, median of {args.repeat} runs", results)
        if args.vitest:
            bench = ["npx", "vitest", "bench", "--run"]
            real = {"untraced": timed(subprocess_runner(bench, dict(os.environ), args.vitest), args.repeat),
                    "sipdoctor trace (probe + polling)": timed(traced_runner(bench, probe, args.vitest),
                                                               args.repeat)}
            print_table(f"vitest bench in {args.vitest}, median of {args.repeat} runs", real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
