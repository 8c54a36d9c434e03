"""Every built-in rule fires on the example facts stored with it, stays quiet on a clean host, and
docs/rules.md is what `sipdoctor rules docs` generates from them."""

from __future__ import annotations

import pytest

from sipdoctor.advice.engine import evaluate_rule
from sipdoctor.advice.loader import load_rules
from tests.conftest import REPO

BUILTIN = load_rules(include_user=False).rules
CLEAN_HOST = {
    "host": {"os": "linux", "target": "linux", "ci": False},
    "sip": None,
    "linux": {"ld_preload": None, "ld_so_preload": {"present": False, "entries": []}, "secure_execution": False},
    "profiler": "generic",
}


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_rule_fires_on_its_example(rule) -> None:
    assert rule.example is not None, f"{rule.id} needs example facts (they feed docs/rules.md)"
    findings = evaluate_rule(rule, rule.example)
    assert findings, f"{rule.id} does not fire on its own example"
    assert all(f.message and "unknown" not in f.title for f in findings)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_rule_is_quiet_on_a_clean_host(rule) -> None:
    assert evaluate_rule(rule, CLEAN_HOST) == []


def test_docs_are_generated_from_the_rules(cli) -> None:
    generated = cli("rules", "docs").stdout
    assert (REPO / "docs" / "rules.md").read_text() == generated, "run: sipdoctor rules docs > docs/rules.md"
    for rule in BUILTIN:
        assert f"## {rule.id}" in generated
