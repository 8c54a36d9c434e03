"""The package-level import graph of sipdoctor/ follows docs/ARCHITECTURE.md: no cycle, no direction the doc's
table does not allow. The table is read from the doc itself, so the two cannot drift apart."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "sipdoctor"
DOC = REPO / "docs" / "ARCHITECTURE.md"
TABLE_HEADER = "| folder / module | one idea | may import |"
EVERY_ROW_ABOVE = "every row above"


@dataclass(frozen=True)
class Import:
    source: str  # the importing unit: a top-level module or package of sipdoctor
    target: str
    where: str  # file:line


def allowed_imports(doc: str) -> dict[str, list[str]]:
    """unit -> the units it may import, in the table's order (`x.py` and `x/` are both unit `x`)."""
    lines = doc.splitlines()
    start = lines.index(TABLE_HEADER) + 2  # skip the header and the |---| line
    table: dict[str, list[str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = _unit(cells[0])
        may = cells[-1]
        table[name] = list(table) if may == EVERY_ROW_ABOVE else [_unit(m) for m in re.findall(r"`([^`]+)`", may)]
    return table


def _unit(cell: str) -> str:
    return cell.strip("`").removesuffix("/").removesuffix(".py")


def imports_of(package: Path) -> Iterator[Import]:
    """Every import of a sipdoctor module from a module of the package: module level, under TYPE_CHECKING,
    inside functions, and `importlib.import_module("sipdoctor....")` with a literal (or f-string) prefix."""
    units = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        source = relative.parts[0].removesuffix(".py")
        module = [package.name, *relative.with_suffix("").parts]
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            targets = {parts[1] for parts in (name.split(".") for name in _imported_names(
                node, module, relative.name == "__init__.py")) if parts[0] == package.name and len(parts) > 1}
            for target in sorted(targets & units - {source}):
                yield Import(source, target, f"{package.name}/{relative}:{getattr(node, 'lineno', 0)}")


def _imported_names(node: ast.AST, module: list[str], is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module if is_package else module[:-1]
            base = base[: len(base) - node.level + 1]
            origin = ".".join([*base, *([node.module] if node.module else [])])
        else:
            origin = node.module or ""
        return [origin, *(f"{origin}.{alias.name}" for alias in node.names)]
    if isinstance(node, ast.Call) and _called_name(node.func) == "import_module" and node.args:
        first = node.args[0]
        if isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
            first = first.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    return []


def _called_name(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def violations(package: Path, table: dict[str, list[str]]) -> list[str]:
    problems: list[str] = []
    present = {p.stem for p in package.glob("*.py") if p.name != "__init__.py"}
    present |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    problems += [f"{unit}: not in the table of docs/ARCHITECTURE.md" for unit in sorted(present - set(table))]
    graph: dict[str, set[str]] = {}
    for imp in imports_of(package):
        graph.setdefault(imp.source, set()).add(imp.target)
        if imp.source in table and imp.target not in table[imp.source]:
            problems.append(f"{imp.where}: {imp.source} imports {imp.target}, which the table does not allow")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each unit that is on one (depth-first search)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(unit: str, stack: list[str]) -> None:
        if unit in stack:
            cycle = [*stack[stack.index(unit):], unit]
            if not done.intersection(cycle):
                found.append(cycle)
            return
        if unit in done:
            return
        for target in sorted(graph.get(unit, ())):
            visit(target, [*stack, unit])
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, [])
    return found


def test_the_table_is_layered_each_row_imports_only_rows_above_it() -> None:
    table = allowed_imports(DOC.read_text("utf-8"))
    assert {"commands", "sources", "chains", "project", "render", "cli", "schemas", "machines", "reinject"} <= set(
        table)
    order = list(table)
    upward = [f"{unit} may import {target}, which is not above it" for unit, targets in table.items()
              for target in targets if target not in order[: order.index(unit)]]
    assert upward == []


def test_sipdoctor_imports_follow_docs_architecture() -> None:
    assert violations(PACKAGE, allowed_imports(DOC.read_text("utf-8"))) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "sipdoctor"


def test_a_wrong_direction_a_hidden_cycle_and_an_unlisted_package_are_reported(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "sipdoctor/__init__.py": "",
        "sipdoctor/model.py": "def f():\n    from sipdoctor.binaries import judge\n",  # function-local
        "sipdoctor/binaries/__init__.py": "",
        "sipdoctor/binaries/judge.py": "from ..model import Verdict\nfrom sipdoctor import render\n",
        "sipdoctor/render/__init__.py": "import importlib\nimportlib.import_module(f'sipdoctor.extra.{1}')\n",
        "sipdoctor/extra/__init__.py": "",
    })
    table = allowed_imports(f"{TABLE_HEADER}\n|---|---|---|\n| `model.py` | x | — |\n| `binaries/` | x | `model` |\n"
                            f"| `render/` | x | {EVERY_ROW_ABOVE} |\n")
    assert table == {"model": [], "binaries": ["model"], "render": ["model", "binaries"]}
    problems = violations(package, table)
    assert problems == [
        "extra: not in the table of docs/ARCHITECTURE.md",
        "sipdoctor/binaries/judge.py:2: binaries imports render, which the table does not allow",
        "sipdoctor/model.py:2: model imports binaries, which the table does not allow",
        "sipdoctor/render/__init__.py:2: render imports extra, which the table does not allow",
        "import cycle: binaries -> model -> binaries",
    ]


@pytest.mark.parametrize(("line", "edges"), [
    ("from sipdoctor import __version__", []), ("import os", []), ("from . import sibling", ["sibling"]),
    ("import sipdoctor.sibling as s", ["sibling"]),
    ("if TYPE_CHECKING:\n    from sipdoctor.sibling import X", ["sibling"]),
])
def test_what_counts_as_an_import_of_another_unit(tmp_path: Path, line: str, edges: list[str]) -> None:
    package = _write(tmp_path, {"sipdoctor/__init__.py": "__version__ = '0'\n", "sipdoctor/cli.py": f"{line}\n",
                                "sipdoctor/sibling.py": ""})
    assert [i.target for i in imports_of(package)] == edges
