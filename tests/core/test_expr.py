"""The condition language: what it evaluates, and what it refuses at load time."""

from __future__ import annotations

import pytest

from sipdoctor.advice.expr import ExprError, parse
from sipdoctor.advice.template import parse_template

FACTS = {
    "sip": {"status": "enabled", "dyld_env_stripping": True, "protections": {"debugging_restrictions": "enabled"}},
    "host": {"ci": False, "os": "macos"},
    "project": {"commands": [
        {"name": "bench", "hops": [{"path": "/usr/bin/env", "verdict": "stripped"}, {"path": "/x/node"}]},
        {"name": "test", "hops": [{"path": "/x/node", "verdict": "profiled"}]},
    ]},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("sip.dyld_env_stripping and not host.ci", True),
        ("sip.protections.debugging_restrictions == 'enabled'", True),
        ("sip.missing.deeper is None", True),
        ("linux.anything", None),
        ("host.os in ['macos', 'linux']", True),
        ("'able' in sip.status", True),
        ("len(project.commands) >= 2", True),
        ("any(h.verdict == 'stripped' for c in project.commands for h in c.hops)", ExprError),
        ("count(c.name == 'bench' for c in project.commands)", 1),
        ("first(c for c in project.commands if c.name == 'test').hops[0].path", "/x/node"),
        ("project.commands[-1].name", "test"),
        ("project.commands[9].name", None),
        ("select(c.name for c in project.commands if c.name != 'test')", [FACTS["project"]["commands"][0]]),
        ("all(h.verdict for h in project.commands[0].hops)", False),
        ("startswith(project.commands[0].hops[0].path, '/usr/bin/')", True),
        ("matches(sip.status, '^en')", True),
        ("'yes' if host.ci else 'no'", "no"),
        ("1 < 'a'", False),
        ("default(host.missing, 3) == 3", True),
        ("true and not false and null is None", True),
        ("'a' + sip.status + 'b'", "aenabledb"),
        ("[1] + [2]", [1, 2]),
        ("1 + 2", 3),
        ("'a' + 1", None),
        ("sip.nothing + 'x'", None),
    ],
)
def test_evaluation(source: str, expected: object) -> None:
    if expected is ExprError:
        with pytest.raises(ExprError):
            parse(source)
        return
    assert parse(source).evaluate(FACTS) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("sip.status ==", "bad condition syntax"),
        ("__import__('os')", "unknown function"),
        ("__import__('os').system('id')", "only plain function names"),
        ("sip.status.upper()", "only plain function names"),
        ("sip.__class__", "names starting with '_'"),
        ("1 - 2", "only '"),
        ("[x for x in y]", "'ListComp' is not allowed"),
        ("lambda: 1", "'Lambda' is not allowed"),
        ("any(project.commands)", "takes one generator"),
        ("(x for x in y)", "generator is only allowed"),
        ("len(x=1)", "keyword arguments"),
    ],
)
def test_refused_at_parse_time(source: str, fragment: str) -> None:
    with pytest.raises(ExprError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        parse(source)


def test_free_names_are_reported_for_validation() -> None:
    assert parse("any(c.name == x for c in project.commands) and sip.y").names == {"project", "x", "sip"}


def test_templates_render_facts_and_literal_braces() -> None:
    template = parse_template("SIP {sip.status}; {{literal}}; {len(project.commands)} commands; {host.ci}; {nope}")
    assert template.render(FACTS) == "SIP enabled; {literal}; 2 commands; no; unknown"
    assert template.names == {"sip", "project", "host", "nope"}


@pytest.mark.parametrize("source", ["{sip.status", "oops }", "{1 +}"])
def test_bad_templates_are_refused(source: str) -> None:
    with pytest.raises(ExprError):
        parse_template(source)
