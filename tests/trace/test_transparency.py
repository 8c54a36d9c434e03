"""The probe never changes a program's behaviour: same bytes out, same status, same errno, with and without it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.trace.records import read_records
from tests.trace.trace_helpers import LINUX

pytestmark = pytest.mark.skipif(not LINUX, reason="LD_PRELOAD transparency is checked on Linux")

CASES = [
    ("output", ["hello world"]),
    ("signals", ["abort"]),
    ("signals", ["term"]),
    ("signals", []),
    ("threads", []),
    ("forks", []),
    ("vfork", []),
    ("spawn", []),
    ("execfail", []),
]


def run(program: Path, args: list[str], env: dict[str, str]) -> tuple[bytes, bytes, int]:
    done = subprocess.run([str(program), *args], env=env, capture_output=True, timeout=60, check=False)
    return done.stdout, done.stderr, done.returncode


def base_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}-{'-'.join(a) or 'plain'}" for n, a in CASES])
def test_same_behaviour_with_the_probe(name: str, args: list[str], probe: Path, compile_c: Callable[..., Path],
                                       trace_dir: Path) -> None:
    program = compile_c(name)
    plain = run(program, args, base_env())
    traced = run(program, args, {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)})
    assert traced == plain
    parsed = read_records(trace_dir)
    assert parsed.malformed == 0
    assert any(r.kind == "load" and r.path == str(program) for r in parsed.records)


def test_silent_when_the_trace_directory_is_missing(probe: Path, compile_c: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    program = compile_c("forks")
    missing = tmp_path / "gone"
    traced = run(program, [], {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(missing)})
    assert traced == run(program, [], base_env())
    assert not missing.exists()


def test_records_file_is_never_created(probe: Path, trace_dir: Path) -> None:
    """The tracer creates records.log; without it the probe stays silent rather than create anything."""
    (trace_dir / "records.log").unlink()
    env = {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}
    assert subprocess.run(["/bin/sh", "-c", "/bin/true"], env=env, check=False).returncode == 0
    assert list(trace_dir.iterdir()) == []


def test_silent_when_the_trace_directory_is_unwritable(probe: Path, compile_c: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    program = compile_c("spawn")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    traced = run(program, [], {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(not_a_dir)})
    assert traced == run(program, [], base_env())


def test_records_name_the_exec_before_it_happens(probe: Path, compile_c: Callable[..., Path],
                                                 trace_dir: Path) -> None:
    program = compile_c("execfail")
    run(program, [], {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)})
    records = read_records(trace_dir).records
    failures = [r.errno for r in records if r.kind == "execfail"]
    assert 2 in failures and 13 in failures  # ENOENT, EACCES (execv on a directory)
    final = [r for r in records if r.kind == "exec" and r.path == "/usr/bin/env"]
    assert final and final[-1].argv == ("env",) and not final[-1].has_var  # execle's own environment


def test_huge_argv_is_cut_to_one_record(probe: Path, trace_dir: Path) -> None:
    args = [f"argument-{i:05d}-" + "x" * 50 for i in range(400)]
    env = {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}
    assert subprocess.run(["/bin/true", *args], env=env, check=False).returncode == 0
    (load,) = [r for r in read_records(trace_dir).records if r.kind == "load"]
    assert load.argc == 401 and len(load.argv) < load.argc and load.argv[1] == args[0]
    assert max(len(line) for line in (trace_dir / "records.log").read_bytes().splitlines()) < 4096


def test_spaces_and_control_bytes_survive_the_record(probe: Path, trace_dir: Path) -> None:
    env = {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir)}
    odd = ["tab\there", "new\nline", "back\\slash", "caf\u00e9", ""]
    subprocess.run(["/bin/true", *odd], env=env, check=True)
    (load,) = [r for r in read_records(trace_dir).records if r.kind == "load"]
    assert load.argv == ("/bin/true", *odd)
    assert os.path.realpath("/bin/true") == load.path


def test_emulated_sip_prunes_only_the_injection_variable(probe: Path, tmp_path: Path, trace_dir: Path) -> None:
    """A protected binary under --emulate-sip loses LD_PRELOAD, as dyld prunes DYLD_*, and keeps the rest."""
    from sipdoctor.trace.emulate import write_protected_list

    listing = write_protected_list(tmp_path)
    env = {**base_env(), "LD_PRELOAD": str(probe), "SIPDOCTOR_TRACE_DIR": str(trace_dir),
           "SIPDOCTOR_EMULATE_SIP": str(listing), "KEEP": "me"}
    script = 'printf "%s|%s|%s" "${LD_PRELOAD-unset}" "$KEEP" "$SIPDOCTOR_TRACE_DIR"'
    done = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout == f"unset|me|{trace_dir}"
    assert read_records(trace_dir).records == []  # the probe did nothing else in the protected process
