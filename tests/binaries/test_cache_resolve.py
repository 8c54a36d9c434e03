"""The verdict cache (keyed by file identity, corrupt files ignored) and PATH resolution (every match, in order)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, VerdictCache, judge_file, resolve_command
from sipdoctor.binaries.fileinfo import inspect
from sipdoctor.binaries.resolve import PathIndex
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


def _tricky_path(tmp_path: Path) -> list[str]:
    """PATH entries that a listing could get wrong: every kind of file named like the command."""
    a, b, c, d = (tmp_path / n for n in "abcd")
    for directory in (a, b, c, d):
        directory.mkdir()
    write_executable(a / "tool", "#!/bin/sh\n")
    (b / "tool").write_text("not executable")
    (b / "tool").chmod(0o644)
    (c / "tool").mkdir()  # a directory named like the command
    (d / "tool").symlink_to(a / "tool")
    (d / "dirlink").symlink_to(c)
    (d / "broken").symlink_to(tmp_path / "nowhere")
    (d / "loop").symlink_to(d / "loop")
    (d / "Tool").write_text("#!/bin/sh\n")  # same name but for case
    (d / "Tool").chmod(0o755)
    (tmp_path / "link").symlink_to(c)
    file_entry = a / "tool"
    return [str(c), str(b), f"{a}/", str(a), str(d), str(tmp_path / "missing"), str(file_entry),
            f"{tmp_path}/link/../a", "a", "", str(d)]


@pytest.mark.parametrize("name", ["tool", "Tool", "TOOL", "dirlink", "broken", "loop", "absent", ".", "..", ""])
def test_path_index_resolves_like_resolve_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  name: str) -> None:
    env_path = os.pathsep.join(_tricky_path(tmp_path))
    monkeypatch.chdir(tmp_path)
    index = PathIndex()
    assert index.resolve(name, env_path) == resolve_command(name, env_path)
    assert index.resolve(name, env_path) == resolve_command(name, env_path)  # from the memoised listings


def test_path_index_answers_follow_the_order_and_dedupe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path = os.pathsep.join(_tricky_path(tmp_path))
    monkeypatch.chdir(tmp_path)
    a = str(tmp_path / "a" / "tool")
    assert PathIndex().resolve("tool", env_path) == [a, str(tmp_path / "d" / "tool")]
    assert PathIndex().resolve("Tool", env_path) == [str(tmp_path / "d" / "Tool")]  # Linux: case-sensitive
    assert PathIndex().resolve(a, "") == [a]


def test_relative_entries_follow_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for sub in ("one", "two"):
        (tmp_path / sub / "bin").mkdir(parents=True)
        write_executable(tmp_path / sub / "bin" / "tool", "#!/bin/sh\n")
    index = PathIndex()
    monkeypatch.chdir(tmp_path / "one")
    assert index.resolve("tool", "bin") == [str(tmp_path / "one" / "bin" / "tool")]
    monkeypatch.chdir(tmp_path / "two")
    assert index.resolve("tool", "bin") == [str(tmp_path / "two" / "bin" / "tool")]


def _resolves_in_unlistable(directory: Path) -> int:
    try:
        os.scandir(directory).close()
        return 3  # listable after all: the test would prove nothing
    except PermissionError:
        pass
    expected = [str(directory / "tool")]
    return 0 if PathIndex().resolve("tool", str(directory)) == resolve_command("tool", str(directory)) == expected \
        else 1


def test_a_directory_that_cannot_be_listed_is_still_searched() -> None:
    """execvp finds a file in a directory with search but no read permission: so must the index."""
    base = Path(tempfile.mkdtemp(prefix="sipdoctor-x-"))  # outside pytest's 0700 tmp, for the unprivileged user
    try:
        base.chmod(0o755)
        (base / "hidden").mkdir()
        write_executable(base / "hidden" / "tool", "#!/bin/sh\n")
        (base / "hidden").chmod(0o311)
        if os.geteuid() != 0:
            assert _resolves_in_unlistable(base / "hidden") == 0
            return
        pid = os.fork()  # root lists anything: check as nobody in a child
        if pid == 0:
            code = 2
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                code = _resolves_in_unlistable(base / "hidden")
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        (base / "hidden").chmod(0o755)
        shutil.rmtree(base)
