"""The shim's Linux form, run as real processes: what it restores, skips, finds, and logs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.trace.shim_events import ShimEvent, read_events
from tests.conftest import write_executable
from tests.reinject.conftest import parse_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the shim's Linux form")

ODD = "/lib with space/libé.so:/other\ttab\nnewline=x"


def run_shim(directory: Path, path: list[Path | str], extra: dict[str, str], *args: str, name: str = "showenv",
             cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[bytes], list[ShimEvent]]:
    log = directory.parent / f"{directory.name}-events.log"
    env = {"PATH": os.pathsep.join(str(p) for p in path), "SIPDOCTOR_REINJECT": str(directory),
           "SIPDOCTOR_REINJECT_LOG": str(log), "HOME": os.environ.get("HOME", "/"), **extra}
    done = subprocess.run([name, *args], env=env, capture_output=True, timeout=60, check=False, cwd=cwd,
                          executable=str(directory / name))
    events = read_events(log)
    log.unlink(missing_ok=True)
    return done, events


def test_restores_missing_variables_byte_for_byte(shim_dir: Callable[..., Path], showenv: Path) -> None:
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES": ODD,
                                                "SIPDOCTOR_SAVED_DYLD_FORCE_FLAT_NAMESPACE": "1"})
    env = parse_env(done.stdout)
    assert env[b"DYLD_INSERT_LIBRARIES"] == ODD.encode()
    assert env[b"DYLD_FORCE_FLAT_NAMESPACE"] == b"1"
    assert env[b"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == ODD.encode()  # kept for deeper hops
    assert event.outcome == "restored" and event.target == str(showenv / "showenv")
    assert set(event.detail.split(",")) == {"DYLD_INSERT_LIBRARIES", "DYLD_FORCE_FLAT_NAMESPACE"}
    assert event.pid > 0 and event.name == "showenv"


def test_a_live_variable_wins_and_refreshes_its_copy(shim_dir: Callable[..., Path], showenv: Path) -> None:
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {"DYLD_INSERT_LIBRARIES": "/new.dylib",
                                                "SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES": "/old.dylib"})
    env = parse_env(done.stdout)
    assert env[b"DYLD_INSERT_LIBRARIES"] == b"/new.dylib"
    assert env[b"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == b"/new.dylib"
    assert event.outcome == "present"


def test_nothing_saved_is_said(shim_dir: Callable[..., Path], showenv: Path) -> None:
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {})
    assert done.returncode == 0 and b"DYLD_" not in done.stdout
    assert event.outcome == "nothing-saved"


def test_skip_list(shim_dir: Callable[..., Path], showenv: Path) -> None:
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {"SIPDOCTOR_SAVED_LD_PRELOAD": "/x.so",
                                                "SIPDOCTOR_REINJECT_SKIP": "git:showenv"})
    assert b"LD_PRELOAD=" not in done.stdout.replace(b"SAVED_LD_PRELOAD=", b"")
    assert event.outcome == "skipped" and "skip list" in event.detail


def test_protected_target_is_not_restored(shim_dir: Callable[..., Path], showenv: Path, tmp_path: Path) -> None:
    listing = tmp_path / "protected.txt"
    listing.write_text(f"{showenv / 'showenv'}\n")
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {"SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES": "/x.dylib",
                                                "SIPDOCTOR_EMULATE_SIP": str(listing)})
    assert b"\0DYLD_INSERT_LIBRARIES=" not in b"\0" + done.stdout
    assert event.outcome == "skipped" and event.detail.startswith("protected")


def test_protected_interpreter_is_not_restored(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_executable(real / "tool", "#!/bin/sh\necho ran\n")
    listing = tmp_path / "protected.txt"
    listing.write_text("/bin/sh\n")
    d = shim_dir("tool")
    done, (event,) = run_shim(d, [d, real], {"SIPDOCTOR_SAVED_DYLD_X": "1", "SIPDOCTOR_EMULATE_SIP": str(listing)},
                              name="tool")
    assert done.stdout == b"ran\n"
    assert event.outcome == "skipped" and "protected interpreter /bin/sh" in event.detail


def test_not_found_exits_127(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    d = shim_dir("nosuchprogram")
    done, (event,) = run_shim(d, [d, tmp_path], {}, name="nosuchprogram")
    assert done.returncode == 127
    assert b"nosuchprogram: command not found" in done.stderr
    assert event.outcome == "not-found"


def test_no_loop_through_its_own_directory_twice_or_a_symlink_or_a_copy(
        shim_dir: Callable[..., Path], shim: Path, showenv: Path, tmp_path: Path) -> None:
    d = shim_dir("showenv")
    linked, copied = tmp_path / "masquerade-link", tmp_path / "masquerade-copy"
    linked.mkdir()
    copied.mkdir()
    (linked / "showenv").symlink_to(d / "showenv")
    shutil.copy2(shim, copied / "showenv")
    done, events = run_shim(d, [d, linked, d, "", copied, showenv], {"SIPDOCTOR_SAVED_DYLD_A": "1"})
    assert done.returncode == 0 and parse_env(done.stdout)[b"DYLD_A"] == b"1"
    assert [e.target for e in events] == [str(showenv / "showenv")]


def test_masquerade_wrapper_that_execs_the_same_name_does_not_loop(
        shim_dir: Callable[..., Path], showenv: Path, tmp_path: Path) -> None:
    """A ccache-style directory before the real program: its `showenv` execs `showenv` by PATH again, in the
    same process; the shim continues after the wrapper instead of starting over."""
    wrapper = tmp_path / "wrapper"
    wrapper.mkdir()
    write_executable(wrapper / "showenv", '#!/bin/sh\nexec showenv "$@"\n')
    d = shim_dir("showenv")
    done, events = run_shim(d, [d, wrapper, showenv], {"SIPDOCTOR_SAVED_DYLD_A": "1"})
    assert done.returncode == 0 and parse_env(done.stdout)[b"DYLD_A"] == b"1"
    assert [e.target for e in events] == [str(wrapper / "showenv"), str(showenv / "showenv")]


def test_script_without_shebang_runs_with_sh(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_executable(real / "plain", 'echo "args:$*"\n')
    d = shim_dir("plain")
    done, _ = run_shim(d, [d, real, "/usr/bin", "/bin"], {}, "a b", "c", name="plain")
    assert done.stdout == b"args:a b c\n" and done.returncode == 0


def test_argv_and_exit_status_pass_through(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write_executable(real / "tool", f"#!{sys.executable}\nimport sys\nprint(sys.argv[1:])\nsys.exit(7)\n")
    d = shim_dir("tool")
    done, _ = run_shim(d, [d, real], {}, "x y", "", "--z", name="tool")
    assert done.returncode == 7 and done.stdout == b"['x y', '', '--z']\n"


# ------------------------------------------------------------------------------------------------------------
# Version managers: resolved to the real interpreter, never through /usr/bin/env and bash


def pyenv_root(tmp_path: Path) -> Path:
    """pyenv's layout (shims from libexec/pyenv-rehash; libexec/pyenv fails loudly if it is ever run)."""
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "libexec").mkdir()
    bin_dir = root / "versions" / "3.12.1" / "bin"
    bin_dir.mkdir(parents=True)
    write_executable(bin_dir / "python3", '#!/bin/sh\necho "real python3 $*"\n')
    write_executable(root / "libexec" / "pyenv", "#!/usr/bin/env bash\necho 'pyenv ran' >&2; exit 99\n")
    write_executable(root / "shims" / "python3", (
        f'#!/usr/bin/env bash\nset -e\n[ -n "$PYENV_DEBUG" ] && set -x\n\nprogram="${{0##*/}}"\n\n'
        f'export PYENV_ROOT="{root}"\nexec "{root}/libexec/pyenv" exec "$program" "$@"\n'))
    return root


def test_pyenv_shim_is_resolved_from_the_version_file(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    root = pyenv_root(tmp_path)
    project = tmp_path / "project" / "sub"
    project.mkdir(parents=True)
    (project.parent / ".python-version").write_text("3.12.1\n")
    d = shim_dir("python3")
    done, (event,) = run_shim(d, [d, root / "shims", "/usr/bin", "/bin"], {"SIPDOCTOR_SAVED_DYLD_A": "1"},
                              "bench.py", name="python3", cwd=project)
    assert done.stdout == b"real python3 bench.py\n", done.stderr
    assert event.target == str(root / "versions" / "3.12.1" / "bin" / "python3")
    assert event.outcome == "restored" and f"pyenv shim {root / 'shims' / 'python3'}" in event.detail


def test_pyenv_version_variable_and_system(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    root = pyenv_root(tmp_path)
    system = tmp_path / "system-bin"
    system.mkdir()
    write_executable(system / "python3", "#!/bin/sh\necho system python3\n")
    d = shim_dir("python3")
    done, (event,) = run_shim(d, [d, root / "shims", system, "/usr/bin", "/bin"], {"PYENV_VERSION": "system"},
                              name="python3", cwd=tmp_path)
    assert done.stdout == b"system python3\n"
    assert event.target == str(system / "python3")


def test_asdf_shim_is_resolved_from_tool_versions(shim_dir: Callable[..., Path], tmp_path: Path) -> None:
    data = tmp_path / "asdf"
    (data / "shims").mkdir(parents=True)
    real = data / "installs" / "nodejs" / "22.1.0" / "bin"
    real.mkdir(parents=True)
    write_executable(real / "node", '#!/bin/sh\necho "real node $*"\n')
    write_executable(data / "shims" / "node",
                     '#!/usr/bin/env bash\n# asdf-plugin: nodejs 22.1.0\nexec asdf exec "node" "$@"\n')
    (tmp_path / ".tool-versions").write_text("python 3.12.1\nnodejs 22.1.0  # pinned\n")
    d = shim_dir("node")
    done, (event,) = run_shim(d, [d, data / "shims", "/usr/bin", "/bin"], {"ASDF_DATA_DIR": str(data)}, "x.js",
                              name="node", cwd=tmp_path)
    assert done.stdout == b"real node x.js\n"
    assert event.target == str(real / "node") and "asdf shim" in event.detail


# ------------------------------------------------------------------------------------------------------------
# Architecture: a library the target cannot load is not restored


def test_library_of_another_machine_is_not_restored(shim_dir: Callable[..., Path], showenv: Path,
                                                    zig_cache: Path) -> None:
    pytest.importorskip("ziglang")
    from tests.trace.trace_helpers import zig_build

    foreign = zig_build("aarch64-linux-gnu" if os.uname().machine == "x86_64" else "x86_64-linux-gnu", zig_cache,
                        "-shared", "-fPIC", suffix=".so")
    d = shim_dir("showenv")
    done, (event,) = run_shim(d, [d, showenv], {"SIPDOCTOR_SAVED_LD_PRELOAD": str(foreign)})
    assert b"\0LD_PRELOAD=" not in b"\0" + done.stdout
    assert event.outcome == "skipped" and event.detail.startswith("architecture")


def test_restored_byte_for_byte_across_an_emulated_sip_hop(shim_dir: Callable[..., Path], showenv: Path,
                                                           probe: Path, trace_dir: Path, tmp_path: Path) -> None:
    """--emulate-sip's probe prunes LD_PRELOAD and every DYLD_* at /bin/sh, as dyld does; the shim below it puts
    them back exactly, and only there."""
    from sipdoctor.reinject.environment import save
    from sipdoctor.trace.emulate import write_protected_list

    d = shim_dir("showenv")
    live = {"LD_PRELOAD": str(probe), "DYLD_INSERT_LIBRARIES": ODD, "DYLD_FORCE_FLAT_NAMESPACE": "1"}
    env = {**save(live).env, "SIPDOCTOR_TRACE_DIR": str(trace_dir),
           "SIPDOCTOR_EMULATE_SIP": str(write_protected_list(tmp_path)), "SIPDOCTOR_REINJECT": str(d)}
    for path, expected in ((f"{showenv}", None), (f"{d}:{showenv}", live)):
        done = subprocess.run(["/bin/sh", "-c", "showenv"], env={**env, "PATH": path}, capture_output=True,
                              timeout=60, check=True)
        seen = parse_env(done.stdout)
        got = {k: seen.get(k.encode(), b"").decode() for k in live}
        assert got == (expected or dict.fromkeys(live, ""))
