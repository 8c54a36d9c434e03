"""`just RECIPE` predicted from the justfile: each recipe line in its own `sh -cu` (or `set shell`), the
dependencies first, script recipes through their interpreter; checked against the real `just` binary."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from sipdoctor.chains.predict import predict_command_line
from sipdoctor.sources.justfile import script_body
from tests.chains.conftest import host_path
from tests.chains.test_predict_trees import MakeCtx, assert_all_after_are_caused_by, first_stripped

JUSTFILE = """\
alias b := bench

bench: build
    @python3 -c 'print("bench")' && echo done

build:
    echo build > built.txt

[script]
report:
    echo report
"""


def test_just_bench_runs_each_line_in_sh_cu(tmp_path: Path, macos_ctx: MakeCtx, just_dir: Path) -> None:
    (tmp_path / "justfile").write_text(JUSTFILE)
    (tmp_path / "crates").mkdir()
    prediction = predict_command_line("just b", macos_ctx(tmp_path / "crates", just_dir))  # found upwards
    (root,) = prediction.roots
    build, bench = root.children
    assert build.argv == ("sh", "-cu", "echo build > built.txt") and ":7 recipe `build`" in build.chain[0].why
    assert bench.argv == ("sh", "-cu", "python3 -c 'print(\"bench\")' && echo done")
    assert [p.argv[0] for p in bench.children] == ["python3"]
    stripping = first_stripped(prediction)
    assert stripping is build.chain[0] and stripping.status == "stripped"
    assert_all_after_are_caused_by(prediction, bench.chain[0])


def just_runs(project: Path, just_dir: Path, *args: str) -> list[list[str]]:
    """What the real just starts, with a stand-in `sh` first on PATH that logs its arguments."""
    logger = project / "bin" / "sh"
    logger.parent.mkdir(exist_ok=True)
    logger.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {project}/argv.log\necho >> {project}/argv.log\n')
    logger.chmod(0o755)
    (project / "argv.log").unlink(missing_ok=True)
    env = {**os.environ, "PATH": os.pathsep.join([str(logger.parent), str(just_dir), "/usr/bin", "/bin"])}
    subprocess.run(["just", *args], cwd=project, env=env, check=True, capture_output=True)
    return [line.rstrip("|").split("|") for line in (project / "argv.log").read_text().splitlines()]


def predicted(project: Path, just_dir: Path, line: str) -> list[list[str]]:
    from sipdoctor.binaries import Assumptions
    from sipdoctor.chains.context import Judge
    from sipdoctor.chains.predict import make_context

    ctx = make_context(Judge(Assumptions(target="linux")), project,
                       {"PATH": host_path(project / "bin", just_dir)})
    return [list(p.argv[1:]) for p in predict_command_line(line, ctx).roots[0].children]


@pytest.mark.parametrize("args", [("bench",), ("build", "report"), ("release",)])
def test_the_prediction_matches_what_just_runs(tmp_path: Path, just_dir: Path, args: tuple[str, ...]) -> None:
    """The same lines in the same order as the real just: dependencies, several recipes, `&&` subsequents."""
    (tmp_path / "justfile").write_text(JUSTFILE + "release: build && bench\n    echo release\n")
    ran = just_runs(tmp_path, just_dir, *args)
    temporary = re.compile(r"^/.*/just-[^/]+/(?P<recipe>[\w-]+)$")  # just writes a [script] body to a file
    ran = [[script_body(m["recipe"]) if (m := temporary.match(a)) else a for a in line] for line in ran]
    assert ran and ran == predicted(tmp_path, just_dir, " ".join(["just", *args]))


def test_set_shell_and_script_recipes(tmp_path: Path, macos_ctx: MakeCtx, just_dir: Path) -> None:
    (tmp_path / "justfile").write_text("set shell := ['bash', '-uc']\n" + JUSTFILE)
    build, report = predict_command_line("just build report", macos_ctx(tmp_path, just_dir)).roots[0].children
    assert build.argv == ("bash", "-uc", "echo build > built.txt")
    assert report.argv == ("sh", "-eu", "<body of recipe report>")


def test_a_missing_recipe_or_justfile_is_a_note(tmp_path: Path, macos_ctx: MakeCtx, just_dir: Path) -> None:
    assert "no justfile" in " ".join(predict_command_line("just", macos_ctx(tmp_path, just_dir)).roots[0].notes)
    (tmp_path / "justfile").write_text(JUSTFILE)
    root = predict_command_line("just nope", macos_ctx(tmp_path, just_dir)).roots[0]
    assert not root.children and any("no recipe `nope`" in n for n in root.notes)
