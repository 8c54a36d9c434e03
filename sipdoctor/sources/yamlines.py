"""YAML loading (the safe subset) that remembers the line of every mapping and of each of its keys."""

from __future__ import annotations

import functools
from typing import Any


class LineDict(dict[str, Any]):
    """A mapping from YAML: `line` is the 1-based line of the mapping, `key_lines[key]` the line of that key."""

    line: int = 0
    key_lines: dict[str, int]


class BadKey(ValueError):
    """A duplicate or non-string key, refused when loading with `strict_keys`."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def load_yaml_with_lines(text: str, *, strict_keys: bool = False) -> Any:
    """Parse YAML; raises yaml.YAMLError (with a problem_mark) on malformed input.

    Keys become strings (`on:` is YAML 1.1's boolean true: key "True") and the last of duplicates wins, the way
    the tools that read these files treat them; with `strict_keys`, such keys raise BadKey instead.
    """
    loader = _loader_class(strict_keys)(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@functools.cache
def _loader_class(strict_keys: bool) -> Any:
    import yaml

    # libyaml's parser, when installed, is fast on big files and refuses nesting deeper than 1,000 levels with
    # an ordinary YAMLError; the pure-Python one is the fallback.
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def construct(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if strict_keys and not isinstance(key, str):
                raise BadKey(f"keys must be strings, not {key!r}", line)
            if strict_keys and key in result:
                raise BadKey(f"duplicate key '{key}'", line)
            result[str(key)] = loader.construct_object(value_node, deep=True)
            result.key_lines[str(key)] = line
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct)
    return Loader


def yaml_error_line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None
