"""What `make GOAL` runs, read from the Makefile: prerequisites first, each target once."""

from __future__ import annotations

from sipdoctor.sources.makefile import parse_makefile


def test_prerequisites_run_first_and_once() -> None:
    makefile = parse_makefile("Makefile", "bench: build lint\n\tpython3 bench.py\nlint: build\n\truff .\n"
                                          "build:\n\tcc -o x x.c\n")
    assert [(target, line.text) for target, line in makefile.recipe_plan("bench")[0]] == [
        ("build", "cc -o x x.c"), ("lint", "ruff ."), ("bench", "python3 bench.py")]
    assert makefile.recipe_plan("missing")[0] == []


def test_a_prerequisite_cycle_ends() -> None:
    makefile = parse_makefile("Makefile", "a: b\n\techo a\nb: a\n\techo b\n")
    assert [target for target, _ in makefile.recipe_plan("a")[0]] == ["b", "a"]


def test_a_very_long_prerequisite_chain() -> None:
    text = "".join(f"t{i}: t{i + 1}\n\techo {i}\n" for i in range(5000)) + "t5000:\n\techo end\n"
    lines = parse_makefile("Makefile", text).recipe_plan("t0")[0]
    assert len(lines) == 5001 and lines[0][0] == "t5000" and lines[-1][0] == "t0"
