"""`bun run NAME`: the package script in the first `bash` on PATH, or in bun's own shell (--shell=bun,
bunfig.toml), as recorded in sipdoctor/chains/runners.py; bun is a Mach-O stand-in here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sipdoctor.chains.predict import predict_command_line
from tests.binaries.conftest import PLAIN_C, zig_build
from tests.chains.test_predict_trees import MakeCtx, assert_all_after_are_caused_by, first_stripped
from tests.rules.conftest import install_standins

SCRIPT = "node -e 'console.log(1)' && echo done"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "package.json").write_text(json.dumps({"name": "b", "scripts": {"bench": SCRIPT}}))
    install_standins(tmp_path / "tools", ("bun",), zig_build(PLAIN_C, "aarch64-macos"))
    return tmp_path


def test_bun_run_uses_the_first_bash_on_path(project: Path, macos_ctx: MakeCtx) -> None:
    prediction = predict_command_line("bun run bench", macos_ctx(project, project / "tools"))
    (bash,) = prediction.roots[0].children
    assert bash.argv == ("bash", "-c", SCRIPT) and "first bash on PATH" in bash.chain[0].why
    assert [p.argv[0] for p in bash.children] == ["node"]
    stripping = first_stripped(prediction)
    assert stripping is bash.chain[0]
    assert_all_after_are_caused_by(prediction, stripping)


@pytest.mark.parametrize("how", ["flag", "bunfig"])
def test_buns_own_shell_starts_the_commands_directly(project: Path, macos_ctx: MakeCtx, how: str) -> None:
    line = "bun run --shell=bun bench" if how == "flag" else "bun run bench"
    if how == "bunfig":
        (project / "bunfig.toml").write_text('[run]\nshell = "bun"\n')
    prediction = predict_command_line(line, macos_ctx(project, project / "tools"))
    assert [p.argv for p in prediction.roots[0].children] == [("node", "-e", "console.log(1)")]


def test_bun_running_a_file_starts_nothing(project: Path, macos_ctx: MakeCtx) -> None:
    assert predict_command_line("bun bench.ts", macos_ctx(project, project / "tools")).roots[0].children == ()


def test_a_broken_bunfig_is_a_note_with_its_line(project: Path, macos_ctx: MakeCtx) -> None:
    (project / "bunfig.toml").write_text('[run]\nshell = "bun\n')
    root = predict_command_line("bun run bench", macos_ctx(project, project / "tools")).roots[0]
    assert [p.argv[0] for p in root.children] == ["bash"]
    assert any(note.startswith(f"{project / 'bunfig.toml'}:2: bad TOML") for note in root.notes), root.notes
