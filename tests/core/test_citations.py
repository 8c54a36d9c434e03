"""The code cites what a reader of this repository can open: no path outside it, no number of our own issues,
and every `*.md` (with its `#anchor`) it names exists here.

Third-party references (`plasma-umass/scalene#537`, `yabai#850`) name their project, so they stay allowed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("sipdoctor", "native", "rules")
SUFFIXES = {".py", ".c", ".h", ".yml", ".yaml", ".sh", ".toml"}
FORBIDDEN = {
    "a path outside the repository": re.compile(r"(?:\.\./)*\bshared/(?:reference|data|fixtures)\b|\.\./shared\b"),
    "an issue number": re.compile(r"\b(?:issues?|PR|pull request)\s*#?\d+", re.IGNORECASE),
    "a bare `#N` (an issue of ours)": re.compile(r"(?:^|[\s(\[])#\d+\b", re.MULTILINE),
    "a numbered section of a document outside the repository": re.compile(r"§\s*\d"),
}
MARKDOWN = re.compile(r"(?<![\w/.-])(?P<path>[\w./-]+\.md)(?:#(?P<anchor>[\w-]+))?")
ANCHOR_ID = re.compile(r"""<a id=["'](?P<id>[\w-]+)["']""")


def scanned_files() -> list[Path]:
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts)


def problems_in(text: str, repo_files: set[str], anchors: dict[str, set[str]]) -> list[str]:
    found = [f"{what}: `{m.group(0).strip()}`" for what, pattern in FORBIDDEN.items() for m in pattern.finditer(text)]
    for m in MARKDOWN.finditer(text):
        target = _resolve(m.group("path"), repo_files)
        if target is None:
            found.append(f"a document not in the repository: `{m.group(0)}`")
        elif m.group("anchor") and m.group("anchor") not in anchors.setdefault(target, _anchors(ROOT / target)):
            found.append(f"no section `#{m.group('anchor')}` in {target}")
    return found


def _resolve(path: str, repo_files: set[str]) -> str | None:
    path = re.sub(r"^(?:\.\./|\./)+", "", path)
    return next((f for f in sorted(repo_files) if f == path or f.endswith("/" + path)), None)


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors and explicit `<a id>`s."""
    text = doc.read_text(encoding="utf-8")
    headings = (re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in text.splitlines() if line.startswith("#"))
    return {*headings, *(m.group("id") for m in ANCHOR_ID.finditer(text))}


@pytest.fixture(scope="module")
def repo_files() -> set[str]:
    relative = (p.relative_to(ROOT) for p in ROOT.rglob("*.md"))
    return {str(p) for p in relative if not any(part.startswith(".") or part == "node_modules" for part in p.parts)}


def test_the_code_cites_only_what_the_repository_holds(repo_files: set[str]) -> None:
    anchors: dict[str, set[str]] = {}
    found = [f"{path.relative_to(ROOT)}: {problem}" for path in scanned_files()
             for problem in problems_in(path.read_text(encoding="utf-8", errors="replace"), repo_files, anchors)]
    assert found == []


@pytest.mark.parametrize("text", [
    "(shared/reference/macos-injection-facts.md 1.1)", "see ../shared/reference/peers.md", "shared/data/x.tsv",
    "# the contract of issue 3", "(issue #4 relies on this)", "fixed in #12.", "(facts §1.5)",
    "docs/macos-facts.md#no-such-section", "peers.md section 4",
])
def test_each_kind_of_outside_reference_is_caught(text: str, repo_files: set[str]) -> None:
    assert problems_in(text, repo_files, {}) != []


@pytest.mark.parametrize("text", [
    "(plasma-umass/scalene#537)", "reported not to take effect (yabai#850)", "docs/macos-facts.md#prune",
    "docs/macos-facts.md#verdicts", "sipdoctor/data/macos-system-binaries.md", "0x80 # bit 7", "README.md",
])
def test_references_a_reader_can_open_pass(text: str, repo_files: set[str]) -> None:
    assert problems_in(text, repo_files, {}) == []
