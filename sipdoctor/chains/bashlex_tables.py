"""bashlex with its parse tables built once per installation instead of once per process.

bashlex builds its LALR tables from the grammar when `bashlex.parser` is imported (about 0.1 s of CPU, paid by
every `trace` and by `check` on any project whose commands use `&&` or a pipe). The tables depend only on the
grammar, so the first build is saved (marshal) under the user's cache directory, keyed by the bytes of
bashlex's grammar and table builder and the Python version; later processes load them and bind the same
grammar functions. The parser object is the one bashlex builds (yacc.LRParser): the parses are the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

CACHE_FORMAT = 1


def load_bashlex() -> ModuleType:
    """`import bashlex`, with the parse tables from the cache when they are there.

    bashlex's __init__ imports its parser, which builds the tables, so the package is created first without
    running __init__, its yacc module imported and its table builder wrapped, then __init__ run."""
    if "bashlex" in sys.modules:
        return sys.modules["bashlex"]
    spec = importlib.util.find_spec("bashlex")
    if spec is None or spec.loader is None:
        raise ImportError("bashlex is not installed")
    package = importlib.util.module_from_spec(spec)
    sys.modules["bashlex"] = package
    try:
        yacc: Any = importlib.import_module("bashlex.yacc")
        real_yacc = yacc.yacc
        yacc.yacc = _CachedYacc(real_yacc, yacc)
        try:
            spec.loader.exec_module(package)
        finally:
            yacc.yacc = real_yacc
    except BaseException:
        for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
            del sys.modules[name]
        raise
    return package


class _CachedYacc:
    def __init__(self, real: Any, yacc: ModuleType) -> None:
        self.real, self.yacc = real, yacc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module = sys.modules["bashlex.parser"]  # being imported: its grammar functions are all defined
        path = _cache_path(module)
        tables = _read(path) if path is not None else None
        if tables is not None:
            with contextlib.suppress(ValueError, TypeError, KeyError):  # a damaged cache: build again
                return self._parser(tables, vars(module))
        parser = self.real(*args, module=module, **kwargs)
        if path is not None:  # copied now: bashlex.parser patches a few actions after this returns
            _write(path, ([(p.name, p.len, p.func, p.str) for p in parser.productions],
                          {state: dict(row) for state, row in parser.action.items()},
                          {state: dict(row) for state, row in parser.goto.items()}))
        return parser

    def _parser(self, tables: Any, functions: dict[str, Any]) -> Any:
        productions, action, goto = tables
        table = _Tables([_Production(name, length, func, text, functions)
                         for name, length, func, text in productions], action, goto)
        return self.yacc.LRParser(table, functions.get("p_error"))


class _Production:
    """What yacc.LRParser.parse reads of a grammar production."""

    def __init__(self, name: str, length: int, func: str | None, text: str, functions: dict[str, Any]) -> None:
        self.name, self.len, self.func, self.str = name, length, func, text
        self.callable = functions[func] if func else None


class _Tables:
    def __init__(self, productions: list[_Production], action: dict[int, Any], goto: dict[int, Any]) -> None:
        self.lr_productions, self.lr_action, self.lr_goto = productions, action, goto


def _cache_path(module: ModuleType) -> Path | None:
    from platformdirs import user_cache_dir

    digest = hashlib.sha256(f"{CACHE_FORMAT} {sys.version}".encode())
    try:
        for source in (module.__file__, sys.modules["bashlex.yacc"].__file__):
            digest.update(Path(str(source)).read_bytes())
    except OSError:
        return None
    return Path(user_cache_dir("sipdoctor")) / f"bashlex-tables-{digest.hexdigest()[:20]}.marshal"


def _read(path: Path) -> Any:
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, tables: Any) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_bytes(marshal.dumps(tables))
        os.replace(partial, path)
