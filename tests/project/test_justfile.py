"""Reading justfiles: recipes, dependencies, settings, script recipes, and what `check` collects from them."""

from __future__ import annotations

import json
from pathlib import Path

from sipdoctor.sources.justfile import find_justfile, parse_justfile
from sipdoctor.sources.tasks import just_commands

JUSTFILE = """\
# the usual entry points
set shell := ["bash", "-uc"]
alias b := bench
version := "1.2"

bench target="all": build (fetch "x") lint
    @echo "running {{target}}"
    -python3 bench.py \\
      --fast

    # a comment inside the body
    cargo bench

build:
    cargo build --release

lint: build
    ruff check .

[script]
report:
    echo hi
    echo there

[script("python3", "-u")]
plot:
    print(1)

shebang:
    #!/usr/bin/env node
    console.log(1)
"""


def test_recipes_lines_and_dependencies() -> None:
    justfile = parse_justfile("justfile", JUSTFILE)
    assert justfile.shell == ("bash", "-uc")
    assert justfile.default == "bench"
    bench = justfile.resolve("b")
    assert bench is not None and bench.name == "bench" and bench.line == 6
    assert bench.dependencies == ("build", "lint")  # `(fetch "x")` takes arguments: not followed
    assert bench.body == ((7, 'echo "running {{target}}"'), (8, "python3 bench.py --fast"), (12, "cargo bench"))
    assert [r.name for r in justfile.run_order("bench")] == ["build", "lint", "bench"]
    assert bench.parameters == ('target="all"',)
    assert justfile.invoked(["bench", "quick", "lint", "nope"]) == (["bench", "lint"], ["nope"])
    assert justfile.invoked([]) == (["bench"], [])


def test_script_recipes_run_their_body_with_an_interpreter() -> None:
    justfile = parse_justfile("justfile", JUSTFILE)
    assert justfile.recipes["report"].script == ("sh", "-eu")
    assert justfile.recipes["plot"].script == ("python3", "-u")
    assert justfile.recipes["shebang"].script == ("/usr/bin/env", "node")
    assert justfile.recipes["build"].script is None


def test_dependency_cycles_end() -> None:
    justfile = parse_justfile("justfile", "a: b\n    echo a\nb: a\n    echo b\n")
    assert [r.name for r in justfile.run_order("a")] == ["b", "a"]


def test_subsequent_dependencies_run_right_after() -> None:
    text = "bench: build && report clean\n    run\nbuild:\n    b\nreport: build\n    r\nclean:\n    c\n"
    justfile = parse_justfile("justfile", text)
    assert [r.name for r in justfile.run_order("bench")] == ["build", "bench", "build", "report", "clean"]
    loop = parse_justfile("justfile", "a: && b\n    a\nb: && a\n    b\n")
    assert [r.name for r in loop.run_order("a")] == ["a", "b"]


def test_a_very_long_dependency_chain() -> None:
    text = "".join(f"r{i}: r{i + 1}\n    echo {i}\n" for i in range(5000)) + "r5000:\n    echo end\n"
    order = parse_justfile("justfile", text).run_order("r0")
    assert len(order) == 5001 and order[0].name == "r5000" and order[-1].name == "r0"


def test_a_malformed_setting_is_reported_with_its_line() -> None:
    justfile = parse_justfile("/p/justfile", "x := '1'\nset shell := bash\nbench:\n    true\n")
    assert [(p.file, p.line) for p in justfile.problems] == [("/p/justfile", 2)]
    assert justfile.shell == ("sh", "-cu")


def test_the_justfile_is_found_in_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / "Justfile").write_text("bench:\n    true\n")
    (tmp_path / "crates" / "core").mkdir(parents=True)
    assert find_justfile(tmp_path / "crates" / "core") == tmp_path / "Justfile"
    assert find_justfile(Path("/proc/self")) is None


def test_check_collects_each_recipe_line_with_its_shell(tmp_path: Path) -> None:
    (tmp_path / "justfile").write_text(JUSTFILE)
    commands, problems = just_commands(tmp_path / "justfile")
    assert problems == []
    bench = [c for c in commands if c.name == "bench"]
    assert [(c.line, c.command, c.shell) for c in bench][1] == (8, "python3 bench.py --fast", ("bash", "-uc"))
    (shebang,) = [c for c in commands if c.name == "shebang"]
    assert shebang.argv == ("/usr/bin/env", "node", "<body of recipe shebang>")


def test_check_reads_a_capitalised_justfile(cli, tmp_path: Path) -> None:
    (tmp_path / "Justfile").write_text("bench:\n    python3 bench.py\n")
    result = cli("check", tmp_path, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    commands = json.loads(result.stdout)["commands"]
    assert [(c["source"], c["name"], c["line"]) for c in commands if c["source"] == "justfile"] == [
        ("justfile", "bench", 2)]
