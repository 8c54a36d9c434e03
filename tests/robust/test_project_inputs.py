"""`check` on hostile project files: each gets a finding or note naming the file, never a traceback or a hang."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.robust.conftest import as_nobody


def check_json(cli, project: Path) -> dict:
    result = cli("check", project, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def check_as_nobody(project: Path) -> dict:
    """`check --format json` as user nobody; the parent has run it once first, so that every module the child
    needs is imported (nobody cannot read this interpreter's standard library under /root)."""
    from sipdoctor.cli import main

    def job() -> dict:
        import os

        os.environ["XDG_CONFIG_HOME"] = str(project.parent / "config")  # the test's own home is private
        os.environ["XDG_CACHE_HOME"] = str(project.parent / "cache")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["check", str(project), "--format", "json", "--fail-on", "never"])
        return {"code": code, "out": out.getvalue(), "err": err.getvalue()}

    result = as_nobody(job)
    assert isinstance(result, dict)
    return result


def warm_up(project: Path) -> None:
    from sipdoctor.cli import main

    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        main(["check", str(project), "--format", "json"])


@pytest.mark.parametrize("locked", [".github", ".github/workflows", ".venv", "node_modules"])
def test_a_directory_check_cannot_enter_is_named_not_a_crash(public_tmp: Path, locked: str) -> None:
    project = public_tmp / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text("jobs: {}\n")
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / "node_modules" / ".bin").mkdir(parents=True)
    (project / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}')
    warm_up(project)
    (project / locked).chmod(0o000)
    result = check_as_nobody(project)
    assert result["code"] == 0, result["err"]
    data = json.loads(result["out"])
    assert any(f"/{locked}" in p["file"] for p in data["problems"]), data["problems"]


def messages_for(data: dict, name: str) -> list[str]:
    return [p["message"] for p in data["problems"] if p["file"].endswith(name)]


@pytest.mark.parametrize(("name", "text", "line"), [
    ("justfile", b"bench:\n    ./be\x00nch --fast\n", 2),
    ("tox.ini", b"[testenv]\ncommands = ./py\x00thon bench.py\n", 2),
    ("Makefile", b"bench:\n\t./be\x00nch\n", 2),
    ("package.json", b'{"scripts": {"bench": "./be\x00nch"}}', 1),
])
def test_a_nul_byte_in_a_project_file_is_a_problem_with_its_line(cli, tmp_path: Path, name: str, text: bytes,
                                                                 line: int) -> None:
    (tmp_path / name).write_bytes(text)
    data = check_json(cli, tmp_path)
    (problem,) = [p for p in data["problems"] if p["file"].endswith(name)]
    assert problem["line"] == line


def test_a_nul_escape_in_a_package_json_script_is_predicted_not_a_crash(cli, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": {"bench": "./be\\u0000nch --fast"}}')
    data = check_json(cli, tmp_path)
    (command,) = data["commands"]
    assert command["verdict"] in ("profiled", "stripped", "unknown")


def test_a_nul_byte_in_a_shebang_on_path(cli, tmp_path: Path, monkeypatch) -> None:
    """The kernel reads the interpreter as a C string: it ends at the NUL byte."""
    tool = tmp_path / "bin" / "tool"
    tool.parent.mkdir()
    tool.write_bytes(b"#!/bin/s\x00h\necho hi\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}:/usr/bin:/bin")
    for args in (("explain", "tool"), ("scan", "path"), ("explain", "--", "tool", "x")):
        result = cli(*args)
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.stderr, (args, result.stderr)
    assert "/bin/s" in cli("explain", "tool", "--format", "json").stdout


def test_a_byte_order_mark_is_ignored(cli, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_bytes(b'\xef\xbb\xbf{"scripts": {"bench": "node bench.js"}}')
    (tmp_path / "justfile").write_bytes(b"\xef\xbb\xbfspeed:\n    python3 bench.py\n")
    data = check_json(cli, tmp_path)
    assert data["problems"] == []
    assert {c["name"] for c in data["commands"]} == {"bench", "speed"}


def test_a_valid_package_json_over_one_mebibyte_is_read(cli, tmp_path: Path) -> None:
    padding = {f"dep{i}": "^1.0.0" for i in range(60_000)}
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": padding, "scripts": {"bench": "node b.js"}}))
    assert (tmp_path / "package.json").stat().st_size > 1 << 20
    data = check_json(cli, tmp_path)
    assert data["problems"] == [] and [c["name"] for c in data["commands"]] == ["bench"]


def test_a_file_over_the_limit_is_named_with_its_size(cli, tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_bytes(b"# " + b"x" * (9 << 20) + b"\n")
    (problem,) = check_json(cli, tmp_path)["problems"]
    assert problem["file"].endswith("Makefile") and "too large" in problem["message"]


@pytest.mark.parametrize(("name", "text"), [
    ("package.json", "[" * 100_000 + "]" * 100_000),
    (".github/workflows/deep.yml", "jobs: " + "[" * 50_000 + "]" * 50_000),
    ("hatch.toml", "[envs.default.scripts]\nx = " + "[" * 5_000 + "]" * 5_000),
])
def test_deep_nesting_is_a_problem_not_a_crash(cli, tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text("[tool.hatch.envs.default]\n")
    result = cli("check", tmp_path, "--format", "json", "--fail-on", "never")
    assert "Traceback" not in result.stderr
    if name == "hatch.toml":  # read only when a hatch script is predicted: never a crash is the point here
        assert result.exit_code == 0
        return
    assert messages_for(json.loads(result.stdout), name.rsplit("/", 1)[-1])


def test_deep_toml_configuration_is_a_usage_error_naming_the_file(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sipdoctor]\nx = " + "[" * 5_000 + "]" * 5_000 + "\n")
    result = cli("check", tmp_path)
    assert result.exit_code == 2 and "pyproject.toml" in result.stderr and "Traceback" not in result.stderr


def test_a_pyproject_whose_tool_is_not_a_table(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    assert cli("check", tmp_path, "--fail-on", "never").exit_code == 0


def test_an_unreadable_npmrc_and_a_malformed_bunfig_are_problems(cli, tmp_path: Path) -> None:
    import os

    (tmp_path / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}')
    os.mkfifo(tmp_path / ".npmrc")
    (tmp_path / "bunfig.toml").write_text("[run\nshell = 'bun'\n")
    data = check_json(cli, tmp_path)
    assert messages_for(data, ".npmrc") and messages_for(data, "bunfig.toml")
    assert [p["line"] for p in data["problems"] if p["file"].endswith("bunfig.toml")] == [1]


def test_a_workflow_file_of_many_megabytes_is_named_not_parsed_for_minutes(cli, tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    steps = "".join(f"      - run: echo {i}\n" for i in range(700_000))
    (folder / "huge.yml").write_text(f"jobs:\n  b:\n    runs-on: macos-14\n    steps:\n{steps}")
    (message,) = messages_for(check_json(cli, tmp_path), "huge.yml")
    assert "too large" in message


def test_check_of_an_empty_project_argument_is_a_usage_error(cli) -> None:
    result = cli("check", "")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_the_makefile_is_parsed_once_however_many_targets(cli, tmp_path: Path, monkeypatch) -> None:
    from sipdoctor.sources import makefile

    calls = []
    real = makefile.parse_makefile
    monkeypatch.setattr(makefile, "parse_makefile", lambda *a: calls.append(a[0]) or real(*a))
    (tmp_path / "Makefile").write_text("".join(f"t{i}:\n\techo {i}\n" for i in range(300)))
    data = check_json(cli, tmp_path)
    assert len(data["commands"]) == 300
    assert len(calls) == 1


def test_a_deep_prerequisite_chain_predicts_each_recipe_once(cli, tmp_path: Path) -> None:
    text = "".join(f"t{i}: t{i + 1}\n\techo {i}\n" for i in range(3000)) + "t3000:\n\techo end\n"
    (tmp_path / "Makefile").write_text(text)
    data = check_json(cli, tmp_path)
    assert len(data["commands"]) == 3001
    processes = sum(len(c["tree"]["children"][0]["children"]) for c in data["commands"])
    assert processes == 3001  # each target its own recipe line: not 3000 * 3001 / 2


def test_make_goal_outside_check_still_follows_prerequisites_up_to_a_cap(cli, tmp_path: Path) -> None:
    text = "".join(f"t{i}: t{i + 1}\n\techo {i}\n" for i in range(100)) + "t100:\n\techo end\n"
    (tmp_path / "Makefile").write_text(text)
    (tmp_path / "package.json").write_text('{"scripts": {"bench": "make t0"}}')
    data = check_json(cli, tmp_path)
    (npm,) = [c for c in data["commands"] if c["source"] == "package.json"]
    assert "more than 32 targets" in json.dumps(npm["tree"])


PROJECT_FILES = ("package.json", "Makefile", "justfile", "tox.ini", "noxfile.py", ".npmrc", "bunfig.toml",
                 "pnpm-workspace.yaml", "yarn.lock", ".gitignore", "hatch.toml", ".github/workflows/ci.yml",
                 ".venv/pyvenv.cfg", "node_modules/.bin/tool", "run.sh")


def _damage(path: Path, kind: str) -> None:
    import os
    import random

    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "garbage":
        path.write_bytes(random.Random(path.name).randbytes(3000))
        path.chmod(0o755)
    elif kind == "utf16":
        path.write_bytes('{"scripts": {"bench": "node b.js"}}\nbench:\n\techo hi\n'.encode("utf-16"))
    elif kind == "latin1":
        path.write_bytes("bench:\n\techo caf\xe9\n".encode("latin-1"))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "symlink-loop":
        os.symlink(path.name, path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dangling":
        os.symlink("/nonexistent/sipdoctor-test", path)


@pytest.mark.parametrize("kind", ["garbage", "utf16", "latin1", "empty", "symlink-loop", "directory", "dangling"])
def test_every_project_file_damaged_the_same_way(cli, tmp_path: Path, kind: str) -> None:
    """The tour: each file `check` reads, all damaged at once; one problem per file it could not use."""
    for name in PROJECT_FILES:
        _damage(tmp_path / name, kind)
    data = check_json(cli, tmp_path)
    if kind in ("garbage", "utf16", "latin1"):
        named = {Path(p["file"]).name for p in data["problems"]}
        assert {"package.json", "Makefile", "justfile", "tox.ini", "ci.yml"} <= named, named
    if kind == "utf16":
        assert any("UTF-16" in p["message"] for p in data["problems"])
