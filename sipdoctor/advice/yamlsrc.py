"""Loading one rule file: safe YAML with the line of each mapping and key, refusing duplicate keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sipdoctor.errors import RuleError
from sipdoctor.sources.files import Unreadable, read_text
from sipdoctor.sources.yamlines import BadKey, load_yaml_with_lines

RULE_FILE_BYTES = 4 * 1024 * 1024


def load_yaml(path: Path) -> Any:
    """Parse one YAML file with the safe loader; any problem is a RuleError naming the file and line."""
    try:
        text = read_text(path, limit=RULE_FILE_BYTES, whole=True)
    except Unreadable as exc:
        raise RuleError(str(exc)) from None
    try:
        return load_yaml_with_lines(text, strict_keys=True)
    except BadKey as exc:
        raise RuleError(str(exc), path=path, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # "got <stream end>": point at what was left open
        line = mark.line + 1 if mark else None
        raise RuleError(f"bad YAML: {exc.problem or exc.context}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise RuleError(f"bad YAML: {exc}", path=path) from None
    except RecursionError:
        raise RuleError("bad YAML: nested too deeply to read", path=path) from None
