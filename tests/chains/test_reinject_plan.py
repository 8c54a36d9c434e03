"""Which hops of a predicted tree the re-injection shims cover (sipdoctor/chains/reinject.py), on hand-built
trees: a PATH lookup after a stripping hop is covered, an absolute path is a gap, a version manager's shim is
resolved past its protected hops."""

from __future__ import annotations

from pathlib import Path

from sipdoctor.chains.predict import Prediction
from sipdoctor.chains.reinject import plan_prediction
from sipdoctor.chains.tree import Hop, Process
from sipdoctor.model import Verdict
from tests.conftest import write_executable

S, P = Verdict.STRIPPED, Verdict.PROFILED


def hop(path: str, *argv: str, verdict: Verdict = P, via: str | None = None) -> Hop:
    return Hop(path, argv, verdict, via=via)


def plan(*roots: Process):  # type: ignore[no-untyped-def]
    return plan_prediction(Prediction("cmd", roots))


def test_path_lookups_after_hops_are_covered() -> None:
    bench = Process((hop("/usr/bin/dash", "sh", "-c", "node b.js", verdict=S, via="/usr/bin/sh"),),
                    children=(Process((hop("/opt/node", "node", "b.js"),)),))
    npm = Process((hop("/usr/bin/env", "/usr/bin/env", "node", "npm", verdict=S, via="/opt/npm"),
                   hop("/opt/node", "node", "npm")), children=(bench,))
    result = plan(npm)
    assert result.names == {"node"} and result.covers_every_hop
    assert result.covered == [("node", "/usr/bin/env"), ("node", "/usr/bin/sh")]


def test_absolute_path_after_a_hop_is_a_gap_and_the_subtree_stays_lost() -> None:
    child = Process((hop("/opt/python3", "/opt/python3", "b.py"),),
                    children=(Process((hop("/opt/tool", "tool"),)),))
    result = plan(Process((hop("/bin/sh", "sh", "-c", "x", verdict=S),), children=(child,)))
    assert [g.sentence() for g in result.gaps] == [
        "/opt/python3 (run by absolute path, no PATH lookup, after /bin/sh removed the variables)"]
    assert result.names == {"tool"}  # a later PATH lookup is still covered
    assert not result.covers_every_hop


def test_no_stripping_hop_means_nothing_to_cover() -> None:
    result = plan(Process((hop("/opt/node", "node", "x.js"),)))
    assert result.names == set() and result.covered == [] and result.gaps == []


def test_a_pyenv_shim_is_resolved_past_env_and_bash(tmp_path: Path) -> None:
    shim = write_executable(tmp_path / "python3", (
        f'#!/usr/bin/env bash\nexport PYENV_ROOT="{tmp_path}"\nexec "{tmp_path}/libexec/pyenv" exec "$program" "$@"\n'))
    chain = (hop("/usr/bin/env", "python3", "b.py", verdict=S, via=str(shim)),
             hop("/bin/bash", "bash", str(tmp_path / "libexec/pyenv"), verdict=S),
             hop(str(tmp_path / "versions/3.12/bin/python3"), str(tmp_path / "versions/3.12/bin/python3"), "b.py"))
    result = plan(Process((hop("/bin/sh", "sh", "-c", "python3 b.py", verdict=S),), children=(Process(chain),)))
    assert result.names == {"python3"} and result.covers_every_hop


def test_a_version_manager_selecting_a_protected_python_is_a_gap(tmp_path: Path) -> None:
    shim = write_executable(tmp_path / "python3", '#!/usr/bin/env bash\nexec asdf exec "python3" "$@"\n')
    chain = (hop("/usr/bin/env", "python3", verdict=S, via=str(shim)), hop("/usr/bin/python3", "/usr/bin/python3",
                                                                          verdict=S))
    result = plan(Process((hop("/bin/sh", "sh", verdict=S),), children=(Process(chain),)))
    assert [g.why for g in result.gaps] == ["python3 resolves to a protected program"]
