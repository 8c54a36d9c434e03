"""The verdict cache (keyed by file identity, corrupt files ignored) and PATH resolution (every match, in order)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, VerdictCache, judge_file, resolve_command
from sipdoctor.binaries.fileinfo import inspect
from tests.conftest import write_executable

MAC = Assumptions("macos")


def test_cached_report_equals_a_fresh_one(tmp_path: Path, macho_fixture: Callable[[str], Path]) -> None:
    path = str(macho_fixture("ccmake_fat_hardened_allowdyld"))
    cache_file = tmp_path / "verdicts.json"
    with VerdictCache(cache_file) as cache:
        fresh = judge_file(path, MAC, cache=cache)
    warm = VerdictCache(cache_file)
    assert len(warm) == 1
    assert warm.get(inspect(path), MAC) == fresh
    assert judge_file(path, MAC, cache=warm) == fresh


def test_changed_file_or_assumptions_miss(tmp_path: Path, zig_macho: dict[str, Path]) -> None:
    binary = tmp_path / "tool"
    binary.write_bytes(zig_macho["plain"].read_bytes())
    cache = VerdictCache(tmp_path / "verdicts.json")
    judge_file(str(binary), MAC, cache=cache)
    assert cache.get(inspect(str(binary)), MAC) is not None
    assert cache.get(inspect(str(binary)), Assumptions("macos", sip="off")) is None
    os.utime(binary, ns=(1, 1))
    assert cache.get(inspect(str(binary)), MAC) is None


def test_a_cache_hit_is_used(tmp_path: Path, zig_macho: dict[str, Path]) -> None:
    """Prove the cache is read: plant a different verdict under the file's key and get it back."""
    binary = tmp_path / "tool"
    binary.write_bytes(zig_macho["plain"].read_bytes())
    cache_file = tmp_path / "verdicts.json"
    with VerdictCache(cache_file) as cache:
        judge_file(str(binary), MAC, cache=cache)
    data = json.loads(cache_file.read_text())
    (entry,) = data["entries"].values()
    entry["verdict"] = "ignored"
    cache_file.write_text(json.dumps(data))
    assert judge_file(str(binary), MAC, cache=VerdictCache(cache_file)).verdict.value == "ignored"


@pytest.mark.parametrize("content", ["", "{not json", '{"format": 1, "version": "0.1.0", "entries": []}',
                                     '{"format": 1, "version": "0.1.0", "entries": {"k": {"verdict": 3}}}', "[]"])
def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path, zig_macho: dict[str, Path], content: str) -> None:
    cache_file = tmp_path / "verdicts.json"
    cache_file.write_text(content)
    with VerdictCache(cache_file) as cache:
        report = judge_file(str(zig_macho["plain"]), MAC, cache=cache)
    assert report.verdict.value == "profiled"
    rebuilt = json.loads(cache_file.read_text())
    assert rebuilt["format"] == 1 and len(rebuilt["entries"]) >= 1


def test_corrupt_entry_is_judged_again(tmp_path: Path, zig_macho: dict[str, Path]) -> None:
    cache = VerdictCache(tmp_path / "verdicts.json")
    facts = inspect(str(zig_macho["plain"]))
    cache._entries[cache.key(facts, MAC)] = {"verdict": "nonsense"}
    assert cache.get(facts, MAC) is None
    assert judge_file(str(zig_macho["plain"]), MAC, cache=cache).verdict.value == "profiled"


def test_unwritable_cache_location_only_costs_speed(tmp_path: Path, zig_macho: dict[str, Path]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = VerdictCache(blocker / "sub" / "verdicts.json")
    judge_file(str(zig_macho["plain"]), MAC, cache=cache)
    cache.save()
    assert not (blocker / "sub").exists()


def test_scripts_are_not_cached_but_their_interpreters_are(tmp_path: Path) -> None:
    script = write_executable(tmp_path / "s", "#!/bin/sh\n")
    cache = VerdictCache(tmp_path / "verdicts.json")
    judge_file(str(script), Assumptions("linux"), cache=cache)
    assert cache.get(inspect(str(script)), Assumptions("linux")) is None
    assert cache.get(inspect("/bin/sh"), Assumptions("linux")) is not None


def test_resolve_lists_every_match_in_path_order(tmp_path: Path) -> None:
    first, second, empty = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for directory in (first, second, empty):
        directory.mkdir()
    write_executable(first / "tool", "#!/bin/sh\n")
    write_executable(second / "tool", "#!/bin/sh\n")
    (empty / "tool").write_text("not executable")
    (empty / "tool").chmod(0o644)
    env_path = os.pathsep.join(map(str, (empty, second, first, second, tmp_path / "missing")))
    assert resolve_command("tool", env_path) == [str(second / "tool"), str(first / "tool")]
    assert resolve_command("absent", env_path) == []
    assert resolve_command(str(first / "tool"), "") == [str(first / "tool")]


def test_empty_path_entry_means_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_executable(tmp_path / "here", "#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_command("here", f"/nonexistent{os.pathsep}") == [str(tmp_path / "here")]
