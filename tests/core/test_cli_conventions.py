"""CLI conventions: help without type metavars, choices that show their values, -V, -q/-v, -o on every command
that prints a report, every listed format accepted, cache path/clear, shell completion installed and working."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

ENABLED = (FIXTURES / "csrutil" / "enabled.txt").read_text()
MAKEFILE = "SHELL := /bin/sh\n\nbench:\n\tpython3 bench.py > out.txt\n"
TYPE_METAVAR = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|[a-z_]+)>")


def all_commands() -> list[list[str]]:
    """Every command and group of the real Typer app, as argv prefixes."""
    import typer.main

    from sipdoctor.cli import app

    out: list[list[str]] = [[]]

    def walk(command, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            out.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return out


@pytest.mark.parametrize("argv", all_commands(), ids=lambda a: " ".join(a) or "sipdoctor")
def test_help_has_no_type_metavars_and_choices_show_their_values(cli, argv: list[str]) -> None:
    result = cli(*argv, "--help")
    assert result.exit_code == 0, result.stderr
    assert not TYPE_METAVAR.search(result.stdout), result.stdout
    if re.search(r"^\s+-f, --format", result.stdout, re.M):
        assert re.search(r"--format \[human\|json[a-z|]*\]", result.stdout), result.stdout


def test_check_help_lists_fail_on_and_profiler_values(cli) -> None:
    text = cli("check", "--help").stdout
    assert "--fail-on [error|warning|info|never]" in text and "--profiler [generic|codspeed]" in text
    assert "--fix " in text and "--fix <" not in text
    bad = cli("check", ".", "--profiler", "samply")
    assert bad.exit_code == 2 and "'samply' is not one of 'generic', 'codspeed'" in bad.stderr


def test_version(cli) -> None:
    from sipdoctor import __version__

    for flag in ("-V", "--version"):
        result = cli(flag)
        assert result.exit_code == 0 and result.stdout == f"sipdoctor {__version__}\n"


FORMATS = {
    ("check",): ["human", "json", "github", "sarif", "markdown"],
    ("status",): ["human", "json"],
    ("explain", "/bin/sh"): ["human", "json"],
    ("scan", "path"): ["human", "json"],
    ("rules", "list"): ["human", "json"],
}


@pytest.mark.parametrize("argv", list(FORMATS), ids=" ".join)
def test_every_listed_format_is_accepted_and_honoured(cli, csrutil_stub, tmp_path, argv) -> None:
    csrutil_stub(ENABLED)
    args = [*argv, tmp_path] if argv == ("check",) else list(argv)
    outputs = {}
    for fmt in FORMATS[argv]:
        result = cli(*args, "--format", fmt)
        assert result.exit_code in (0, 1), (fmt, result.stderr)
        outputs[fmt] = result.stdout
        if fmt in ("json", "sarif"):
            json.loads(result.stdout)
    assert len(set(outputs.values())) == len(outputs), "each format prints something different"


def test_output_writes_the_report_to_a_file_for_every_report_command(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(ENABLED)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Makefile").write_text(MAKEFILE)
    for argv, words in ((["check", "--target", "macos"], [project]), (["explain", "--target", "macos"], ["/bin/sh"]),
                        (["explain", "--target", "macos"], ["--", "make bench"]), (["status"], []),
                        (["scan", "project"], [project]), (["rules", "list"], [])):
        to_stdout = cli(*argv, "--format", "json", *words)
        report = tmp_path / "report.json"
        to_file = cli(*argv, "--format", "json", "-o", report, *words)
        assert to_file.exit_code == to_stdout.exit_code and to_file.stdout == ""
        assert json.loads(report.read_text()).keys() == json.loads(to_stdout.stdout).keys()
        human = tmp_path / "report.txt"
        assert cli(*argv, "--output", human, *words).stdout == ""
        assert human.read_text().strip() and "\x1b[" not in human.read_text()


def test_output_to_a_directory_is_a_usage_error(cli, tmp_path) -> None:
    result = cli("status", "-o", tmp_path)
    assert result.exit_code == 2 and str(tmp_path) in result.stderr


def test_quiet_prints_the_verdict_line_and_verbose_the_evidence(cli, csrutil_stub, tmp_path) -> None:
    csrutil_stub(ENABLED)
    (tmp_path / "Makefile").write_text(MAKEFILE)
    quiet = cli("check", tmp_path, "--target", "macos", "-q", "--color", "never")
    assert quiet.exit_code == 1
    assert quiet.stdout.strip().splitlines() == [quiet.stdout.strip()] and "loses the profiler" in quiet.stdout
    verbose = cli("check", tmp_path, "--target", "macos", "-v", "--color", "never").stdout
    assert "Evidence:" in verbose and 'command: "make bench"' in verbose
    assert "Evidence:" not in cli("check", tmp_path, "--target", "macos", "--color", "never").stdout
    assert cli("check", tmp_path, "-q", "-v").exit_code == 2
    assert cli("status", "-q").stdout == "SIP enabled: DYLD_* stripped when an Apple system binary runs\n"
    assert cli("explain", "-q", "--target", "macos", "/bin/sh").stdout == "/bin/sh: stripped\n"
    line = cli("explain", "-q", "--target", "macos", "--", "/bin/sh -c true").stdout
    assert line.startswith("'/bin/sh -c true': loses the variable at ") and line.count("\n") == 1


def test_cache_path_and_clear_remove_only_what_sipdoctor_wrote(cli, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SIPDOCTOR_CACHE_DIR", str(cache))
    assert cli("cache", "path").stdout == f"{cache}\n"
    assert "nothing to clear" in cli("cache", "clear").stdout
    cli("explain", "/bin/sh")  # writes the verdict cache
    assert (cache / "verdicts.json").is_file()
    (cache / "probe" / "abc").mkdir(parents=True)
    (cache / "probe" / "abc" / "libsipdoctor_probe.so").write_bytes(b"x")
    (cache / "reports").mkdir()
    (cache / "reports" / "crash-1.txt").write_text("x")
    (cache / "someone-elses.txt").write_text("keep me")
    result = cli("cache", "clear")
    assert result.exit_code == 0 and "removed verdicts.json, probe, reports" in result.stdout
    assert sorted(p.name for p in cache.iterdir()) == ["someone-elses.txt"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_installs_and_completes(tmp_path) -> None:
    """`completion bash --install` writes the script and sources it from ~/.bashrc; a new bash then completes
    commands and the values of --format from the installed sipdoctor."""
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "sipdoctor").exists(), "the console script of this environment"
    env = {**os.environ, "HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SHELL": "/bin/bash"}
    done = subprocess.run([str(bin_dir / "sipdoctor"), "completion", "--install"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "bash completion installed in" in done.stderr
    assert "sipdoctor.sh" in (home / ".bashrc").read_text()

    def complete(*words: str) -> list[str]:
        script = ("source ~/.bashrc\n"
                  f"COMP_WORDS=({' '.join(words)} ''); COMP_CWORD={len(words)}\n"
                  "_sipdoctor_completion sipdoctor\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        run = subprocess.run(["bash", "--norc", "-c", script], env=env, capture_output=True, text=True, timeout=60,
                             check=False)
        assert run.returncode == 0, run.stderr
        return run.stdout.split()

    assert {"check", "explain", "trace", "status", "cache", "completion"} <= set(complete("sipdoctor"))
    assert complete("sipdoctor", "check", "--format") == ["human", "json", "github", "sarif", "markdown"]
    assert complete("sipdoctor", "cache") == ["path", "clear"]


def test_completion_prints_the_script_for_a_named_shell(cli) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = cli("completion", shell)
        assert result.exit_code == 0 and "_SIPDOCTOR_COMPLETE" in result.stdout
    assert cli("completion", "tcsh").exit_code == 2
