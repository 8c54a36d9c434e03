"""Project collectors over real files, including the bad input they must survive."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sipdoctor.binaries import Assumptions
from sipdoctor.project.facts import collect_project_facts
from sipdoctor.project.scripts import scan_scripts
from sipdoctor.system import System
from tests.conftest import write_executable


def facts_for(directory: Path) -> dict[str, object]:
    system = System(platform="linux", env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(directory)})
    facts = collect_project_facts(directory, system, Assumptions(target="macos"))
    json.dumps(facts)  # plain data for the rule engine
    return facts


def test_package_json_scripts_rank_benchmarks_first_and_name_the_stripping_hop(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps(
        {"scripts": {"build": "tsc", "bench": "node bench.js"}, "packageManager": "pnpm@9.1.0"}, indent=2))
    facts = facts_for(tmp_path)
    commands = facts["commands"]
    assert isinstance(commands, list)
    assert [c["name"] for c in commands] == ["bench", "build"]
    bench = commands[0]
    assert bench["benchmark"] and bench["source"] == "package.json" and bench["line"] == 4
    assert bench["run_as"] == "pnpm run bench"
    assert facts["package"] == {"file": str(tmp_path / "package.json"), "manager": "pnpm", "manager_version": "9.1.0",
                                "manager_source": "packageManager", "yarn_berry": False, "pnpm_reads_npmrc": True,
                                "script_shell": None}


def test_workflow_step_and_codspeed_action_are_collected(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bench.yml").write_text(
        "on: push\njobs:\n  mac:\n    runs-on: [macos-14]\n    steps:\n      - run: make bench\n"
        "      - uses: CodSpeedHQ/action@v3\n        with:\n          run: node bench.js\n"
        "  linux:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make bench\n")
    commands = facts_for(tmp_path)["commands"]
    assert isinstance(commands, list)
    assert [(c["source"], c["line"], c["job"]) for c in commands] == [("workflow", 6, "mac"),
                                                                        ("codspeed-action", 9, "mac")]
    run_step = commands[0]
    assert run_step["stripped_hops"][0]["role"] == "shell"
    assert run_step["stripped_hops"][0]["cause"] is None


def test_malformed_package_json_names_file_and_line_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{\n  "scripts": {\n    "bench": "node b.js",\n  }\n}\n')
    (tmp_path / "Makefile").write_text("bench:\n\tnode b.js\n")
    facts = facts_for(tmp_path)
    assert facts["problems"] == [{"file": str(tmp_path / "package.json"), "line": 4,
                                  "message": "malformed JSON: Expecting property name enclosed in double quotes "
                                             "(column 3)"}]
    assert [c["source"] for c in facts["commands"]] == ["Makefile"]  # type: ignore[union-attr]


def test_broken_workflow_yaml_is_a_problem_with_a_line(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text("jobs:\n  mac:\n    runs-on: macos-14\n    steps: [\n      - run: x\n")
    problems = facts_for(tmp_path)["problems"]
    assert isinstance(problems, list) and len(problems) == 1
    assert problems[0]["file"].endswith("bad.yml") and problems[0]["line"] is not None
    assert "malformed YAML" in problems[0]["message"]


def test_unreadable_and_malformed_makefiles(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Makefile")  # opening it for reading would block: it must not be opened
    problems = facts_for(tmp_path)["problems"]
    assert {"file": str(tmp_path / "Makefile"), "line": None,
            "message": "not a regular file (FIFO, device or directory): not read"} in problems  # type: ignore[operator]
    other = tmp_path / "other"
    other.mkdir()
    (other / "Makefile").write_text("\techo before any target\nbench:\n\tnode b.js\n")
    facts = facts_for(other)
    assert facts["problems"] == [{"file": str(other / "Makefile"), "line": 1,
                                  "message": "recipe commences before first target"}]
    assert [c["name"] for c in facts["commands"]] == ["bench"]  # type: ignore[union-attr]


def test_fifo_and_symlink_loop_in_the_project_are_reported_not_followed(tmp_path: Path) -> None:
    bin_dir = tmp_path / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    os.symlink("loop-b", bin_dir / "loop-a")
    os.symlink("loop-a", bin_dir / "loop-b")
    os.mkfifo(tmp_path / "pipe")
    os.chmod(tmp_path / "pipe", 0o755)
    write_executable(bin_dir / "tool", "#!/usr/bin/env node\n")
    (tmp_path / "node_modules" / "pkg").mkdir()
    write_executable(tmp_path / "node_modules" / "pkg" / "hidden", "#!/bin/sh\n")
    scan = scan_scripts(tmp_path)
    messages = {(Path(p.file).name, p.message) for p in scan.problems}
    assert ("loop-a", "symlink loop: not followed") in messages
    assert ("pipe", "FIFO or device: never opened") in messages
    assert [(Path(e["path"]).name, e["env_name"]) for e in scan.executables] == [("tool", "node")]


def test_gitignore_is_respected_but_venv_bin_is_always_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("build/\n.venv\n")
    (tmp_path / "build").mkdir()
    write_executable(tmp_path / "build" / "gen.sh", "#!/bin/sh\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    write_executable(tmp_path / ".venv" / "bin" / "tool", "#!/usr/bin/python3\n")
    write_executable(tmp_path / "run.sh", "#!/bin/bash\n")
    names = sorted(Path(e["path"]).name for e in scan_scripts(tmp_path).executables)
    assert names == ["run.sh", "tool"]


def test_tox_nox_and_just_commands(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text("[testenv:bench]\ncommands =\n    python bench.py\n    pytest\n")
    (tmp_path / "noxfile.py").write_text("import nox\n\n@nox.session\ndef perf(session):\n"
                                         "    session.run('python', 'perf.py')\n")
    (tmp_path / "justfile").write_text("bench:\n    python3 bench.py\n")
    commands = facts_for(tmp_path)["commands"]
    found = {(c["source"], c["name"], c["line"], c["command"]) for c in commands}  # type: ignore[union-attr]
    assert ("tox.ini", "testenv:bench", 3, "python bench.py") in found
    assert ("noxfile.py", "perf", 5, "python perf.py") in found
    assert ("justfile", "bench", 2, "python3 bench.py") in found


def test_script_shell_follows_the_package_manager_version(tmp_path: Path) -> None:
    from sipdoctor.sources.package_json import script_shell_setting

    project = tmp_path / "ws" / "app"
    project.mkdir(parents=True)
    (project / ".npmrc").write_text("script-shell=/opt/npmrc/bash\n")
    (tmp_path / "ws" / "pnpm-workspace.yaml").write_text("packages:\n  - app\nscriptShell: '/opt/ws/bash'\n")
    assert script_shell_setting("npm", None, project) == ("/opt/npmrc/bash", str(project / ".npmrc"))
    assert script_shell_setting("pnpm", "9.15.0", project) == ("/opt/npmrc/bash", str(project / ".npmrc"))
    for version in ("10.0.0", "12.21.0", None):  # pnpm 10 moved its settings to pnpm-workspace.yaml
        assert script_shell_setting("pnpm", version, project) == ("/opt/ws/bash",
                                                                  str(tmp_path / "ws" / "pnpm-workspace.yaml"))
    env = {"PNPM_CONFIG_SCRIPT_SHELL": "/opt/env/bash"}
    assert script_shell_setting("pnpm", None, project, env) == ("/opt/env/bash", "$PNPM_CONFIG_SCRIPT_SHELL")


def test_an_unreadable_file_is_reported_once(tmp_path: Path) -> None:
    import os

    from sipdoctor.binaries import Assumptions
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.system import System

    os.mkfifo(tmp_path / "package.json")
    (tmp_path / "Makefile").symlink_to("Makefile")
    facts = collect_project_facts(tmp_path, System(platform="linux", env={"PATH": "/usr/bin"}), Assumptions("macos"))
    files = [p["file"] for p in facts["problems"]]
    assert sorted(files) == sorted({str(tmp_path / "package.json"), str(tmp_path / "Makefile")})
