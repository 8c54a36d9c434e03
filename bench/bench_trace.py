"""Trace overhead on a process-heavy workload and on a CPU-bound one (a benchmark script, not a test).

Runs `bash -c 'for i in $(seq 2000); do /bin/true; done'` and times, with the same loop each time: untraced;
a no-op LD_PRELOAD library built the usual way (the floor: loading any library at all); the same no-op linked
like the probe (build.py LEAN_LINK: two segments, no RELRO, no start files), which shows how much of the
probe's advantage is its layout rather than its records; the probe alone (LD_PRELOAD + trace directory); the
whole `sipdoctor trace -- bash -c ...` as a new process, as users run it (start-up, the probe, the tracer's
polling, reading the records, the tree, the report); and `strace -f -e trace=process` when strace is
installed. Goal: the whole `sipdoctor trace`'s extra cost at most 2x the no-op library's.

Then a CPU-bound command of about 2 s (a Python loop of fixed length), untraced and under the whole
`sipdoctor trace` as a new process. Goal: at most +3% and +0.15 s. With --vitest DIR it also times `npx
vitest bench --run` in that project the same way (the "real benchmark" figure).

Fairness: every variant runs once untimed first (page cache, the probe build, the dynamic loader's caches),
then the timed runs are interleaved in rounds (A B C D, B C D A, ...) so that machine noise lands on all
variants alike. Printed per variant: the median wall time, its spread (min..max), and the overhead against
the untraced run; for the others, the extra cost relative to each no-op library's: the median of the
per-round extra costs (the variant's time minus the untraced run's of the same round, which cancels slow
drifts of the machine) divided by the same median for the no-op, with a 90% bootstrap interval over the
rounds (a ratio of two small differences is noisy: trust it only with a narrow interval). The same table
follows for the CPU time of the child processes, which scheduling noise disturbs less (the tracer's own
polling runs in this process and is not in it).

    python bench/bench_trace.py [--count 2000] [--rounds 15] [--vitest DIR] [--baseline-probe LIB]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import compile_package, sipdoctor_argv

from sipdoctor.trace.build import LEAN_LINK, build_probe, find_toolchain
from sipdoctor.trace.runner import make_trace_dir

NOOP_SOURCE = "__attribute__((constructor)) static void noop(void) {}\n"
UNTRACED = "untraced"
NOOP = "no-op LD_PRELOAD library"
NOOP_LEAN = "no-op, linked like the probe"
PROBE = "probe (LD_PRELOAD, records)"
TRACE = "sipdoctor trace (new process)"
STRACE = "strace -f -e trace=process"
BASELINE = "baseline probe (--baseline-probe)"
Runner = Callable[[], object]


def build_noop(workdir: Path, *link: str) -> Path:
    source, library = workdir / "noop.c", workdir / f"libnoop{len(link)}.so"
    source.write_text(NOOP_SOURCE)
    subprocess.run([find_toolchain().compiler, "-shared", "-fPIC", "-O2", *link, "-o", str(library), str(source)],
                   check=True)
    return library


def shell_loop(count: int) -> list[str]:
    return ["bash", "-c", f"for i in $(seq {count}); do /bin/true; done"]


def cpu_bound(loops: int) -> list[str]:
    return [sys.executable, "-c", f"x = 0\nfor i in range({loops}): x += i"]


def calibrate(seconds: float) -> int:
    """Loop iterations for about `seconds` of CPU in a new interpreter."""
    loops = 2_000_000
    while True:
        start = children_cpu()
        subprocess.run(cpu_bound(loops), check=True)
        spent = children_cpu() - start
        if spent > 0.5:
            return int(loops * seconds / spent)
        loops *= 4


def subprocess_runner(argv: list[str], env: dict[str, str], cwd: Path | None = None,
                      records: Path | None = None) -> Runner:
    def run() -> object:
        if records is not None:
            records.write_bytes(b"")  # every run appends to an empty log, as the tracer makes it
        return subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

    return run


def traced_runner(argv: list[str], cwd: Path | None = None) -> Runner:
    """The whole `sipdoctor trace -- argv` as a new process; its report and the command's output discarded."""
    return subprocess_runner([*sipdoctor_argv(), "trace", "--", *argv], {**os.environ, "NO_COLOR": "1"}, cwd)


def loop_variants(count: int, probe: Path, noops: tuple[Path, Path], trace_dir: Path, baseline: Path | None
                  ) -> dict[str, Runner]:
    argv, env = shell_loop(count), dict(os.environ)
    records = trace_dir / "records.log"
    variants = {
        UNTRACED: subprocess_runner(argv, env),
        NOOP: subprocess_runner(argv, {**env, "LD_PRELOAD": str(noops[0])}),
        NOOP_LEAN: subprocess_runner(argv, {**env, "LD_PRELOAD": str(noops[1])}),
        PROBE: subprocess_runner(
            argv, {**env, "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}, records=records),
    }
    if baseline is not None:
        variants[BASELINE] = subprocess_runner(
            argv, {**env, "LD_PRELOAD": str(baseline), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}, records=records)
    variants[TRACE] = traced_runner(argv)
    if shutil.which("strace"):
        variants[STRACE] = subprocess_runner(["strace", "-f", "-e", "trace=process", "-o", os.devnull, *argv], env)
    return variants


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interleaved(variants: dict[str, Runner], rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """One untimed warm-up run of each variant, then `rounds` timed rounds, each in a rotated order.
    Returns the wall times and the children's CPU times, per variant."""
    for run in variants.values():
        run()
    names = list(variants)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            cpu_start, start = children_cpu(), time.perf_counter()
            variants[name]()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(children_cpu() - cpu_start)
    return wall, cpu


def extra_ratio(samples: dict[str, list[float]], name: str, floor_name: str, rounds: list[int]) -> float | None:
    """median(variant - untraced) / median(floor - untraced) over the given rounds (paired within a round)."""
    def extra(variant: str) -> float:
        return statistics.median(samples[variant][i] - samples[UNTRACED][i] for i in rounds)

    floor = extra(floor_name)
    return extra(name) / floor if floor > 0 else None


def ratio_cell(samples: dict[str, list[float]], name: str, floor_name: str) -> str:
    if floor_name not in samples or name in (UNTRACED, NOOP, NOOP_LEAN):
        return ""
    every = list(range(len(samples[UNTRACED])))
    ratio = extra_ratio(samples, name, floor_name, every)
    if ratio is None:
        return "n/a (no floor)"
    rng = random.Random(0)
    resampled = sorted(r for _ in range(2000)
                       if (r := extra_ratio(samples, name, floor_name, rng.choices(every, k=len(every)))) is not None)
    low, high = resampled[len(resampled) // 20], resampled[-len(resampled) // 20 - 1]
    return f"{ratio:.2f}x ({low:.2f}..{high:.2f})"


def print_table(title: str, samples: dict[str, list[float]]) -> None:
    base = statistics.median(samples[UNTRACED])
    print(f"\n{title}")
    print(f"{'variant':38} {'median s':>9} {'min..max s':>15} {'vs untraced':>12} {'extra / no-op extra':>26}"
          f" {'extra / lean no-op extra':>26}")
    for name, runs in samples.items():
        median = statistics.median(runs)
        spread = f"{min(runs):.3f}..{max(runs):.3f}"
        print(f"{name:38} {median:9.3f} {spread:>15} {100 * (median - base) / base:+11.1f}%"
              f" {ratio_cell(samples, name, NOOP):>26} {ratio_cell(samples, name, NOOP_LEAN):>26}")


def print_extra(samples: dict[str, list[float]], what: str) -> None:
    """The traced run's extra cost over the untraced run of the same round: median and 90% interval."""
    extras = [t - u for t, u in zip(samples[TRACE], samples[UNTRACED], strict=True)]
    shares = [e / u for e, u in zip(extras, samples[UNTRACED], strict=True)]
    rng = random.Random(0)

    def interval(values: list[float]) -> tuple[float, float]:
        medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
        return medians[len(medians) // 20], medians[-len(medians) // 20 - 1]

    (low, high), (share_low, share_high) = interval(extras), interval(shares)
    print(f"sipdoctor trace, extra {what}: {statistics.median(extras):+.3f} s ({low:+.3f}..{high:+.3f}), "
          f"{100 * statistics.median(shares):+.1f}% ({100 * share_low:+.1f}..{100 * share_high:+.1f}); "
          f"goal at most +3% and +0.15 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="processes per run (default 2000)")
    parser.add_argument("--cpu-seconds", type=float, default=2.0, help="the CPU-bound command's length (default 2)")
    parser.add_argument("--rounds", "--repeat", type=int, default=15,
                        help="timed rounds, each running every variant once (default 15)")
    parser.add_argument("--vitest", type=Path, help="a project with vitest installed, for the real-benchmark figure")
    parser.add_argument("--baseline-probe", type=Path,
                        help="another build of the probe library to time alongside (before/after comparisons)")
    args = parser.parse_args()
    probe = build_probe()
    compile_package()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        noops = (build_noop(workdir), build_noop(workdir, *LEAN_LINK))
        trace_dir = make_trace_dir()  # where `sipdoctor trace` keeps its records (tmpfs on Linux)
        try:
            variants = loop_variants(args.count, probe, noops, trace_dir, args.baseline_probe)
            wall, cpu = interleaved(variants, args.rounds)
        finally:
            shutil.rmtree(trace_dir, ignore_errors=True)
        title = f"{args.count} x /bin/true from a shell loop, {args.rounds} interleaved rounds"
        print_table(f"{title}: wall time", wall)
        print_table(f"{title}: CPU time of the child processes", cpu)
        for label, samples in (("wall", wall), ("CPU", cpu)):
            print(f"sipdoctor trace, extra {label} / the no-op library's: {ratio_cell(samples, TRACE, NOOP)}; "
                  "goal at most 2x")
        loops = calibrate(args.cpu_seconds)
        bound = cpu_bound(loops)
        wall, cpu = interleaved({UNTRACED: subprocess_runner(bound, dict(os.environ)), TRACE: traced_runner(bound)},
                                args.rounds)
        title = f"a CPU-bound Python loop of {loops:,} iterations, {args.rounds} interleaved rounds"
        print_table(f"{title}: wall time", wall)
        print_table(f"{title}: CPU time (the tracer's own included)", cpu)
        print_extra(wall, "wall")
        print_extra(cpu, "CPU")
        if args.vitest:
            bench = ["npx", "vitest", "bench", "--run"]
            real, _ = interleaved({UNTRACED: subprocess_runner(bench, dict(os.environ), args.vitest),
                                   TRACE: traced_runner(bench, args.vitest)}, args.rounds)
            print_table(f"vitest bench in {args.vitest}, {args.rounds} interleaved rounds: wall time", real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
