"""Rules from a project or a user are input too: a rule that fails is named and skipped, validation catches it."""

from __future__ import annotations

from pathlib import Path

import pytest


def write_rule(path: Path, rule_id: str, when: str, extra: str = "") -> Path:
    path.write_text(f"rules:\n  - id: {rule_id}\n    severity: warning\n    title: t\n    when: {when!r}\n"
                    f"    message: m\n{extra}")
    return path


@pytest.mark.parametrize(("when", "why"), [
    ('matches(host.os, "([")', "bad pattern"),
    ("join(['a'], 5) == 'a'", "separator"),
    ('matches(host.os + "' + "x" * 9000 + '", "(x+x+)+y")', "backtracks"),
])
def test_a_rule_that_fails_in_check_is_named_and_the_check_goes_on(cli, tmp_path: Path, when: str,
                                                                   why: str) -> None:
    rules = write_rule(tmp_path / "team.yml", "TEAM001", when)
    result = cli("check", tmp_path, "--rules", rules, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr[-300:]
    assert f"{rules}:2: rule TEAM001 failed and was skipped" in result.stderr and why in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_nested_fact_is_a_validation_error_with_its_line(cli, tmp_path: Path) -> None:
    rules = write_rule(tmp_path / "team.yml", "TEAM001", "sip.readabel and host.os == 'macos'")
    result = cli("rules", "validate", rules)
    assert result.exit_code == 2
    assert f"{rules}:5:" in result.stderr and "sip.readabel" in result.stderr


def test_validation_evaluates_each_rule_on_its_example(cli, tmp_path: Path) -> None:
    rules = write_rule(tmp_path / "team.yml", "TEAM001", "join(['a'], host.ci) == 'a'",
                       "    example: {host: {ci: 5}}\n")
    result = cli("rules", "validate", rules)
    assert result.exit_code == 2 and "TEAM001 fails on its example" in result.stderr


def test_rules_validate_of_a_directory_reports_every_bad_file(cli, tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("rules: [\n")
    write_rule(tmp_path / "b.yml", "TEAM002", "sip.nope")
    write_rule(tmp_path / "c.yml", "TEAM003", "host.ci")
    result = cli("rules", "validate", tmp_path)
    assert result.exit_code == 2
    assert "a.yml" in result.stderr and "b.yml" in result.stderr and "c.yml: 1 rules OK" in result.stdout


@pytest.mark.parametrize("when", ["not " * 20000 + "host.ci", "(" * 5000 + "host.ci" + ")" * 5000,
                                  " + ".join(["'a'"] * 20000) + " == ''"])
def test_a_deeply_nested_expression_is_a_validation_error(cli, tmp_path: Path, when: str) -> None:
    rules = write_rule(tmp_path / "deep.yml", "DEEP001", when)
    result = cli("rules", "validate", rules)
    assert result.exit_code == 2 and "deep.yml" in result.stderr and "Traceback" not in result.stderr


def test_the_builtin_rules_still_validate(cli) -> None:
    from sipdoctor.advice.loader import builtin_rules_dir

    assert cli("rules", "validate", builtin_rules_dir()).exit_code == 0
