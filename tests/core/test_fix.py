"""Safe edits: exactly the text named, at a command boundary, every other byte, the owner and the mode kept."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from sipdoctor.fix import FixInterrupted, apply_edits, diff
from sipdoctor.model import FileEdit
from sipdoctor.sources import edits


def one(root: Path, edit: FileEdit, backups: Path):  # type: ignore[no-untyped-def]
    (outcome,) = apply_edits(root, [edit], backups)
    return outcome


def test_replace_prepend_append_and_their_repeats(tmp_path: Path) -> None:
    project, backups = tmp_path / "p", tmp_path / "backups"
    project.mkdir()
    (project / "Makefile").write_text("bench:\n\tpython3 bench.py\n")
    (project / "Makefile").chmod(0o640)
    replace = FileEdit("Makefile", "replace", "python3 bench.py", "uv run bench.py", line=1, span=2)
    assert one(project, replace, backups).applied
    again = one(project, replace, backups)
    assert not again.applied and "already done" in again.note
    assert one(project, FileEdit("Makefile", "prepend", "SHELL := /opt/homebrew/bin/bash"), backups).applied
    assert (project / "Makefile").read_text() == "SHELL := /opt/homebrew/bin/bash\nbench:\n\tuv run bench.py\n"
    assert stat.S_IMODE((project / "Makefile").stat().st_mode) == 0o640
    outcome = one(project, FileEdit(".npmrc", "append", "script-shell=/opt/homebrew/bin/bash"), backups)
    assert outcome.applied and outcome.undo == f"rm {project / '.npmrc'}"
    again = one(project, FileEdit(".npmrc", "append", "script-shell=/opt/homebrew/bin/bash"), backups)
    assert not again.applied and "already done" in again.note
    assert (project / ".npmrc").read_text() == "script-shell=/opt/homebrew/bin/bash\n"
    assert sorted(p.name for p in project.iterdir()) == [".npmrc", "Makefile"]  # no temporary file left


def test_a_command_inside_another_is_never_replaced(tmp_path: Path) -> None:
    """The `bench` script quotes `npm run benchmark`: an edit of that text on the `bench` line is refused."""
    text = '{\n  "scripts": {\n    "bench": "branchcmp -r 2 \\"npm run benchmark\\"",\n' \
           '    "benchmark": "npm run benchmark-all"\n  }\n}\n'
    (tmp_path / "package.json").write_text(text)
    inner = FileEdit("package.json", "replace", "npm run benchmark", "node x.js", line=3)
    outcome = one(tmp_path, inner, tmp_path / "b")
    assert not outcome.applied and "not there as a whole command" in outcome.note
    longer = FileEdit("package.json", "replace", "npm run benchmark", "node x.js", line=4)
    assert not one(tmp_path, longer, tmp_path / "b").applied  # a prefix of `npm run benchmark-all`
    assert (tmp_path / "package.json").read_text() == text
    assert edits.locate('"bench": "vitest bench --run && echo ok",', "vitest bench --run", None) is not None
    assert edits.locate("\t@python3 bench.py > out.txt", "python3 bench.py", None) is None


def test_crlf_bom_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfbench:\r\n\tpython3 bench.py\r\n\techo done"
    (tmp_path / "Makefile").write_bytes(data)
    one(tmp_path, FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"), tmp_path / "b")
    one(tmp_path, FileEdit("Makefile", "replace", "python3 bench.py", "a\nb", line=3), tmp_path / "b")
    one(tmp_path, FileEdit("Makefile", "append", "# end"), tmp_path / "b")
    assert (tmp_path / "Makefile").read_bytes() == \
        b"\xef\xbb\xbfSHELL := /bin/zsh\r\nbench:\r\n\ta\r\nb\r\n\techo done\r\n# end"


def test_the_printed_undo_restores_the_file_byte_for_byte(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    data = b"all:\r\n\techo hi\r\nbench:\r\n\tpython3 bench.py\r\n"
    (project / "Makefile").write_bytes(data)
    first, second = apply_edits(project, [FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"),
                                          FileEdit("Makefile", "replace", "python3 bench.py", "./bench", line=5)],
                                tmp_path / "b")
    assert second.applied
    assert first.undo == second.undo and first.undo is not None  # one copy per file, taken before the first
    subprocess.run(first.undo, shell=True, check=True)
    assert (project / "Makefile").read_bytes() == data


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 0, 2)])
def test_the_undos_of_several_files_restore_them_in_any_order(tmp_path: Path, order: tuple[int, ...]) -> None:
    """One undo per file, each back to the file as it was before the run: no undo depends on another one."""
    project = tmp_path / "p"
    (project / "scripts").mkdir(parents=True)
    files = {"Makefile": b"bench:\n\tpython3 bench.py\n", "scripts/bench.sh": b"#!/bin/sh\npython3 bench.py\n"}
    for name, data in files.items():
        (project / name).write_bytes(data)
    (project / "scripts/bench.sh").chmod(0o755)
    os.utime(project / "Makefile", (1_000_000_000, 1_000_000_000))
    before = {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode), p.stat().st_mtime) for p in project.rglob("*")
              if p.is_file()}
    outcomes = apply_edits(project, [
        FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"),
        FileEdit("scripts/bench.sh", "replace", "python3 bench.py", "uv run bench.py", line=2),
        FileEdit("Makefile", "replace", "python3 bench.py", "uv run bench.py", line=3),
        FileEdit(".npmrc", "append", "script-shell=bash"),
    ], tmp_path / "b")
    assert all(o.applied for o in outcomes)
    undos = list(dict.fromkeys(o.undo for o in outcomes if o.undo))
    assert len(undos) == 3  # Makefile, scripts/bench.sh, .npmrc: one each
    for index in order:
        subprocess.run(undos[index], shell=True, check=True)
    after = {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode), p.stat().st_mtime) for p in project.rglob("*")
             if p.is_file()}
    assert after == before  # bytes, mode (the script stays executable) and times; .npmrc gone


def test_owner_group_and_mode_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "Makefile"
    path.write_text("bench:\n\tpython3 bench.py\n")
    path.chmod(0o751)
    if os.geteuid() == 0:
        os.chown(path, 1234, 2345)
    before = path.stat()
    assert one(tmp_path, FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"), tmp_path / "b").applied
    after = path.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == \
        (before.st_uid, before.st_gid, 0o751)
    assert after.st_ino != before.st_ino  # replaced in one rename, not rewritten in place


def test_a_read_only_file_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "Makefile"
    path.write_text("bench:\n\tpython3 bench.py\n")
    path.chmod(0o444)
    outcome = one(tmp_path, FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"), tmp_path / "b")
    assert not outcome.applied and "read-only (mode 0444)" in outcome.note
    assert path.read_text() == "bench:\n\tpython3 bench.py\n" and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_diff_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("bench:\n\tpython3 bench.py\n")
    text, refused = diff(tmp_path, [FileEdit("Makefile", "prepend", "SHELL := /bin/zsh"),
                                    FileEdit(".npmrc", "append", "script-shell=/bin/zsh")])
    assert refused == []
    assert "--- a/Makefile\n+++ b/Makefile\n" in text and "+SHELL := /bin/zsh\n" in text
    assert "+++ b/.npmrc\n" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Makefile"]


def test_ctrl_c_reports_the_edits_already_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").write_text("x\n")
    (tmp_path / "b").write_text("y\n")
    real = edits.apply
    calls = []

    def interrupted(data: bytes, edit: FileEdit) -> bytes:
        calls.append(edit.file)
        if edit.file == "b":
            raise KeyboardInterrupt
        return real(data, edit)

    monkeypatch.setattr(edits, "apply", interrupted)
    with pytest.raises(FixInterrupted) as stopped:
        apply_edits(tmp_path, [FileEdit("a", "append", "1"), FileEdit("b", "append", "2")], tmp_path / "bk")
    assert [o.edit.file for o in stopped.value.outcomes if o.applied] == ["a"]
    assert (tmp_path / "a").read_text() == "x\n1\n" and (tmp_path / "b").read_text() == "y\n"


def test_nothing_outside_the_project_or_odd_is_touched(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside").write_text("x\n")
    (project / "escape").symlink_to(tmp_path / "outside")
    (project / "loop").symlink_to(project / "loop")
    os.mkfifo(project / "fifo")
    (project / "binary").write_bytes(b"\xff\xfe\x00")
    for name in ("../outside", "escape", "loop", "fifo", "binary"):
        outcome = one(project, FileEdit(name, "append", "line"), tmp_path / "b")
        assert not outcome.applied and "not changed" in outcome.note, (name, outcome)
    assert (tmp_path / "outside").read_text() == "x\n"


def test_a_link_inside_the_project_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.npmrc").write_text("a=1\n")
    (tmp_path / ".npmrc").symlink_to("real.npmrc")
    assert one(tmp_path, FileEdit(".npmrc", "append", "b=2"), tmp_path / "b").applied
    assert (tmp_path / ".npmrc").is_symlink() and (tmp_path / "real.npmrc").read_text() == "a=1\nb=2\n"
