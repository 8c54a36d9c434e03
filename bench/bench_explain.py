"""Benchmark: judge 2,000 files (Mach-O fixtures copied many times, ELF files from /usr/bin, scripts),
cold (empty verdict cache) and warm (cache loaded from disk), for a Mac target and for Linux.

Then 2,000 Mach-O files alone, judged with an empty verdict cache, against reading their headers (open, then
the mach_header and load commands of each slice: the least any reader does), in interleaved rounds; printed
as the median per-round ratio with its 90% bootstrap interval (goal: at most 10x).

    python bench/bench_explain.py [--files 2000] [--rounds 9]

Needs the Mach-O fixtures the tests download (run `pytest tests/binaries` once) and ziglang.
Not a test: it prints a table to paste into the README's performance section.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import goal_text

from sipdoctor.binaries import Assumptions, VerdictCache, judge_file
from tests.binaries.conftest import MACHO_DIR, PLAIN_C, RESTRICT_C, _download, manifest, zig_build

SMALL = ["uvx_hardened_noent_arm64", "uvx_hardened_noent_x86_64", "pyinstaller_run_fat_linkersigned",
         "libXau_dylib_adhoc", "psutil_bundle_linkersigned"]
LARGE = ["ccmake_fat_hardened_allowdyld", "deno_hardened_allowdyld_disablelv"]
SHEBANGS = ["#!/bin/sh\n", "#!/usr/bin/env python3\n", "#!/usr/bin/env node\n", "#!/bin/bash -e\n"]


def macho_sources(work: Path) -> list[Path]:
    rows = manifest()
    sources = [_download(rows[name]) for name in SMALL]
    sources += [zig_build(PLAIN_C, "aarch64-macos"), zig_build(RESTRICT_C, "aarch64-macos")]
    for name in LARGE:  # the sparse copies: headers, load commands and signatures as in the originals
        out = work / name
        with gzip.open(MACHO_DIR / f"{name}.sparse.gz") as source, open(out, "wb") as sink:
            shutil.copyfileobj(source, sink)
        sources.append(out)
    return sources


def build_corpus(work: Path, total: int) -> list[str]:
    machos, elves, scripts = total * 2 // 5, total * 2 // 5, total - 4 * (total // 5)
    sources = macho_sources(work)
    files: list[str] = []
    for index in range(machos):
        source = sources[index % len(sources)]
        copy = work / f"macho-{index}"
        (os.link if source.stat().st_size > 8 << 20 else shutil.copyfile)(source, copy)  # large: hard links
        files.append(str(copy))
    usr_bin = sorted(p for p in Path("/usr/bin").iterdir() if p.is_file() and not p.is_symlink())
    elf_files = [str(p) for p in usr_bin if p.read_bytes()[:4] == b"\x7fELF"] if usr_bin else []
    files += (elf_files * (elves // max(len(elf_files), 1) + 1))[:elves]
    for index in range(scripts):
        script = work / f"script-{index}"
        script.write_text(SHEBANGS[index % len(SHEBANGS)] + "echo bench\n")
        script.chmod(0o755)
        files.append(str(script))
    return files


def run(files: list[str], assume: Assumptions, cache: VerdictCache | None) -> float:
    start = time.perf_counter()
    for path in files:
        judge_file(path, assume, cache=cache)
    if cache is not None:
        cache.save()
    return time.perf_counter() - start


def read_headers(files: list[str]) -> float:
    """The floor: each file opened, and the header and load commands of each slice read."""
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            magic = struct.unpack(">I", head[:4])[0]
            if magic in (0xCAFEBABE, 0xCAFEBABF):
                count = struct.unpack(">I", head[4:8])[0]
                entry = 32 if magic == 0xCAFEBABF else 20
                offsets = [struct.unpack_from(">Q" if entry == 32 else ">I", head, 8 + i * entry + 8)[0]
                           for i in range(count)]
            else:
                offsets = [0]
            for offset in offsets:
                fh.seek(offset)
                header = fh.read(32)
                little = header[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
                size = struct.unpack_from("<I" if little else ">I", header, 20)[0]
                fh.read(size)
    return time.perf_counter() - start


def macho_ratio(work: Path, total: int, rounds: int) -> None:
    sources = macho_sources(work)
    files = []
    for index in range(total):
        source = sources[index % len(sources)]
        copy = work / f"only-macho-{index}"
        (os.link if source.stat().st_size > 8 << 20 else shutil.copyfile)(source, copy)
        files.append(str(copy))
    assume = Assumptions("macos")
    judged, floor = [], []
    read_headers(files)
    for index in range(rounds):
        cache = VerdictCache(work / f"empty-{index}.json")
        for name in (("judge", "floor") if index % 2 == 0 else ("floor", "judge")):
            if name == "judge":
                judged.append(run(files, assume, cache))
            else:
                floor.append(read_headers(files))
    print(f"\n{total} Mach-O files, {rounds} interleaved rounds: judged with an empty verdict cache, median "
          f"{sorted(judged)[len(judged) // 2]:.3f} s; headers read, median {sorted(floor)[len(floor) // 2]:.3f} s")
    print("judged / headers read:", goal_text(judged, floor, 10.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sipdoctor-bench-") as tmp:
        work = Path(tmp)
        files = build_corpus(work, args.files)
        elves = {f for f in files if f.startswith("/usr/bin/")}
        print(f"{len(files)} files ({len(set(files))} distinct paths; {len(elves)} distinct ELF files from /usr/bin, "
              f"the rest Mach-O copies and scripts), python {sys.version.split()[0]}")
        print("cold = empty cache file: repeated paths and script interpreters already hit within the run")
        print(f"{'target':<7} {'mode':<22} {'seconds':>8} {'files/s':>9} {'ms/file':>8}")
        for target in ("macos", "linux"):
            assume = Assumptions(target)
            cache_file = work / f"verdicts-{target}.json"
            rows = [("no cache", run(files, assume, None)),
                    ("cold (empty cache)", run(files, assume, VerdictCache(cache_file)))]
            load = time.perf_counter()
            warm_cache = VerdictCache(cache_file)
            rows.append(("warm (cache from disk)", run(files, assume, warm_cache) + time.perf_counter() - load))
            for mode, seconds in rows:
                print(f"{target:<7} {mode:<22} {seconds:>8.3f} {len(files) / seconds:>9.0f} "
                      f"{1000 * seconds / len(files):>8.3f}")
        macho_ratio(work, args.files, args.rounds)


if __name__ == "__main__":
    main()
