"""The condition language of the rules: a small, safe subset of Python expression syntax.

    sip.dyld_env_stripping and not host.ci
    item.source == "package.json" and any(h.verdict == "stripped" for h in item.hops)
    "after " + item.cause if item.cause else ""
    "brew" in toolchains and startswith(item.path, "/usr/bin/")

Parsed with `ast` (so syntax errors have a column) and interpreted by a walker: no eval, no attribute access on
Python objects, only names, dotted paths into JSON-like facts, literals, comparisons, boolean logic, `x if c else
y`, `+` on strings, lists and numbers, a few functions, and generator expressions inside any/all/count/first/
select. A missing fact is None, so rules can test facts that a host does not collect (`sip` is None on Linux).
"""

from __future__ import annotations

import ast
import os.path
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class ExprError(ValueError):
    """Bad condition syntax or an unknown name/function; `column` is 1-based when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


MATCH_SECONDS = 0.5
"""How long one matches() may run: a backtracking pattern from a project's rule file must not hang check."""


class EvalError(ValueError):
    """A rule expression that cannot be evaluated (a bad pattern, an argument of the wrong type)."""


def _regex(value: Any, pattern: Any) -> bool:
    import regex

    if not isinstance(value, str):
        return False
    try:
        return regex.search(str(pattern), value, timeout=MATCH_SECONDS) is not None
    except regex.error as exc:
        raise EvalError(f"matches(): bad pattern {pattern!r}: {exc}") from None
    except TimeoutError:
        raise EvalError(f"matches(): pattern {pattern!r} ran for more than {MATCH_SECONDS:g} s (it backtracks)") \
            from None


def _join(items: Any, separator: Any = ", ") -> str:
    if not isinstance(separator, str):
        raise EvalError(f"join(): the separator must be a string, not {separator!r}")
    return separator.join(str(x) for x in items) if isinstance(items, list) else ""


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda x: len(x) if isinstance(x, (list, dict, str)) else 0,
    "startswith": lambda s, p: isinstance(s, str) and s.startswith(p),
    "endswith": lambda s, p: isinstance(s, str) and s.endswith(p),
    "matches": _regex,
    "basename": lambda s: os.path.basename(s) if isinstance(s, str) else None,
    "dirname": lambda s: os.path.dirname(s) if isinstance(s, str) else None,
    "lower": lambda s: s.lower() if isinstance(s, str) else s,
    "join": _join,
    "default": lambda x, d: d if x is None else x,
    "text": lambda x: "" if x is None else str(x),
    "tail": lambda xs, n: xs[n:] if isinstance(xs, list) and isinstance(n, int) else [],
    "shjoin": lambda xs: shlex.join(str(x) for x in xs) if isinstance(xs, list) else "",
}
QUANTIFIERS = ("any", "all", "count", "first", "select")

COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: lambda a, b: _ordered(a, b) and bool(a < b),
    ast.LtE: lambda a, b: _ordered(a, b) and bool(a <= b),
    ast.Gt: lambda a, b: _ordered(a, b) and bool(a > b),
    ast.GtE: lambda a, b: _ordered(a, b) and bool(a >= b),
    ast.In: lambda a, b: _contains(b, a),
    ast.NotIn: lambda a, b: not _contains(b, a),
    ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b,
}


def _ordered(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))


def _contains(container: Any, value: Any) -> bool:
    if isinstance(container, (list, tuple, dict)):
        return value in container
    if isinstance(container, str) and isinstance(value, str):
        return value in container
    return False


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.Expression
    names: frozenset[str]
    """Free names the expression reads (fact roots), for validation against the known roots."""

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        return _Evaluator(scope).visit(self.tree.body)

    def test(self, scope: Mapping[str, Any]) -> bool:
        return bool(self.evaluate(scope))


MAX_SOURCE = 10_000


def parse(source: str) -> Expression:
    if len(source) > MAX_SOURCE:
        raise ExprError(f"a condition is limited to {MAX_SOURCE:,} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
        names = _check(tree.body, frozenset())
    except SyntaxError as exc:
        raise ExprError(f"bad condition syntax: {exc.msg}", exc.offset) from None
    except (RecursionError, MemoryError):
        raise ExprError("the condition is nested too deeply") from None
    return Expression(source, tree, names)


ALLOWED = (
    ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Attribute, ast.Subscript, ast.Constant,
    ast.List, ast.Tuple, ast.Call, ast.IfExp, ast.GeneratorExp, ast.BinOp,
)


def _check(node: ast.expr, bound: frozenset[str]) -> frozenset[str]:
    """Reject what the language does not have; return the free names."""
    col = getattr(node, "col_offset", None)
    where = col + 1 if col is not None else None
    if not isinstance(node, ALLOWED):
        raise ExprError(f"'{type(node).__name__}' is not allowed in a condition", where)
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.Not, ast.USub)):
        raise ExprError("only 'not' and unary minus are allowed", where)
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
        raise ExprError("only '+' (joining strings or lists, adding numbers) is allowed", where)
    if isinstance(node, ast.Name):
        return frozenset() if node.id in bound or node.id in ("true", "false", "null") else frozenset({node.id})
    if isinstance(node, ast.Call):
        return _check_call(node, bound, where)
    if isinstance(node, ast.GeneratorExp):
        raise ExprError("a generator is only allowed as the argument of any/all/count/first/select", where)
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ExprError(f"'{node.attr}': names starting with '_' are not allowed", where)
    names: frozenset[str] = frozenset()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            names |= _check(child, bound)
    return names


def _check_call(node: ast.Call, bound: frozenset[str], where: int | None) -> frozenset[str]:
    if not isinstance(node.func, ast.Name):
        raise ExprError("only plain function names can be called", where)
    name = node.func.id
    if node.keywords:
        raise ExprError(f"{name}(): keyword arguments are not allowed", where)
    if name in QUANTIFIERS:
        if len(node.args) != 1 or not isinstance(node.args[0], ast.GeneratorExp):
            raise ExprError(f"{name}() takes one generator: {name}(x.field == 1 for x in list)", where)
        return _check_generator(node.args[0], bound)
    if name not in FUNCTIONS:
        known = ", ".join(sorted([*FUNCTIONS, *QUANTIFIERS]))
        raise ExprError(f"unknown function '{name}' (known: {known})", where)
    names: frozenset[str] = frozenset()
    for arg in node.args:
        names |= _check(arg, bound)
    return names


def _check_generator(gen: ast.GeneratorExp, bound: frozenset[str]) -> frozenset[str]:
    if len(gen.generators) != 1 or not isinstance(gen.generators[0].target, ast.Name):
        raise ExprError("a generator takes exactly one 'for NAME in ...'", gen.col_offset + 1)
    comp = gen.generators[0]
    assert isinstance(comp.target, ast.Name)
    names = _check(comp.iter, bound)
    inner = bound | {comp.target.id}
    for cond in [gen.elt, *comp.ifs]:
        names |= _check(cond, inner)
    return names


class _Evaluator:
    def __init__(self, scope: Mapping[str, Any]) -> None:
        self.scope = scope

    def visit(self, node: ast.expr) -> Any:
        method: Callable[[Any], Any] = getattr(self, f"_{type(node).__name__}")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        literals = {"true": True, "false": False, "null": None}
        return self.scope[node.id] if node.id in self.scope else literals.get(node.id)

    def _Attribute(self, node: ast.Attribute) -> Any:
        base = self.visit(node.value)
        return base.get(node.attr) if isinstance(base, Mapping) else None

    def _Subscript(self, node: ast.Subscript) -> Any:
        base, key = self.visit(node.value), self.visit(node.slice)
        if isinstance(base, Mapping):
            return base.get(key)
        if isinstance(base, list) and isinstance(key, int) and -len(base) <= key < len(base):
            return base[key]
        return None

    def _List(self, node: ast.List) -> Any:
        return [self.visit(e) for e in node.elts]

    _Tuple = _List

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            return all(self.visit(v) for v in node.values)
        return any(self.visit(v) for v in node.values)

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(value, (int, float)) else None

    def _BinOp(self, node: ast.BinOp) -> Any:
        left: Any = self.visit(node.left)
        right: Any = self.visit(node.right)
        numbers = (int, float)
        same = any(isinstance(left, kind) and isinstance(right, kind) for kind in (str, list))
        if same or (isinstance(left, numbers) and isinstance(right, numbers)):
            return left + right
        return None

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            if not COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def _Call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if name in QUANTIFIERS:
            assert isinstance(node.args[0], ast.GeneratorExp)
            return self._quantify(name, node.args[0])
        return FUNCTIONS[name](*(self.visit(a) for a in node.args))

    def _quantify(self, name: str, gen: ast.GeneratorExp) -> Any:
        comp = gen.generators[0]
        assert isinstance(comp.target, ast.Name)
        items = self.visit(comp.iter)
        results = list(self._generate(comp.target.id, items if isinstance(items, list) else [], comp.ifs, gen.elt))
        if name == "any":
            return any(value for _, value in results)
        if name == "all":
            return all(value for _, value in results)
        if name == "count":
            return sum(1 for _, value in results if value)
        matching = [item for item, value in results if value]
        if name == "first":
            return matching[0] if matching else None
        return matching

    def _generate(
        self, var: str, items: Iterable[Any], ifs: list[ast.expr], elt: ast.expr
    ) -> Iterable[tuple[Any, Any]]:
        for item in items:
            inner = _Evaluator({**self.scope, var: item})
            if all(inner.visit(cond) for cond in ifs):
                yield item, inner.visit(elt)
