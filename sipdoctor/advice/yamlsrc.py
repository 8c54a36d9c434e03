"""Safe YAML loading that remembers where each mapping and key came from, and refuses duplicate keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sipdoctor.errors import RuleError
from sipdoctor.files import UnreadableFile, read_text


class LocatedDict(dict[str, Any]):
    """A mapping from YAML with the line of the mapping and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


# libyaml's parser when PyYAML was built with it (every wheel is): 10x faster than the pure-Python one, and its
# nodes carry the same line marks.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    out = LocatedDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise RuleError(f"keys must be strings, not {key!r}", path=loader.name, line=key_node.start_mark.line + 1)
        if key in out:
            raise RuleError(f"duplicate key '{key}'", path=loader.name, line=key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file with the safe loader; any problem is a RuleError naming the file and line."""
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise RuleError(str(exc)) from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # "got <stream end>": point at what was left open
        line = mark.line + 1 if mark else None
        raise RuleError(f"bad YAML: {exc.problem or exc.context}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise RuleError(f"bad YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
