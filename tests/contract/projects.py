"""Small real projects of each shape `check` and `scan project` read, written into a directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.conftest import write_executable

WORKFLOW = """\
on: push
jobs:
  bench:
    runs-on: macos-14
    steps:
      - uses: actions/checkout@v4
      - name: Run benchmarks
        run: |
          npm ci
          npm run bench
      - uses: CodSpeedHQ/action@v3
        with:
          run: make bench
"""


def npm(root: Path) -> Path:
    (root / "package.json").write_text(
        '{"name": "demo", "scripts": {"bench": "vitest bench", "test": "vitest run", "prebench": "echo pre"}}\n')
    (root / "node_modules" / ".bin").mkdir(parents=True)
    write_executable(root / "node_modules" / ".bin" / "vitest", "#!/usr/bin/env node\nconsole.log('vitest')\n")
    return root


def makefile(root: Path) -> Path:
    (root / "Makefile").write_text("bench:\n\tpython3 bench.py\n\ntest:\n\t@echo testing && python3 -m pytest\n")
    return root


def justfile(root: Path) -> Path:
    (root / "justfile").write_text("bench:\n    python3 bench.py\n\nperf arg:\n    ./run.sh {{arg}}\n")
    return root


def workflow(root: Path) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "bench.yml").write_text(WORKFLOW)
    return root


def python_tasks(root: Path) -> Path:
    """tox, nox and pyproject scripts, and a virtual environment whose python is the test interpreter."""
    (root / "tox.ini").write_text("[tox]\nenv_list = bench\n\n[testenv:bench]\ncommands = python -m pytest bench\n")
    (root / "noxfile.py").write_text("import nox\n\n@nox.session\ndef bench(session):\n"
                                     "    session.run('python', 'bench.py')\n")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.hatch.envs.default.scripts]\n'
                                         'bench = "python bench.py"\n')
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\nversion = 3.11.7\n")
    os.symlink(sys.executable, venv / "bin" / "python")
    return root


def broken(root: Path) -> Path:
    """Files sipdoctor cannot read: a malformed package.json, a Makefile that is a FIFO."""
    (root / "package.json").write_text('{"scripts": {"bench": "node b.js",}\n')
    os.mkfifo(root / "Makefile")
    return root


def empty(root: Path) -> Path:
    return root


SHAPES = {"npm": npm, "makefile": makefile, "justfile": justfile, "workflow": workflow,
          "python-tasks": python_tasks, "broken": broken, "empty": empty}
