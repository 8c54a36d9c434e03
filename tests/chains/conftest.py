from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions
from sipdoctor.chains.context import Context, Judge
from sipdoctor.chains.predict import make_context
from tests.chains import toolchains


@pytest.fixture(scope="session")
def npm_project() -> Path:
    return toolchains.npm_project()


@pytest.fixture(scope="session")
def pnpm_project() -> Path:
    return toolchains.pnpm_project()


@pytest.fixture(scope="session")
def pnpm_bin() -> Path:
    return toolchains.pnpm_bin()


def host_path(*first: str | Path) -> str:
    """A PATH with the given directories first, then where node lives, then the system directories."""
    node = shutil.which("node")
    dirs = [str(d) for d in first] + ([os.path.dirname(node)] if node else []) + ["/usr/local/bin", "/usr/bin",
                                                                                  "/bin"]
    return os.pathsep.join(dict.fromkeys(dirs))


@pytest.fixture
def macos_ctx() -> object:
    def make(cwd: Path, *path_first: str | Path, profiler: str = "generic", **env: str) -> Context:
        environment = {"PATH": host_path(*path_first), "HOME": str(cwd), **env}
        return make_context(Judge(Assumptions(target="macos")), cwd, environment, profiler)

    return make
