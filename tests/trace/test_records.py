"""Parsing probe records and turning one process's records into images."""

from __future__ import annotations

from pathlib import Path

from sipdoctor.trace.records import assign_starts, parse_line, parse_lines
from sipdoctor.trace.tree import images_from_events


def rec(line: str) -> bytes:
    return line.replace("|", "\t").encode() + b"\n"


LOAD = rec("load|10|1|500|900|1000|1|/usr/bin/python3.11|/usr/bin/python3|2|python3|x\\x09y")
EXEC = rec("exec|10|1|500|2000|2000|1|/bin/sh|3|sh|-c|true")
FAIL = rec("execfail|10|1|500|2100|2100|2")
EXIT = rec("exit|11|10|501|300|3000")


def test_fields_and_escapes() -> None:
    load = parse_line(LOAD[:-1])
    assert (load.kind, load.pid, load.ppid, load.start, load.cpu_us) == ("load", 10, 1, 500, 900)
    assert load.has_var and load.path == "/usr/bin/python3.11" and load.execfn == "/usr/bin/python3"
    assert load.argv == ("python3", "x\ty") and len(load.argv) == load.argc


def test_an_unresolved_executable_is_resolved_from_the_exec_path(tmp_path: Path) -> None:
    """The Linux probe leaves `exe` empty when the exec'd path is absolute; the parser resolves it."""
    program = tmp_path / "real-program"
    program.write_bytes(b"")
    link = tmp_path / "link-to-program"
    link.symlink_to(program)
    load = parse_line(rec(f"load|10|1|-1|900|1000|1||{link}|1|prog")[:-1])
    assert load.path == str(program.resolve()) and load.execfn == str(link)


def test_spawn_record() -> None:
    spawn = parse_line(rec("spawn|10|1|500|1|1|0|42|77|/bin/echo|5|echo|a")[:-1])
    assert (spawn.child_pid, spawn.child_start, spawn.path, spawn.has_var) == (42, 77, "/bin/echo", False)
    assert spawn.argc == 5 and len(spawn.argv) < spawn.argc


def test_torn_and_foreign_lines_are_counted_not_raised() -> None:
    result = parse_lines([LOAD, LOAD[:20], b"garbage\n", rec("load|x|1|2|3|4"), EXIT])
    assert len(result.records) == 2 and result.malformed == 3


def test_failed_exec_leaves_the_image_alone() -> None:
    events = parse_lines([LOAD, EXEC, FAIL, rec("exit|10|1|500|2500|2600")]).records
    (image,) = images_from_events(events)
    assert image.loaded and image.cpu_start_us == 0 and image.cpu_end_us == 2500


def test_exec_into_an_image_without_the_probe() -> None:
    events = parse_lines([LOAD, EXEC]).records
    python, sh = images_from_events(events)
    assert python.loaded and python.cpu_end_us == 2000
    assert not sh.loaded and sh.exe == "/bin/sh" and sh.argv == ("sh", "-c", "true") and sh.has_var


def test_exec_through_an_unrecorded_image() -> None:
    """exec of a static program that itself execs a dynamic one: the load's AT_EXECFN tells them apart."""
    later = rec("load|10|1|500|3000|3000|1|/usr/bin/true|/usr/bin/true|1|true")
    events = parse_lines([LOAD, EXEC, later]).records
    python, sh, true = images_from_events(events)
    assert (python.loaded, sh.loaded, true.loaded) == (True, False, True)
    assert sh.cpu_end_us == 3000 and true.cpu_start_us == 3000


def test_fork_then_exit() -> None:
    events = parse_lines([rec("fork|11|10|501|0|2500"), EXIT]).records
    (child,) = images_from_events(events)
    assert child.from_fork and child.loaded and child.cpu_end_us == 300


# assign_starts: Linux records carry start -1 and the probe's clock (CLOCK_BOOTTIME, ns); 100 ticks a second.
SECOND = 1_000_000_000


def linux(kind: str, pid: int, at_s: float, extra: str = "") -> bytes:
    fields = f"{kind}|{pid}|1|-1|0|{int(at_s * SECOND)}" + (f"|{extra}" if extra else "")
    return rec(fields)


def test_known_start_is_the_latest_one_before_the_record() -> None:
    records = parse_lines([linux("exit", 42, 10.0)]).records
    (filled,) = assign_starts(records, {42: [500, 900, 1200]}, 100)
    assert filled.start == 900  # 1200 ticks = 12 s is after the record at 10 s


def test_unseen_pid_reused_after_exit_gets_two_processes() -> None:
    lines = [linux("exec", 7, 1.0, "1|/bin/true|1|true"), linux("exit", 7, 1.5), linux("exit", 7, 3.0)]
    first, second, third = assign_starts(parse_lines(lines).records, {}, 100)
    assert first.start == second.start == 100 and third.start == 300


def test_spawn_child_start_comes_from_the_child_records() -> None:
    lines = [linux("spawn", 5, 2.0, "1|9|-1|/bin/echo|1|echo"), linux("load", 9, 1.99, "1|/bin/echo|/bin/echo|1|echo")]
    spawn, load = assign_starts(parse_lines(lines).records, {}, 100)
    assert spawn.child_start == load.start == 199
