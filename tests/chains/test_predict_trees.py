"""Predicted trees for real projects, judged as on a Mac (target macos) from this host."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.chains.context import Context
from sipdoctor.chains.predict import Prediction, predict_command_line, predict_shell_script
from sipdoctor.chains.shims import SHELLS
from sipdoctor.chains.tree import NOT_PROFILED, Hop, Process
from sipdoctor.render.tree import render_tree
from sipdoctor.sources.workflows import read_workflow
from tests.conftest import write_executable

MakeCtx = Callable[..., Context]


def hops(prediction: Prediction) -> list[Hop]:
    return [h for root in prediction.roots for h in root.walk()]


def first_stripped(prediction: Prediction) -> Hop:
    return next(h for h in hops(prediction) if h.status == "stripped")


def assert_all_after_are_caused_by(prediction: Prediction, stripping: Hop) -> None:
    every = hops(prediction)
    later = every[every.index(stripping) + 1:]
    assert later, "the stripping hop should have something after it"
    assert all(h.status == NOT_PROFILED and h.cause == stripping.path for h in later)


def processes(prediction: Prediction) -> list[Process]:
    out, pending = [], list(prediction.roots)
    while pending:
        out.append(pending.pop(0))
        pending.extend(out[-1].children)
    return out


def test_npm_run_bench_strips_at_usr_bin_env(npm_project: Path, macos_ctx: MakeCtx) -> None:
    prediction = predict_command_line("npm run bench", macos_ctx(npm_project))
    stripping = first_stripped(prediction)
    assert stripping.path == "/usr/bin/env"
    assert stripping.via is not None and os.path.basename(stripping.via) == "npm"
    assert_all_after_are_caused_by(prediction, stripping)
    shell = next(p for p in processes(prediction) if p.argv[:2] == ("sh", "-c"))
    assert shell.argv[2] == "vitest bench --run"
    assert "npm runs script `bench`" in shell.chain[0].why
    vitest = next(p for p in processes(prediction) if p.argv[:1] == ("vitest",))
    assert vitest.chain[0].via == str(npm_project / "node_modules" / ".bin" / "vitest")
    assert vitest.chain[0].name == "env" and vitest.chain[-1].name == "node"
    text = "\n".join(line.text for line in render_tree(prediction.to_json(), ascii_only=True))
    assert "[stripped] npm run bench" in text and "not profiled: /usr/bin/env removed the variable" in text


def test_pnpm_run_bench_strips_at_the_script_shell(pnpm_project: Path, pnpm_bin: Path, macos_ctx: MakeCtx) -> None:
    prediction = predict_command_line("pnpm run bench", macos_ctx(pnpm_project, pnpm_bin))
    stripping = first_stripped(prediction)
    assert stripping.name in SHELLS and stripping.argv[1:] == ("-c", "vitest bench --run")
    assert_all_after_are_caused_by(prediction, stripping)
    vitest = next(p for p in processes(prediction) if p.argv[:1] == ("vitest",))
    wrapper, node = vitest.chain
    assert wrapper.via == str(pnpm_project / "node_modules" / ".bin" / "vitest")  # #!/bin/sh wrapper
    assert wrapper.name in SHELLS and node.name == "node"
    assert node.argv[1].endswith("vitest.mjs") and os.path.exists(node.argv[1])


@pytest.fixture
def pyenv_root(tmp_path: Path) -> Path:
    """A pyenv layout written the way pyenv writes it: bash shims that exec `pyenv exec`."""
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "libexec").mkdir()
    (root / "versions" / "3.12.1" / "bin").mkdir(parents=True)
    shutil.copy("/bin/true", root / "versions" / "3.12.1" / "bin" / "python3")
    write_executable(root / "libexec" / "pyenv", '#!/usr/bin/env bash\nset -e\nexec "pyenv-$1" "${@:2}"\n')
    write_executable(root / "shims" / "python3", (
        '#!/usr/bin/env bash\nset -e\n[ -n "$PYENV_DEBUG" ] && set -x\n\nprogram="${0##*/}"\n\n'
        f'export PYENV_ROOT="{root}"\nexec "{root}/libexec/pyenv" exec "$program" "$@"\n'))
    return root


def test_python3_through_a_pyenv_shim(pyenv_root: Path, tmp_path: Path, macos_ctx: MakeCtx) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".python-version").write_text("3.12.1\n")
    prediction = predict_command_line("python3 bench.py", macos_ctx(project, pyenv_root / "shims"))
    chain = prediction.roots[0].chain
    assert [h.name for h in chain] == ["env", "bash", "env", "bash", "python3"]
    assert chain[0].via == str(pyenv_root / "shims" / "python3") and chain[0].status == "stripped"
    assert chain[-1].path == str(pyenv_root / "versions" / "3.12.1" / "bin" / "python3")
    assert chain[-1].argv[1:] == ("bench.py",)
    assert ".python-version" in chain[-1].why
    assert_all_after_are_caused_by(prediction, chain[0])


def test_hand_written_shim_that_execs_the_real_python(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    real = tmp_path / "real" / "python3"
    real.parent.mkdir()
    shutil.copy("/bin/true", real)
    shims = tmp_path / "shims"
    shims.mkdir()
    write_executable(shims / "python3", f'#!/usr/bin/env bash\nexec "{real}" "$@"\n')
    prediction = predict_command_line("python3 bench.py", macos_ctx(tmp_path, shims))
    assert [h.path for h in prediction.roots[0].chain][-1] == str(real)
    assert first_stripped(prediction).path == "/usr/bin/env"


def test_venv_made_from_system_python_runs_a_protected_binary(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3 on this host")
    done = subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(tmp_path / ".venv")],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"venv module unavailable: {done.stderr[-300:]}")
    prediction = predict_command_line(".venv/bin/python bench.py", macos_ctx(tmp_path))
    hop = prediction.roots[0].chain[0]
    assert hop.via == str(tmp_path / ".venv" / "bin" / "python")
    assert hop.path.startswith("/usr/bin/python3") and hop.status == "stripped"


def test_make_bench_strips_at_the_xcode_stub(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    if not shutil.which("make", path="/usr/bin"):
        pytest.skip("no /usr/bin/make on this host")
    (tmp_path / "Makefile").write_text("PY ?= python3\n.PHONY: bench\nbench:\n\t$(PY) bench.py\n"
                                       "\tcd sub && node run.js | tee out.txt\n")
    prediction = predict_command_line("make bench", macos_ctx(tmp_path))
    root = prediction.roots[0]
    assert root.chain[0].path == "/usr/bin/make" and root.chain[0].status == "stripped"
    assert root.chain[1].path == "/Library/Developer/CommandLineTools/usr/bin/make"
    direct, shell = root.children
    assert direct.argv == ("python3", "bench.py") and "directly" in direct.chain[0].why
    assert shell.argv == ("/bin/sh", "-c", "cd sub && node run.js | tee out.txt")
    assert [p.argv[0] for p in shell.children] == ["node", "tee"]
    assert_all_after_are_caused_by(prediction, root.chain[0])


def test_makefile_shell_setting_replaces_bin_sh(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    fake_bash = write_executable(tmp_path / "bash", "#!/bin/true\n")
    (tmp_path / "Makefile").write_text(f"SHELL := {fake_bash}\nbench:\n\tnode a.js && node b.js\n")
    prediction = predict_command_line("make bench", macos_ctx(tmp_path))
    shell = prediction.roots[0].children[0]
    assert shell.argv[0] == str(fake_bash)


@pytest.fixture
def gnu_make(tmp_path: Path) -> Path:
    """A GNU make 3.82+ that is not macOS's own (as Homebrew's would be): this host's make, copied."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this host")
    bin_dir = tmp_path / "gnu-make"
    bin_dir.mkdir()
    shutil.copy2(make, bin_dir / "make")
    return bin_dir


def test_oneshell_recipe_runs_in_one_shell(tmp_path: Path, macos_ctx: MakeCtx, gnu_make: Path) -> None:
    """.ONESHELL: one `$(SHELL) -c` for the whole recipe, its prerequisites' recipes each in their own; the
    first line's `@-+` are make's, a POSIX shell's later lines lose theirs too."""
    (tmp_path / "Makefile").write_text(".ONESHELL:\nbench: build\n\t@cd sub\n\t-python3 bench.py\n"
                                       "\t  +node run.js\nbuild:\n\tcc -o x x.c\n")
    prediction = predict_command_line("make bench", macos_ctx(tmp_path, gnu_make))
    build, shell = prediction.roots[0].children
    assert build.argv == ("cc", "-o", "x", "x.c") and "directly" in build.chain[0].why
    assert shell.argv == ("/bin/sh", "-c", "cd sub\npython3 bench.py\nnode run.js")
    assert "(.ONESHELL)" in shell.chain[0].why and shell.chain[0].status == "stripped"
    assert [p.argv[0] for p in shell.children] == ["python3", "node"]
    assert_all_after_are_caused_by(prediction, shell.chain[0])


def test_macos_make_is_3_81_and_ignores_oneshell(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    if not shutil.which("make", path="/usr/bin"):
        pytest.skip("no /usr/bin/make on this host")
    (tmp_path / "Makefile").write_text(".ONESHELL:\n.SHELLFLAGS = -e -c\nbench:\n\tcd sub\n\tpython3 bench.py\n")
    prediction = predict_command_line("make bench", macos_ctx(tmp_path))
    (root,) = prediction.roots
    assert root.chain[0].path == "/usr/bin/make"
    assert [c.argv for c in root.children] == [("/bin/sh", "-c", "cd sub"), ("python3", "bench.py")]
    assert any("GNU make 3.81, which ignores .ONESHELL" in note for note in root.notes)


def test_oneshell_honours_shellflags_and_a_non_posix_shell(tmp_path: Path, macos_ctx: MakeCtx, gnu_make: Path
                                                            ) -> None:
    python = write_executable(tmp_path / "python3", "#!/bin/true\n")
    (tmp_path / "Makefile").write_text(f".ONESHELL:\nSHELL = {python}\n.SHELLFLAGS = -c\n"
                                       "a:\n\t@import sys\n\t-sys.exit(0)\n"
                                       "b:\n\techo one\n\t@echo two\n")
    (root,) = predict_command_line("make a", macos_ctx(tmp_path, gnu_make)).roots
    assert [c.argv for c in root.children] == [(str(python), "-c", "import sys\n-sys.exit(0)")]
    (tmp_path / "Makefile").write_text(".ONESHELL:\n.SHELLFLAGS = -e -u -c\nb:\n\techo one\n\t@echo two\n"
                                       "c:\n\t@./bench\n")
    (root,) = predict_command_line("make b", macos_ctx(tmp_path, gnu_make)).roots
    assert [c.argv for c in root.children] == [("/bin/sh", "-e", "-u", "-c", "echo one\necho two")]
    (root,) = predict_command_line("make c", macos_ctx(tmp_path, gnu_make)).roots  # not -c or -ec: never run directly
    assert [c.argv for c in root.children] == [("/bin/sh", "-e", "-u", "-c", "./bench")]


def test_a_one_line_oneshell_recipe_still_runs_directly(tmp_path: Path, macos_ctx: MakeCtx, gnu_make: Path
                                                        ) -> None:
    (tmp_path / "Makefile").write_text(".POSIX:\n.ONESHELL:\nbench:\n\t@python3 bench.py\n\t@\n")
    (root,) = predict_command_line("make bench", macos_ctx(tmp_path, gnu_make)).roots
    assert [c.argv for c in root.children] == [("python3", "bench.py")]
    (tmp_path / "Makefile").write_text(".POSIX:\nbench:\n\tpython3 bench.py; true\n\t@\n")
    (root,) = predict_command_line("make bench", macos_ctx(tmp_path, gnu_make)).roots
    assert [c.argv for c in root.children] == [("/bin/sh", "-ec", "python3 bench.py; true")]


def test_workflow_run_step_strips_at_the_runner_bash(tmp_path: Path, npm_project: Path,
                                                     macos_ctx: MakeCtx) -> None:
    workflow = tmp_path / "bench.yml"
    workflow.write_text("on: push\njobs:\n  bench:\n    runs-on: macos-14\n    steps:\n"
                        "      - uses: actions/checkout@v4\n      - name: Bench\n        run: npm run bench\n")
    workflow_read = read_workflow(workflow)
    steps, problems = workflow_read.steps, workflow_read.problems
    assert problems == [] and len(steps) == 1 and steps[0].line == 8
    step = steps[0]
    prediction = predict_shell_script(step.shell_argv, step.script, macos_ctx(npm_project), "step `Bench`")
    root = prediction.roots[0]
    assert root.argv == ("/bin/bash", "-e", "{0}")
    stripping = first_stripped(prediction)
    assert stripping is root.chain[0] and stripping.path == os.path.realpath("/bin/bash")
    assert_all_after_are_caused_by(prediction, stripping)
    assert any(p.argv[:2] == ("sh", "-c") for p in processes(prediction))


def test_npm_script_shell_from_npmrc(tmp_path: Path, macos_ctx: MakeCtx) -> None:
    shell = write_executable(tmp_path / "mybash", "#!/bin/true\n")
    (tmp_path / "package.json").write_text('{"scripts": {"bench": "node bench.js"}}')
    (tmp_path / ".npmrc").write_text(f"script-shell={shell}\n")
    prediction = predict_command_line("npm run bench", macos_ctx(tmp_path))
    child = next(p for p in processes(prediction) if p.argv[1:2] == ("-c",))
    assert child.argv[0] == str(shell) and str(tmp_path / ".npmrc") in child.chain[0].why


def test_json_tree_has_chain_children_verdict_and_cause(npm_project: Path, macos_ctx: MakeCtx) -> None:
    data = predict_command_line("npm run bench", macos_ctx(npm_project)).to_json()
    root = data["children"][0]  # type: ignore[index]
    assert root["chain"][0]["verdict"] == "stripped" and root["chain"][0]["cause"] is None
    assert root["children"][0]["chain"][0]["verdict"] == "not-profiled"
    assert root["children"][0]["chain"][0]["cause"] == "/usr/bin/env"


def test_linux_target_on_this_host_is_profiled(npm_project: Path) -> None:
    from sipdoctor.binaries import Assumptions
    from sipdoctor.chains.context import Judge
    from sipdoctor.chains.predict import make_context
    from tests.chains.conftest import host_path

    ctx = make_context(Judge(Assumptions(target="linux")), npm_project, {"PATH": host_path()})
    prediction = predict_command_line("npm run bench", ctx)
    assert all(h.status in ("profiled", "unknown") for h in hops(prediction)), sys.platform
