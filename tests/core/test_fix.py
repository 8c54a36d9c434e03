"""`check --fix`: the findings' exact edits applied to the project, safely, once, each with its undo."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sipdoctor.fix import apply_edit, chosen_edits
from sipdoctor.model import FileEdit, Finding, Remediation, Severity


def test_replace_prepend_append_and_their_repeats(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("bench:\n\tpython3 bench.py\n")
    (tmp_path / "Makefile").chmod(0o640)
    replace = FileEdit("Makefile", "replace", "python3 bench.py", "uv run bench.py")
    assert apply_edit(tmp_path, replace).applied
    assert not apply_edit(tmp_path, replace).applied  # the text is gone: said, not guessed
    assert apply_edit(tmp_path, FileEdit("Makefile", "prepend", "SHELL := /opt/homebrew/bin/bash")).applied
    assert (tmp_path / "Makefile").read_text() == "SHELL := /opt/homebrew/bin/bash\nbench:\n\tuv run bench.py\n"
    assert stat.S_IMODE((tmp_path / "Makefile").stat().st_mode) == 0o640
    outcome = apply_edit(tmp_path, FileEdit(".npmrc", "append", "script-shell=/opt/homebrew/bin/bash"))
    assert outcome.applied and "to undo: delete that line from .npmrc" in outcome.note
    again = apply_edit(tmp_path, FileEdit(".npmrc", "append", "script-shell=/opt/homebrew/bin/bash"))
    assert not again.applied and "already done" in again.note
    assert (tmp_path / ".npmrc").read_text() == "script-shell=/opt/homebrew/bin/bash\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".npmrc", "Makefile"]  # no temporary file left


def test_nothing_outside_the_project_or_odd_is_touched(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside").write_text("x\n")
    (project / "escape").symlink_to(tmp_path / "outside")
    (project / "loop").symlink_to(project / "loop")
    os.mkfifo(project / "fifo")
    (project / "binary").write_bytes(b"\xff\xfe\x00")
    for name in ("../outside", "escape", "loop", "fifo", "binary"):
        outcome = apply_edit(project, FileEdit(name, "append", "line"))
        assert not outcome.applied and "not changed" in outcome.note, (name, outcome)
    assert (tmp_path / "outside").read_text() == "x\n"


def test_a_link_inside_the_project_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.npmrc").write_text("a=1\n")
    (tmp_path / ".npmrc").symlink_to("real.npmrc")
    assert apply_edit(tmp_path, FileEdit(".npmrc", "append", "b=2")).applied
    assert (tmp_path / ".npmrc").is_symlink() and (tmp_path / "real.npmrc").read_text() == "a=1\nb=2\n"


def test_the_first_edit_of_each_finding_once() -> None:
    first, second = FileEdit("a", "append", "1"), FileEdit("a", "append", "2")
    finding = Finding("CHN001", Severity.ERROR, "t", "m", remediations=(
        Remediation("text only"), Remediation("best", edit=first), Remediation("other", edit=second)))
    assert chosen_edits([finding, finding]) == [first]
