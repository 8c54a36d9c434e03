"""YAML loading that remembers the line of every mapping key, for facts that name file and line."""

from __future__ import annotations

from typing import Any


class LineDict(dict[str, Any]):
    """A mapping from YAML with `lines[key]` = the 1-based line of that key."""

    lines: dict[str, int]


def load_yaml_with_lines(text: str) -> Any:
    """Parse YAML (safe subset); raises yaml.YAMLError with a problem_mark on malformed input."""
    import yaml

    # libyaml's parser (when installed) is fast on big files and refuses nesting deeper than 1,000 levels
    # with an ordinary YAMLError; the pure-Python one is the fallback.
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def construct(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        result = LineDict()
        result.lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            result[str(key)] = loader.construct_object(value_node, deep=True)
            result.lines[str(key)] = key_node.start_mark.line + 1
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct)
    return yaml.load(text, Loader=Loader)


def yaml_error_line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None
