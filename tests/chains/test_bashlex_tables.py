"""bashlex with cached parse tables parses exactly as bashlex building its own tables does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LINES = [
    "a && b | c", "for i in $(seq 3); do /bin/true; done", "x=1 y=2 cmd > out 2>&1 || echo hi",
    "(cd a; make) & wait", "if [ -f x ]; then a; else b; fi", 'echo `date` "$(ls)"', "f() { g; }; f",
    "a; b; c &", "! a && b", "npm run build && node bench.js --iterations=3", "cat <<EOF\nhi\nEOF",
    "while true; do sleep 1; done", "{ a; b; } > log", "echo $((1+2))", "case $x in a) b;; esac", "a |",
    "time python -m pytest -k 'not slow' | tee out.txt",
]
DUMP = """
import sys
{load}
for line in {lines!r}:
    try:
        print("\\n".join(tree.dump() for tree in bashlex.parse(line)))
    except Exception as exc:
        print("error:", type(exc).__name__, exc)
"""
CACHED = "from sipdoctor.chains.bashlex_tables import load_bashlex\nbashlex = load_bashlex()"


def dump(load: str, cache: Path) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    code = DUMP.format(load=load, lines=LINES)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def tables(cache: Path) -> list[Path]:
    return list((cache / "sipdoctor").glob("bashlex-tables-*.marshal"))


def test_built_then_loaded_tables_parse_as_bashlex_does(tmp_path: Path) -> None:
    plain = dump("import bashlex", tmp_path)
    assert "CommandNode" in plain and "error: NotImplementedError" in plain
    assert dump(CACHED, tmp_path) == plain  # builds the tables and saves them
    assert len(tables(tmp_path)) == 1
    assert dump(CACHED, tmp_path) == plain  # loads them


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    plain = dump("import bashlex", tmp_path)
    dump(CACHED, tmp_path)
    (saved,) = tables(tmp_path)
    for damage in (b"", b"\x00garbage", __import__("marshal").dumps(([("x", 1, "p_nothing", "x")], {}, {}))):
        saved.write_bytes(damage)
        assert dump(CACHED, tmp_path) == plain
