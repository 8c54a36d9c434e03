"""`sipdoctor explain TARGET` end to end: PATH candidates, evidence in the human output, options, exit codes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions
from tests.conftest import write_executable

Cli = Callable[..., tuple[int, str, str]]


def test_command_name_shows_every_match_and_the_winner(tmp_path: Path, zig_macho: dict[str, Path],
                                                       explain_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        directory.mkdir()
        shutil.copy(zig_macho["plain"], directory / "tool")
        (directory / "tool").chmod(0o755)
    monkeypatch.setenv("PATH", f"{first}:{second}")
    code, out, _ = explain_cli("tool", "--no-cache", "--color", "never")
    assert code == 0
    assert f"1. {first / 'tool'}  (wins)" in out
    assert f"2. {second / 'tool'}" in out
    assert "flags=0x20002(adhoc,linker-signed)" in out
    code, out, _ = explain_cli("tool", "--no-cache", "--format", "json")
    data = json.loads(out)
    assert data["target"] == "tool" and data["path"] == str(first / "tool")


def test_human_output_carries_the_evidence(macho_fixture: Callable[[str], Path], explain_cli: Cli) -> None:
    code, out, _ = explain_cli(macho_fixture("uvx_hardened_noent_arm64"), "--no-cache", "--color", "never")
    flat = " ".join(out.split())
    assert code == 0
    assert "flags=0x10000(runtime)" in flat and "entitlements: none" in flat and "team=2DC432GLL2" in flat


def test_sip_and_arch_options(tmp_path: Path, explain_cli: Cli, macho_fixture: Callable[[str], Path]) -> None:
    code, out, _ = explain_cli("/usr/bin/env", "--target", "macos", "--sip", "off", "--format", "json",
                               "--no-cache")
    data = json.loads(out)
    assert code == 0
    assert data["verdict"] == "unknown"
    assert "sip-off" in [r["code"] for r in data["reasons"]]
    _code, out, _ = explain_cli(macho_fixture("pyinstaller_run_fat_linkersigned"), "--arch", "x86_64",
                               "--format", "json", "--no-cache")
    running = [r["message"] for r in json.loads(out)["reasons"] if r["code"] == "running-slice"]
    assert running == ["the x86_64 slice runs on an Intel Mac"]


def test_bad_option_value_is_a_usage_error(explain_cli: Cli) -> None:
    code, _, _ = explain_cli("/bin/sh", "--sip", "sometimes")
    assert code == 2


def test_a_format_explain_does_not_list_is_refused(explain_cli: Cli) -> None:
    code, _, err = explain_cli("/bin/sh", "--format", "github")
    assert code == 2 and "'github' is not one of 'human', 'json'" in err


def test_ascii_markers_when_piped(tmp_path: Path, explain_cli: Cli) -> None:
    script = write_executable(tmp_path / "run", "#!/bin/sh\n")
    code, out, _ = explain_cli(script, "--target", "macos", "--no-cache")
    assert code == 1  # stripped: the exit status says so to scripts
    assert out.startswith("[stripped] stripped")
    assert "chain (what the kernel runs, in order):" in out and "1. [stripped] stripped  /bin/sh" in out


def test_explain_writes_and_reuses_the_cache(zig_macho: dict[str, Path], explain_cli: Cli,
                                             isolated_dirs: Path) -> None:
    code, first, _ = explain_cli(zig_macho["plain"], "--format", "json")
    cache_file = isolated_dirs / "cache" / "sipdoctor" / "verdicts.json"
    assert code == 0 and cache_file.exists()
    assert explain_cli(zig_macho["plain"], "--format", "json")[1] == first


def test_module_is_light_at_import() -> None:
    import subprocess
    import sys

    code = ("import sys, sipdoctor.commands.explain; "
            "print(sorted(m for m in ('macholib', 'elftools', 'rich', 'platformdirs') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_assumptions_are_validated() -> None:
    with pytest.raises(ValueError, match="bad assumptions"):
        Assumptions("macOS")
    with pytest.raises(ValueError, match="bad assumptions"):
        Assumptions("macos", arch="arm64e")
