"""Scripts are judged through the chain the kernel runs: the interpreter, then what env looks up."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sipdoctor.binaries import Assumptions, judge_file, read_shebang
from sipdoctor.binaries.script import parse_shebang
from sipdoctor.model import Verdict
from tests.conftest import write_executable

Cli = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(("line", "interpreter", "env_name", "env_args"), [
    (b"#!/bin/sh\n", "/bin/sh", None, ()),
    (b"#!/usr/bin/env node\n", "/usr/bin/env", "node", ()),
    (b"#! /usr/bin/env  python3 -u\r\n", "/usr/bin/env", "python3", ("-u",)),
    (b"#!/usr/bin/env -S node --max-old-space-size=4096\n", "/usr/bin/env", "node",
     ("--max-old-space-size=4096",)),
    (b"#!/usr/bin/env -S\tFOO=1 -u BAR deno run\n", "/usr/bin/env", "deno", ("run",)),
    (b"#!/usr/bin/env -Snode --flag\n", "/usr/bin/env", "node", ("--flag",)),
    (b"#!/usr/bin/python3 -I -S\n", "/usr/bin/python3", None, ()),
])
def test_parse_shebang(line: bytes, interpreter: str, env_name: str | None, env_args: tuple[str, ...]) -> None:
    shebang = parse_shebang(line)
    assert shebang is not None
    assert (shebang.interpreter, shebang.env_name, shebang.env_args) == (interpreter, env_name, env_args)


@pytest.mark.parametrize("head", [b"", b"#!", b"#!   \n", b"\x7fELF", b"echo hi\n"])
def test_no_shebang(head: bytes) -> None:
    assert parse_shebang(head) is None


def test_read_shebang_reads_only_regular_files(tmp_path: Path) -> None:
    script = write_executable(tmp_path / "s", "#!/bin/sh -e\necho\n")
    shebang = read_shebang(str(script))
    assert shebang is not None and shebang.args == ("-e",)
    assert read_shebang(str(tmp_path)) is None
    assert read_shebang(str(tmp_path / "missing")) is None


@pytest.fixture
def node_project(tmp_path: Path, zig_macho: dict[str, Path]) -> tuple[Path, str]:
    """A `#!/usr/bin/env node` script and a PATH whose `node` is a profiled (linker-signed) Mach-O."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(zig_macho["plain"], bin_dir / "node")
    (bin_dir / "node").chmod(0o755)
    script = write_executable(tmp_path / "bench.js", "#!/usr/bin/env node\nconsole.log(1)\n")
    return script, f"{bin_dir}:/usr/bin:/bin"


def test_env_node_is_stripped_at_env_on_macos(node_project: tuple[Path, str]) -> None:
    script, env_path = node_project
    report = judge_file(str(script), Assumptions("macos"), env_path=env_path)
    assert (report.kind, report.verdict) == ("script", Verdict.STRIPPED)
    assert [hop.path for hop in report.chain] == ["/usr/bin/env", str(script.parent / "bin" / "node")]
    assert [hop.verdict for hop in report.chain] == [Verdict.STRIPPED, Verdict.PROFILED]
    chain = report.reason("chain")
    assert chain is not None and "stripped at /usr/bin/env" in chain.message
    lookup = report.reason("env-lookup")
    assert lookup is not None and f"{script.parent / 'bin' / 'node'} (wins)" in lookup.message


def test_script_chain_in_json(node_project: tuple[Path, str], explain_cli: Cli,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    script, env_path = node_project
    monkeypatch.setenv("PATH", env_path)
    code, out, _ = explain_cli(script, "--target", "macos", "--format", "json", "--no-cache")
    data = json.loads(out)
    assert (code, data["kind"], data["verdict"]) == (1, "script", "stripped")
    assert [(hop["path"], hop["verdict"]) for hop in data["chain"]] == [
        ("/usr/bin/env", "stripped"), (str(script.parent / "bin" / "node"), "profiled")]
    assert data["chain"][1]["kind"] == "mach-o" and data["chain"][1]["slices"][0]["arch"] == "arm64"


def test_env_lookup_that_finds_nothing_is_unknown(tmp_path: Path) -> None:
    script = write_executable(tmp_path / "x", "#!/usr/bin/env no-such-interpreter-here\n")
    report = judge_file(str(script), Assumptions("linux"), env_path=str(tmp_path))
    assert report.verdict == Verdict.UNKNOWN
    assert report.chain[-1].reason("missing") is not None


def test_linux_script_through_a_static_interpreter_keeps_the_variable(tmp_path: Path) -> None:
    """`ignored` keeps LD_PRELOAD, so the next hop decides: a static env then a dynamic sh is profiled."""
    if shutil.which("gcc") is None or not Path("/bin/sh").exists():
        pytest.skip("needs gcc and /bin/sh")
    import subprocess

    (tmp_path / "env.c").write_text("int main(void) { return 0; }\n")
    static_env = tmp_path / "env"
    if subprocess.run(["gcc", "-static", str(tmp_path / "env.c"), "-o", str(static_env)],
                      check=False, capture_output=True).returncode != 0:
        pytest.skip("gcc -static unavailable")
    script = write_executable(tmp_path / "run", f"#!{static_env} sh\n")
    report = judge_file(str(script), Assumptions("linux"), env_path="/bin:/usr/bin")
    assert [hop.verdict for hop in report.chain] == [Verdict.IGNORED, Verdict.PROFILED]
    assert report.verdict == Verdict.PROFILED


def test_nested_scripts_are_flattened_into_kernel_order(tmp_path: Path) -> None:
    inner = write_executable(tmp_path / "inner", "#!/bin/sh\n")
    outer = write_executable(tmp_path / "outer", f"#!{inner}\n")
    report = judge_file(str(outer), Assumptions("linux"))
    assert [hop.kind for hop in report.chain] == ["elf"]
    assert report.chain[0].path == "/bin/sh"


def test_interpreter_loop_ends_as_unknown(tmp_path: Path) -> None:
    looping = write_executable(tmp_path / "loop", f"#!{tmp_path / 'loop'}\n")
    report = judge_file(str(looping), Assumptions("linux"))
    assert report.verdict == Verdict.UNKNOWN
