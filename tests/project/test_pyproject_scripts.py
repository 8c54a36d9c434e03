"""Named scripts of hatch and pdm, read from pyproject.toml and hatch.toml."""

from __future__ import annotations

from pathlib import Path

from sipdoctor.sources.pyproject_scripts import ScriptCommand, hatch_scripts, pdm_script, project_root

PYPROJECT = """\
[project]
name = "p"

[tool.hatch.envs.default.scripts]
bench = "pytest benchmarks --codspeed"
all = ["lint", "bench -k fast"]
lint = "ruff check ."

[tool.hatch.envs.perf.scripts]
bench = "python perf.py"

[tool.pdm.scripts]
_ = {env_file = ".env"}
bench = "pytest benchmarks --codspeed"
direct = {cmd = ["python", "bench.py", "--fast"]}
piped = {shell = "python bench.py | tee out.txt"}
both = {composite = ["direct", "ruff check ."]}
"""


def test_hatch_scripts_per_environment(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    scripts, notes = hatch_scripts(tmp_path, "default")
    assert notes == []
    assert scripts["bench"] == ["pytest benchmarks --codspeed"] and scripts["all"] == ["lint", "bench -k fast"]
    assert hatch_scripts(tmp_path, "perf")[0] == {"bench": ["python perf.py"]}
    assert hatch_scripts(tmp_path, "missing")[0] == {}


def test_hatch_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "hatch.toml").write_text('[envs.default.scripts]\nbench = ["python a.py", "python b.py"]\n')
    assert hatch_scripts(tmp_path, "default")[0]["bench"] == ["python a.py", "python b.py"]


def test_pdm_script_kinds(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert pdm_script(tmp_path, "bench") == ([ScriptCommand(argv=("pytest", "benchmarks", "--codspeed"))], [])
    assert pdm_script(tmp_path, "direct")[0] == [ScriptCommand(argv=("python", "bench.py", "--fast"))]
    assert pdm_script(tmp_path, "piped")[0] == [ScriptCommand(shell_line="python bench.py | tee out.txt")]
    assert pdm_script(tmp_path, "both")[0] == [ScriptCommand(argv=("python", "bench.py", "--fast")),
                                               ScriptCommand(argv=("ruff", "check", "."))]
    assert pdm_script(tmp_path, "_")[0] is None and pdm_script(tmp_path, "pytest")[0] is None


def test_bad_toml_is_a_note_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pdm.scripts\nbench = 1\n")
    commands, notes = pdm_script(tmp_path, "bench")
    assert commands is None and len(notes) == 1 and str(tmp_path / "pyproject.toml") in notes[0]
    assert "line 1" in notes[0]


def test_the_project_root_is_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "src" / "p").mkdir(parents=True)
    assert project_root(tmp_path / "src" / "p") == tmp_path


def test_check_predicts_each_runner_script(cli, tmp_path: Path) -> None:
    import json

    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    result = cli("check", tmp_path, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    commands = {(c["source"], c["name"]): c for c in json.loads(result.stdout)["commands"]}
    assert commands[("hatch", "bench")]["line"] == 5 and commands[("hatch", "bench")]["command"] == "hatch run bench"
    assert commands[("pdm", "piped")]["line"] == 16
    assert ("pdm", "_") not in commands
