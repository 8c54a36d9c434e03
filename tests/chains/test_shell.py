from __future__ import annotations

import pytest

from sipdoctor.chains.shell import parse_command_line


def argvs(line: str) -> list[tuple[str, ...]]:
    return [c.argv for c in parse_command_line(line).commands]


def test_lists_pipes_and_subshells_split_into_simple_commands() -> None:
    line = "FOO=1 node x.js && cd sub; npm run a | tee out || (echo hi; make bench)"
    parsed = parse_command_line(line)
    assert parsed.error is None
    assert argvs(line) == [("node", "x.js"), ("cd", "sub"), ("npm", "run", "a"), ("tee", "out"),
                           ("echo", "hi"), ("make", "bench")]
    node, cd, npm = parsed.commands[:3]
    assert node.env == {"FOO": "1"} and node.cwd is None
    assert cd.is_builtin and npm.cwd == "sub"


def test_cd_accumulates_and_sh_c_stays_one_command() -> None:
    parsed = parse_command_line("cd a && cd b && sh -c 'vitest bench --run'")
    last = parsed.commands[-1]
    assert last.argv == ("sh", "-c", "vitest bench --run")
    assert last.cwd == "a/b"


def test_command_substitution_and_exec() -> None:
    parsed = parse_command_line('out=$(date) ; if true; then exec python3 bench.py "$@"; fi')
    assert [c.argv[0] for c in parsed.commands] == ["date", "true", "python3"]
    assert parsed.commands[-1].argv == ("python3", "bench.py", "$@")


def test_unparseable_line_falls_back_with_a_message() -> None:
    parsed = parse_command_line("node bench.js &&")
    assert parsed.error is not None and "could not parse" in parsed.error
    assert parsed.commands[0].argv[0] == "node"


@pytest.mark.parametrize("line", ["vitest bench --run", "FOO=1 BAR=2 node x.js", "exec node a.js", "cd sub",
                                  "node --flag=1 a", "a=b", "python3 -m pytest tests/ -k x", "npm run bench:ci",
                                  "time node x", "node a.js  b", "make -j4 bench", "x=1"])
def test_plain_lines_skip_bashlex_with_the_same_result(line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from sipdoctor.chains import shell

    fast = shell.parse_command_line(line)
    monkeypatch.setattr(shell, "PLAIN_LINE", re.compile(r"(?!)"))  # every line through bashlex
    assert shell.parse_command_line(line) == fast


def test_kill_is_a_shell_builtin_not_a_process() -> None:
    parsed = parse_command_line("node a.js & kill -TERM $!")
    assert [c.argv[0] for c in parsed.commands if not c.is_builtin] == ["node"]
