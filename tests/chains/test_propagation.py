from __future__ import annotations

from sipdoctor.chains.predict import PROFILERS
from sipdoctor.chains.tree import NOT_PROFILED, Hop, Process, propagate, stripped_hops
from sipdoctor.model import Verdict


def hop(path: str, verdict: Verdict) -> Hop:
    return Hop(path=path, argv=(path,), verdict=verdict)


def tree() -> Process:
    node = Process((hop("/opt/homebrew/bin/node", Verdict.PROFILED),))
    shell = Process((hop("/bin/sh", Verdict.STRIPPED),), children=(node,))
    return Process((hop("/usr/bin/env", Verdict.STRIPPED), hop("/opt/homebrew/bin/pnpm", Verdict.PROFILED)),
                   children=(shell,))


def test_everything_after_a_stripping_hop_is_not_profiled_with_that_cause() -> None:
    result = propagate(tree(), PROFILERS["generic"])
    statuses = [(h.path, h.status, h.cause) for h in result.walk()]
    assert statuses == [
        ("/usr/bin/env", "stripped", None),
        ("/opt/homebrew/bin/pnpm", NOT_PROFILED, "/usr/bin/env"),
        ("/bin/sh", NOT_PROFILED, "/usr/bin/env"),
        ("/opt/homebrew/bin/node", NOT_PROFILED, "/usr/bin/env"),
    ]
    assert [h.path for h in stripped_hops(result)] == ["/usr/bin/env", "/bin/sh"]


def test_codspeed_reinjects_at_node_after_a_stripping_launcher() -> None:
    result = propagate(tree(), PROFILERS["codspeed"])
    node = result.walk()[-1]
    assert node.status == "profiled" and node.reinjected and node.cause is None
    assert result.walk()[2].status == NOT_PROFILED


def test_load_fails_stops_the_launch() -> None:
    aborting = Process((hop("/x/app", Verdict.LOAD_FAILS),), children=(Process((hop("/x/child", Verdict.PROFILED),)),))
    child = propagate(aborting).walk()[1]
    assert child.status == NOT_PROFILED and child.cause == "/x/app"
