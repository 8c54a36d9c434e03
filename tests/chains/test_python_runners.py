"""`hatch run`, `pdm run`, `poetry run`, `uv run`: what each starts (the behaviour recorded in
sipdoctor/chains/python_runners.py), predicted with stand-in runner programs on PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdoctor.chains.predict import predict_command_line
from tests.binaries.conftest import PLAIN_C, zig_build
from tests.chains.test_predict_trees import MakeCtx, assert_all_after_are_caused_by, first_stripped
from tests.conftest import write_executable
from tests.project.test_pyproject_scripts import PYPROJECT
from tests.rules.conftest import install_standins


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a .venv, and the runners as Mach-O stand-ins (profiled, as Homebrew's or pipx's are)."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    venv_bin = tmp_path / ".venv" / "bin"
    macho = zig_build(PLAIN_C, "aarch64-macos")
    install_standins(venv_bin, ("python",), macho)
    write_executable(venv_bin / "pytest", f"#!{venv_bin / 'python'}\n")
    install_standins(tmp_path / "tools", ("hatch", "pdm", "poetry", "uv", "tox", "nox"), macho)
    return tmp_path


def children(line: str, project: Path, macos_ctx: MakeCtx) -> list[tuple[str, ...]]:
    prediction = predict_command_line(line, macos_ctx(project, project / "tools"))
    return [child.argv for child in prediction.roots[0].children]


def test_hatch_runs_everything_through_bin_sh(project: Path, macos_ctx: MakeCtx) -> None:
    assert children("hatch run bench", project, macos_ctx) == [("/bin/sh", "-c", "pytest benchmarks --codspeed")]
    assert children("hatch run all", project, macos_ctx) == [
        ("/bin/sh", "-c", "ruff check ."), ("/bin/sh", "-c", "pytest benchmarks --codspeed -k fast")]
    assert children("hatch run perf:bench", project, macos_ctx) == [("/bin/sh", "-c", "python perf.py")]
    assert children("hatch -e perf run bench", project, macos_ctx) == [("/bin/sh", "-c", "python perf.py")]
    assert children("hatch run python -c pass", project, macos_ctx) == [("/bin/sh", "-c", "python -c pass")]
    (project / "hatch.toml").write_text('[envs.default.scripts]\ncov = "pytest {args:tests} --cov"\n')
    assert children("hatch run cov", project, macos_ctx) == [("/bin/sh", "-c", "pytest tests --cov")]
    assert children("hatch run cov bench -x", project, macos_ctx) == [("/bin/sh", "-c", "pytest bench -x --cov")]
    prediction = predict_command_line("hatch run bench", macos_ctx(project, project / "tools"))
    assert prediction.roots[0].chain[0].status != "stripped"
    stripping = first_stripped(prediction)
    assert stripping.argv[:2] == ("/bin/sh", "-c")
    assert_all_after_are_caused_by(prediction, stripping)


def test_pdm_scripts_and_commands(project: Path, macos_ctx: MakeCtx) -> None:
    assert children("pdm run bench", project, macos_ctx) == [("pytest", "benchmarks", "--codspeed")]
    assert children("pdm run piped", project, macos_ctx) == [("/bin/sh", "-c", "python bench.py | tee out.txt")]
    assert children("pdm run python x.py", project, macos_ctx) == [("python", "x.py")]
    prediction = predict_command_line("pdm run bench", macos_ctx(project, project / "tools"))
    (pytest_process,) = prediction.roots[0].children
    assert pytest_process.chain[0].via == str(project / ".venv" / "bin" / "pytest")  # the venv comes first


def test_poetry_and_uv_exec_in_the_venv(project: Path, macos_ctx: MakeCtx) -> None:
    assert children("poetry run pytest -x", project, macos_ctx) == [("pytest", "-x")]
    assert children("uv run --with rich bench.py", project, macos_ctx) == [("python", "bench.py")]
    assert children("poetry install", project, macos_ctx) == []


TOX_INI = """\
[tox]
envlist = py312

[testenv]
commands = pytest tests

[testenv:bench]
commands =
    pytest benchmarks --codspeed
    python report.py
"""

NOXFILE = """\
import nox


@nox.session
def bench(session):
    session.install("pytest-codspeed")
    session.run("pytest", "benchmarks", "--codspeed")
"""


def test_tox_and_nox_run_their_commands_directly(project: Path, macos_ctx: MakeCtx) -> None:
    (project / "tox.ini").write_text(TOX_INI)
    (project / "noxfile.py").write_text(NOXFILE)
    (project / ".tox" / "bench" / "bin").mkdir(parents=True)
    (project / ".nox" / "bench" / "bin").mkdir(parents=True)
    assert children("tox -e bench", project, macos_ctx) == [("pytest", "benchmarks", "--codspeed"),
                                                          ("python", "report.py")]
    assert children("nox -s bench", project, macos_ctx) == [("pytest", "benchmarks", "--codspeed")]
    # An env that does not exist yet: its program is where the runner will install it, not this PATH's.
    env = project / ".tox" / "py312" / "bin"
    assert children("tox run -e py312", project, macos_ctx) == [(str(env / "pytest"), "tests")]  # [testenv]
    notes = predict_command_line("tox -e py312", macos_ctx(project, project / "tools")).roots[0].notes
    assert any(f"{env.parent} does not exist yet" in note for note in notes)
    prediction = predict_command_line("tox -e bench", macos_ctx(project, project / "tools"))
    assert "tox without -e" in " ".join(predict_command_line("tox", macos_ctx(project, project / "tools"))
                                         .roots[0].notes)
    (pytest_process, _) = prediction.roots[0].children
    assert pytest_process.chain[0].why.startswith(f"{project / 'tox.ini'}:")


TOX_SHAPES = """\
[tox]
env_list = py3{10,11}-tests, mypy, lint-ruff

[testenv]
commands =
    tests: pytest {posargs:-n auto}
    mypy: mypy typing_tests

[testenv:lint-{ruff,pre-commit}]
commands = ruff check {posargs} \\
    --fix
"""


def test_tox_factors_posargs_continuations_and_generative_sections(project: Path, macos_ctx: MakeCtx) -> None:
    (project / "tox.ini").write_text(TOX_SHAPES)
    env = project / ".tox"
    assert children("tox -e py311-tests", project, macos_ctx) == [(str(env / "py311-tests" / "bin" / "pytest"),
                                                                   "-n", "auto")]
    assert children("tox -e mypy", project, macos_ctx) == [(str(env / "mypy" / "bin" / "mypy"), "typing_tests")]
    assert children("tox -e lint-ruff", project, macos_ctx) == [(str(env / "lint-ruff" / "bin" / "ruff"), "check",
                                                                 "--fix")]
