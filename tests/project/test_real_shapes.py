"""Shapes found on real projects: justfile dependency expressions over several lines and `{{ }}` in bodies, the
Makefile forms GNU make accepts, and benchmarks recognised by what they run rather than by keywords."""

from __future__ import annotations

import json
from pathlib import Path

from sipdoctor.binaries import Assumptions
from sipdoctor.project.benchmarks import Selection
from sipdoctor.project.facts import collect_project_facts
from sipdoctor.sources.files import read_text
from sipdoctor.sources.justfile import parse_justfile
from sipdoctor.sources.makefile import parse_makefile
from sipdoctor.system import System

JUSTFILE = """\
python := "python3"

bench: (build "release"
        "--locked") (fetch
    "data")
    {{python}} bench.py --rounds {{ rounds }}
    echo '{{{{literal}}'

build mode flag:
    cargo build --profile {{mode}} {{flag}}

fetch what:
    curl -O https://example.com/{{what}}
"""


def test_justfile_dependency_expressions_over_several_lines() -> None:
    justfile = parse_justfile("justfile", JUSTFILE)
    assert list(justfile.recipes) == ["bench", "build", "fetch"]
    bench = justfile.recipes["bench"]
    assert bench.dependencies == ("build", "fetch")
    assert bench.body == ((6, "python3 bench.py --rounds {{ rounds }}"), (7, "echo '{{literal}}'"))
    assert justfile.problems == []


def test_no_made_up_commands_from_a_justfile(tmp_path: Path) -> None:
    (tmp_path / "justfile").write_text(JUSTFILE)
    commands = facts(tmp_path)["commands"]
    texts = {c["command"] for c in commands}
    assert texts == {"python3 bench.py --rounds {{ rounds }}", "echo '{{literal}}'",
                     "cargo build --profile {{mode}} {{flag}}", "curl -O https://example.com/{{what}}"}
    assert not any(t.startswith(("(", '"')) or t.endswith(")") for t in texts)


MAKEFILE = """\
include common.mk
-include missing.mk
ifeq ($(shell uname),Darwin)
\tPY := python3
else
\tPY := python
endif
define HELP
\techo this is text, not a recipe
\t$(info also text)
endef
$(info reading the Makefile)

.RECIPEPREFIX = >
bench: build
>$(PY) bench.py
"""
COMMON = "build:\n>cc -O2 -o x x.c\n"


def test_makefile_forms_gnu_make_accepts(tmp_path: Path) -> None:
    (tmp_path / "common.mk").write_text(".RECIPEPREFIX = >\n" + COMMON)
    makefile = parse_makefile(str(tmp_path / "Makefile"), MAKEFILE, read=read_text)
    assert makefile.problems == []
    assert [(target, line.text) for target, line in makefile.recipe_plan("bench")[0]] == [
        ("build", "cc -O2 -o x x.c"), ("bench", "$(PY) bench.py")]
    assert makefile.rules["build"].file == str(tmp_path / "common.mk")
    assert makefile.expand("$(PY)") == "python"  # both branches read; the last assignment wins


def test_a_recipe_with_no_rule_is_still_reported() -> None:
    makefile = parse_makefile("Makefile", "X := 1\n\techo stray\nall:\n\techo ok\n")
    assert [(p.line, p.message) for p in makefile.problems] == [(2, "recipe commences before first target")]


SCRIPTS = {
    "clean": "rm -rf benchmarks/out",
    "coverage": "c8 vitest run bench",
    "lint": "eslint benchmarks",
    "lint:bench": "eslint benchmarks/*.js",
    "test:unit": "pytest -m 'not benchmark' tests",
    "build:profile": "cargo build --profile bench",
    "test:fast": "pytest --benchmark-skip",
    "example:fib": "node examples/fib.js",
    "ci": "pytest tests --codspeed",
    "speed": "vitest bench --run",
    "compare": "hyperfine 'node a.js' 'node b.js'",
    "bench": "node bench/index.js",
    "demo": "node demo.js",
    "perf:report": "node report.js",
    "superfluous-deps": "node lint-deps.js",  # `perf` inside a word is no benchmark
    "perfect-hash": "node gen.js",
    "runPerf": "node perf-suite.js",  # camelCase word
}


def test_benchmarks_are_recognised_by_what_they_run(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "p", "scripts": SCRIPTS}, indent=2))
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "fib.js").write_text("import { Bench } from 'tinybench'\nconst bench = new Bench()\n")
    benchmarks = {c["name"] for c in facts(tmp_path)["commands"] if c["benchmark"]}
    assert benchmarks == {"example:fib", "ci", "speed", "compare", "bench", "perf:report", "runPerf"}

    chosen = Selection(include=("demo",), exclude=("perf:report", "node bench/index.js"))
    benchmarks = {c["name"] for c in facts(tmp_path, chosen)["commands"] if c["benchmark"]}
    assert benchmarks == {"example:fib", "ci", "speed", "compare", "demo", "runPerf"}


def test_configuration_names_benchmarks_and_non_benchmarks(cli, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "p", "scripts": SCRIPTS}, indent=2))
    (tmp_path / ".sipdoctor.toml").write_text('ignore = ["SIP005", "perf:report"]\nbenchmarks = ["demo"]\n')
    data = json.loads(cli("check", tmp_path, "--target", "macos", "--format", "json", "--fail-on", "never").stdout)
    benchmarks = {c["name"] for c in data["commands"] if c["benchmark"]}
    assert "demo" in benchmarks and "perf:report" not in benchmarks
    assert not any(f["rule"] == "SIP005" for f in data["findings"])


def facts(root: Path, selection: Selection | None = None) -> dict:
    system = System(platform="linux", env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(root)})
    return collect_project_facts(root, system, Assumptions(target="macos"), benchmarks=selection)


NOXFILE = """\
import nox


def run_benchmarks(session, *args):
    session.install("pytest-codspeed")
    session.run("pytest", "benchmarks", "--codspeed", *args)


@nox.session(name="bench")
def benchmarks(session):
    run_benchmarks(session, "-x")


def not_a_session(session):
    session.run("make", "clean")
"""


def test_nox_sessions_that_call_helpers(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text(NOXFILE)
    commands = facts(tmp_path)["commands"]
    assert [(c["source"], c["name"], c["command"], c["line"], c["benchmark"]) for c in commands] == [
        ("noxfile.py", "bench", "pytest benchmarks --codspeed", 6, True)]


CODSPEED_YML = """\
benchmarks:
  - name: parse large file
    exec: ./my-tool parse fixtures/large.json
  - name: render
    exec: python3 render.py
"""
WORKFLOW = """\
on: push
jobs:
  mac:
    runs-on: macos-15
    steps:
      - uses: CodSpeedHQ/action@v4
        with:
          mode: walltime
      - uses: CodSpeedHQ/action@v4
        with:
          mode: walltime
          exec: ./my-tool render
"""


def test_codspeed_yml_and_the_actions_exec_input(tmp_path: Path) -> None:
    (tmp_path / "codspeed.yml").write_text(CODSPEED_YML)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bench.yml").write_text(WORKFLOW)
    commands = facts(tmp_path)["commands"]
    found = [(c["source"], c["line"], c["command"], c["run_as"], c["benchmark"]) for c in commands]
    assert found == [
        ("codspeed-action", 12, "./my-tool render", "./my-tool render", True),  # run directly: no shell
        ("codspeed.yml", 3, "./my-tool parse fixtures/large.json", "./my-tool parse fixtures/large.json", True),
        ("codspeed.yml", 5, "python3 render.py", "python3 render.py", True)]


def test_a_comment_key_in_scripts_is_no_command(tmp_path: Path) -> None:
    scripts = {"//": "bench runs the suite", "bench": "node b.js"}
    (tmp_path / "package.json").write_text(json.dumps({"scripts": scripts}))
    assert [c["name"] for c in facts(tmp_path)["commands"]] == ["bench"]


def test_dangling_links_in_the_tree_are_no_problem_of_check(tmp_path: Path) -> None:
    """A fuzz corpus of dangling links defines nothing: `check` makes no finding of them (`scan` lists them)."""
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"bench": "node b.js"}}))
    (tmp_path / "fuzz" / "corpus").mkdir(parents=True)
    for n in range(8):
        (tmp_path / "fuzz" / "corpus" / f"case{n}").symlink_to(tmp_path / "gone" / f"case{n}")
    assert facts(tmp_path)["problems"] == []
