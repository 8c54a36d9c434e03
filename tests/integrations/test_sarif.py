"""`check --format sarif`: valid SARIF 2.1.0 (the OASIS schema), rules with help, located results, exact fixes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sipdoctor.render.sarif import replacement
from tests.conftest import FIXTURES
from tests.integrations.conftest import apply_replacement, validate_sarif
from tests.rules.conftest import TOOLCHAIN_HOMES, host_path, link_node_modules

ENABLED = (FIXTURES / "csrutil" / "enabled.txt").read_text()
TEXT = st.text(alphabet=st.sampled_from(["a", "b", "\n", "é", "😀", " "]), max_size=30)


@given(TEXT, TEXT)
def test_a_replacement_turns_the_old_text_into_the_new(old: str, new: str) -> None:
    assert apply_replacement(old, replacement(old, new)) == new


def npm_project(tmp_path: Path, monkeypatch, toolchain) -> tuple[Path, Path]:
    from tests.chains import toolchains

    project = tmp_path / "npm"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "bench", "private": True,
                                                      "scripts": toolchains.BENCH_SCRIPTS}, indent=2) + "\n")
    link_node_modules(project, toolchains.npm_project())
    bin_dir = toolchain("node", "bash")
    monkeypatch.setenv("PATH", host_path(bin_dir))
    monkeypatch.setenv("HOME", str(project))
    for variable in TOOLCHAIN_HOMES:
        monkeypatch.delenv(variable, raising=False)
    return project, bin_dir


def test_check_sarif_is_valid_with_rules_locations_and_the_fixes_check_fix_makes(cli, monkeypatch, tmp_path,
                                                                                 toolchain) -> None:
    project, _ = npm_project(tmp_path, monkeypatch, toolchain)
    (project / "justfile").write_text("bench:\n    node bench.js\n")  # its shell: a cause with an exact edit
    result = cli("check", project, "--target", "macos", "--machine", "host", "--format", "sarif")
    assert result.exit_code == 1, result.stderr  # the findings still decide the exit code
    log = validate_sarif(result.stdout)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sipdoctor" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    chn = rules["CHN001"]
    assert chn["name"].isidentifier() and chn["shortDescription"]["text"] and chn["help"]["text"]
    assert chn["helpUri"].endswith("docs/rules.md#chn001") and chn["helpUri"].startswith("https://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"
    results = run["results"]
    assert results and all(r["ruleId"] in rules and driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
                           for r in results)
    for r in results:
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] in ({"uri": "package.json", "uriBaseId": "%SRCROOT%"},
                                                {"uri": "justfile", "uriBaseId": "%SRCROOT%"})
        assert location["region"]["startLine"] >= 1
    assert len({tuple(r["partialFingerprints"].items()) for r in results}) == len(results)

    # The first fix of each result, applied as a SARIF viewer would, gives exactly what `check --fix` writes.
    before = {p.name: p.read_text() for p in project.iterdir() if p.is_file()}
    expected = dict(before)
    for r in results:
        if r.get("fixes"):
            (change,) = r["fixes"][0]["artifactChanges"]
            name = change["artifactLocation"]["uri"]
            (edit,) = change["replacements"]
            if apply_replacement(before.get(name, ""), edit) not in (before.get(name), expected.get(name)):
                expected[name] = apply_replacement(expected.get(name, ""), edit)
    changed = {name: text for name, text in expected.items() if text != before.get(name)}
    assert "justfile" in changed, "the justfile's result carries its exact fix"
    # --fix makes the whole plan's edits: each file a SARIF fix changes ends as that fix leaves it (the plan may
    # also change other files, for causes below the first, which are context of one result, not results)
    cli("check", project, "--target", "macos", "--machine", "host", "--fix", "--fail-on", "never")
    after = {p.name: p.read_text() for p in project.iterdir() if p.is_file()}
    assert all(after.get(name) == text for name, text in changed.items()), (changed, after)


def test_findings_about_the_machine_are_notifications_not_results(cli, csrutil_stub, tmp_path) -> None:
    """GitHub code scanning rejects a whole SARIF file when one result has no location."""
    csrutil_stub(ENABLED)
    result = cli("check", tmp_path, "--format", "sarif", "-o", tmp_path / "out.sarif")
    assert result.exit_code == 0 and result.stdout == ""
    (run,) = validate_sarif((tmp_path / "out.sarif").read_text())["runs"]
    assert run["results"] == []
    (note,) = [n for n in run["invocations"][0]["toolExecutionNotifications"] if n["associatedRule"]["id"] == "SIP001"]
    assert note["level"] == "note" and "csrutil" in note["message"]["text"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["SIP001"]


def test_a_project_rule_is_described_by_its_file(cli, tmp_path) -> None:
    rules = tmp_path / "team.yml"
    rules.write_text("rules:\n  - id: TEAM001\n    severity: warning\n    title: Every project gets this\n"
                     "    when: 'true'\n    message: A team rule.\n")
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "csrutil", project)
    result = cli("check", project, "--rules", rules, "--format", "sarif", "--fail-on", "never")
    (run,) = validate_sarif(result.stdout)["runs"]
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "TEAM001"]
    assert "helpUri" not in rule and str(rules) in rule["help"]["text"]
    assert rule["name"] == "EveryProjectGetsThis" and rule["defaultConfiguration"]["level"] == "warning"
