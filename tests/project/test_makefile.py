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


def test_make_functions_that_shape_a_recipe_are_expanded() -> None:
    """`$(foreach)`, `$(subst)`, `$(strip)` as GNU make evaluates them; `$(eval)`/`$(info)` leave nothing; any
    other function stays as written (the line is then visibly not predicted)."""
    text = ("DIRS = . ./exp\nbench:\n\t@$(foreach dir,$(DIRS), ( cd $(dir) && go test -bench=. ) &&) true\n"
            "x:\n\t$(eval P := 1)$(info hi)echo $(subst a,b,aaa) $(strip  x   y ) $(shell date)\n")
    makefile = parse_makefile("Makefile", text)
    bench = makefile.expand(makefile.rules["bench"].recipe[0].text, "bench")
    assert bench == "@ ( cd . && go test -bench=. ) &&  ( cd ./exp && go test -bench=. ) && true"
    assert makefile.expand(makefile.rules["x"].recipe[0].text, "x") == "echo bbb x y $(shell date)"
    deep = "$(strip " * 50 + "z" + ")" * 50
    assert makefile.expand(deep, "d")  # nested far deeper than followed: no crash, no hang
