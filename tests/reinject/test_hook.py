"""The opt-in exec hook (Linux form), with --emulate-sip's probe stripping as macOS would: it restores saved
variables into children's environments, respects a deliberate unset, and swaps an absolute /bin/sh for the
unprotected shell it was given (the only way to cover `shell=True` running a program by absolute path)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sipdoctor.trace.emulate import write_protected_list

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hook's Linux form")
PY = sys.executable
CHILD = ("import os; print(os.environ.get('LD_PRELOAD', 'missing'), "
         "os.environ.get('SIPDOCTOR_SAVED_LD_PRELOAD', 'none'))")


def run_profiled(script: str, probe: Path, hook: Path | None, trace_dir: Path, tmp_path: Path,
                 **extra: str) -> str:
    preload = f"{probe}:{hook}" if hook else str(probe)
    env = {"PATH": "/usr/bin:/bin", "LD_PRELOAD": preload, "SIPDOCTOR_SAVED_LD_PRELOAD": preload,
           "SIPDOCTOR_TRACE_DIR": str(trace_dir), "SIPDOCTOR_EMULATE_SIP": str(write_protected_list(tmp_path)),
           **extra}
    done = subprocess.run([PY, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def shell_true(child: str) -> str:
    return f"import subprocess; subprocess.run({PY!r} + ' -c \"' + {child!r} + '\"', shell=True, check=True)"


@pytest.fixture
def unprotected_bash(tmp_path: Path) -> Path:
    """Homebrew's bash on a Mac; here a copy of the host's bash outside the protected list."""
    target = tmp_path / "brew" / "bash"
    target.parent.mkdir()
    shutil.copy2("/bin/bash", target)
    return target


def test_shell_true_with_an_absolute_program_is_lost_without_the_hook(probe: Path, trace_dir: Path,
                                                                       tmp_path: Path) -> None:
    assert run_profiled(shell_true(CHILD.replace('"', "'")), probe, None, trace_dir, tmp_path).startswith("missing")


def test_hook_shell_covers_shell_true(probe: Path, hook: Path, trace_dir: Path, tmp_path: Path,
                                      unprotected_bash: Path) -> None:
    out = run_profiled(shell_true(CHILD.replace('"', "'")), probe, hook, trace_dir, tmp_path,
                       SIPDOCTOR_HOOK_SHELL=str(unprotected_bash))
    assert out == f"{probe}:{hook} {probe}:{hook}"


def test_hook_without_a_shell_leaves_bin_sh_alone(probe: Path, hook: Path, trace_dir: Path, tmp_path: Path) -> None:
    assert run_profiled(shell_true(CHILD.replace('"', "'")), probe, hook, trace_dir, tmp_path).startswith("missing")


def test_a_clean_environment_gets_the_saved_variables(probe: Path, hook: Path, trace_dir: Path,
                                                      tmp_path: Path) -> None:
    script = f"import subprocess; subprocess.run([{PY!r}, '-c', {CHILD!r}], env={{'PATH': '/usr/bin'}})"
    assert run_profiled(script, probe, None, trace_dir, tmp_path) == "missing none"
    assert run_profiled(script, probe, hook, trace_dir, tmp_path) == f"{probe}:{hook} {probe}:{hook}"


def test_a_deliberate_unset_is_respected(probe: Path, hook: Path, trace_dir: Path, tmp_path: Path) -> None:
    """scalene pops the variable before it starts a browser: neither it nor its saved copy comes back."""
    script = (f"import os, subprocess; os.environ.pop('LD_PRELOAD'); "
              f"subprocess.run([{PY!r}, '-c', {CHILD!r}])")
    assert run_profiled(script, probe, hook, trace_dir, tmp_path) == "missing none"
