"""Shared by the bench scripts: new processes timed by the kernel's accounting, interleaved rounds, and ratios
with a bootstrap interval.

Each variant is a command run as a new process (as users run it); its CPU time (user + system, its reaped
descendants included) comes from wait4's rusage and its wall time from the clock around it. Rounds run every
variant once, in a rotated order, after one untimed warm-up of each, so that a slow spell of this shared machine
lands on all variants alike. A ratio is the median of the per-round ratios A_i / B_i (paired within a round),
with a 90% bootstrap interval over the rounds.
"""

from __future__ import annotations

import compileall
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Samples:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


Runner = Callable[[], tuple[float, float]]
"""Runs one variant once; returns (cpu seconds, wall seconds)."""


def compile_package() -> None:
    """Byte-compile sipdoctor as an installed wheel is (PYTHONDONTWRITEBYTECODE would make every new process
    compile it from source)."""
    compileall.compile_dir(REPO / "sipdoctor", quiet=1)


def sipdoctor_argv() -> list[str]:
    """The `sipdoctor` console script next to this interpreter (as users run it), else `python -m sipdoctor`."""
    script = Path(sys.executable).parent / "sipdoctor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sipdoctor"]


def process(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Runner:
    """A runner for argv as a new process, its output discarded."""
    def run() -> tuple[float, float]:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=None if env is None else dict(env), cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
        return usage.ru_utime + usage.ru_stime, wall

    return run


def interleaved(variants: Mapping[str, Runner], rounds: int, warmup: int = 1) -> dict[str, Samples]:
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples = {name: Samples() for name in names}
    for index in range(rounds):
        for name in names[index % len(names):] + names[:index % len(names)]:
            cpu, wall = variants[name]()
            samples[name].cpu.append(cpu)
            samples[name].wall.append(wall)
    return samples


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """(median of a_i / b_i, 5th and 95th percentile of that median over 2,000 bootstrap resamples)."""
    ratios = [x / y for x, y in zip(a, b, strict=True) if y > 0]
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    return statistics.median(ratios), medians[len(medians) // 20], medians[-len(medians) // 20 - 1]


def ratio_text(a: Sequence[float], b: Sequence[float]) -> str:
    ratio, low, high = paired_ratio(a, b)
    return f"{ratio:.2f}x ({low:.2f}..{high:.2f})"


def goal_text(a: Sequence[float], b: Sequence[float], goal: float) -> str:
    ratio, low, high = paired_ratio(a, b)
    verdict = "met" if high <= goal else ("not met" if low > goal else "within noise of the goal")
    return f"{ratio:.2f}x ({low:.2f}..{high:.2f}), goal <= {goal}x: {verdict}"


def table(samples: Mapping[str, Samples], base: str) -> str:
    """One row per variant: median CPU and wall seconds, min..max CPU, and the CPU ratio to `base`."""
    width = max(len(name) for name in samples)
    lines = [f"{'variant':{width}} {'cpu s':>7} {'cpu min..max':>14} {'wall s':>7}  cpu vs {base} (90% interval)"]
    for name, got in samples.items():
        ratio = "" if name == base else ratio_text(got.cpu, samples[base].cpu)
        lines.append(f"{name:{width}} {statistics.median(got.cpu):7.3f} {min(got.cpu):6.3f}..{max(got.cpu):<6.3f} "
                     f"{statistics.median(got.wall):7.3f}  {ratio}")
    return "\n".join(lines)
