"""Rule files: every class of error names the file and line and exits 2; sources override in order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

GOOD = """\
rules:
  - id: TST001
    severity: warning
    title: A test rule
    when: host.ci
    message: CI is {host.ci}
"""

BAD = {
    "yaml": ("rules:\n  - id: TST001\n    title: [unclosed\n", 3, "bad YAML"),
    "unknown key": (GOOD + "    colour: red\n", 7, "key 'colour': unknown key in a rule"),
    "wrong type": (GOOD.replace("title: A test rule", "title: [1, 2]"), 4, "key 'title': must be a non-empty string"),
    "bad severity": (GOOD.replace("warning", "fatal"), 3, "'fatal' is not a severity"),
    "bad id": (GOOD.replace("TST001", "tst-1"), 2, "not a rule ID"),
    "missing key": (GOOD.replace("    message: CI is {host.ci}\n", ""), 2, "missing required key 'message'"),
    "bad condition": (GOOD.replace("when: host.ci", "when: host.ci ==="), 5, "bad condition syntax"),
    "unknown fact": (GOOD.replace("when: host.ci", "when: hots.ci"), 5, "unknown fact 'hots'"),
    "unknown function": (GOOD.replace("when: host.ci", "when: eval('1')"), 5, "unknown function 'eval'"),
    "bad placeholder": (GOOD.replace("{host.ci}", "{host.ci"), 6, "unbalanced brace"),
    "duplicate id": (GOOD + GOOD.replace("rules:\n", ""), 7, "duplicate rule ID TST001"),
    "duplicate key": (GOOD + "    title: again\n", 7, "duplicate key 'title'"),
    "not a list": ("rules: {id: TST001}\n", 1, "'rules' must be a list"),
    "top level": ("- id: TST001\n", 1, "a rule file is a mapping with one key"),
    "unsafe tag": ("rules: !!python/object/apply:os.system ['id']\n", 1, "bad YAML"),
    "remediation key": (GOOD + "    remediations:\n      - txt: do it\n", 8, "unknown key in a remediation"),
    "item without for_each": (GOOD.replace("when: host.ci", "when: item.x"), 5, "unknown fact 'item'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_error_class_names_file_line_and_key(case: str, cli, tmp_path: Path) -> None:
    text, line, fragment = BAD[case]
    path = tmp_path / "bad.yml"
    path.write_text(text)
    result = cli("rules", "validate", path)
    assert result.exit_code == 2
    assert f"{path}:{line}:" in result.stderr, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    check = cli("check", "--rules", path)  # the same error stops `check`, with the same message
    assert check.exit_code == 2 and f"{path}:{line}:" in check.stderr


def test_validate_accepts_good_files_and_directories(cli, tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(GOOD)
    result = cli("rules", "validate", tmp_path, Path(__file__).parents[2] / "rules")
    assert result.exit_code == 0, result.stderr
    assert "a.yml: 1 rules OK" in result.stdout


@pytest.mark.parametrize("kind", ["fifo", "directory-file", "not-utf8", "missing", "loop"])
def test_unusable_rule_files(kind: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory-file":
        path.mkdir()
        (path / "inner.yml").mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"rules: []\n# \xff\xfe\n")
    elif kind == "loop":
        path.symlink_to(path)
    result = cli("rules", "validate", path)
    assert result.exit_code == 2
    assert str(path) in result.stderr and "Traceback" not in result.stderr


def test_validate_refuses_an_empty_directory(cli, tmp_path: Path) -> None:
    result = cli("rules", "validate", tmp_path)
    assert result.exit_code == 2 and "no rule files" in result.stderr


def test_later_sources_override_by_id(cli, tmp_path: Path, isolated_dirs: Path) -> None:
    user_rules = isolated_dirs / "config" / "sipdoctor" / "rules"
    user_rules.mkdir(parents=True)
    (user_rules / "mine.yml").write_text(GOOD.replace("TST001", "SIP002").replace("A test rule", "User's SIP002"))
    extra = tmp_path / "extra.yml"
    extra.write_text(GOOD.replace("TST001", "SIP002").replace("A test rule", "Extra SIP002"))
    listing = cli("rules", "list")
    assert "User's SIP002" in listing.stdout and "overrides" in listing.stdout
    listing = cli("rules", "list", "--rules", extra)
    assert "Extra SIP002" in listing.stdout
    data = json.loads(cli("rules", "list", "--format", "json").stdout)
    assert any(r["id"] == "SIP001" for r in data["rules"])


def test_show_prints_condition_and_remediations(cli) -> None:
    result = cli("rules", "show", "sip001")
    assert result.exit_code == 0
    assert "when: sip.readable and sip.dyld_env_stripping" in result.stdout
    assert "$ csrutil enable --without debug" in result.stdout
    missing = cli("rules", "show", "NOPE001")
    assert missing.exit_code == 2 and "no rule 'NOPE001'" in missing.stderr


def test_rules_list_titles_are_readable(cli) -> None:
    listing = cli("rules", "list").stdout.splitlines()
    assert not [line for line in listing if "{" in line or "item." in line]
    chn001 = next(line for line in listing if line.startswith("CHN001"))
    assert chn001.endswith("<commands> loses the profiler at <path>")
