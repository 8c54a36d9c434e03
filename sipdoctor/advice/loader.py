"""Find and load rule files: built-in `rules/`, the user's rules directory, then `--rules PATH` (later wins)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sipdoctor.advice.schema import Rule, build_rule
from sipdoctor.advice.yamlsrc import load_yaml
from sipdoctor.errors import RuleError
from sipdoctor.sources.yamlines import LineDict

RULE_SUFFIXES = (".yml", ".yaml")


def builtin_rules_dir() -> Path:
    """`sipdoctor/_rules` in an installed wheel; the repository's `rules/` in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleError("the built-in rules are missing from this installation (reinstall sipdoctor)")


def user_rules_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("sipdoctor")) / "rules"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    overridden: tuple[str, ...] = ()
    """`ID (source) overrides earlier ID (source)` notes, for `rules list`."""

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def load_file(path: Path) -> list[Rule]:
    """All rules in one file; duplicate IDs within the file are an error."""
    data = load_yaml(path)
    if not isinstance(data, LineDict) or set(data) != {"rules"}:
        found = ", ".join(map(repr, data)) if isinstance(data, dict) else "no mapping"
        raise RuleError(f"a rule file is a mapping with one key, 'rules' (found {found})", path=path, line=1)
    entries = data["rules"]
    if not isinstance(entries, list):
        raise RuleError("'rules' must be a list of rules", path=path, line=data.key_lines["rules"])
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for entry in entries:
        rule = build_rule(entry, path)
        if rule.id in seen:
            line = rule.source.rsplit(":", 1)[1]
            raise RuleError(f"duplicate rule ID {rule.id} (first at {seen[rule.id]})", path=path, line=int(line))
        seen[rule.id] = rule.source
        rules.append(rule)
    return rules


def rule_files(location: Path) -> list[Path]:
    """A rule file, or the *.yml/*.yaml files of a directory in name order."""
    try:
        if location.is_dir():
            return sorted(p for p in location.iterdir() if p.suffix in RULE_SUFFIXES and not p.name.startswith("."))
        if not location.exists() and not location.is_symlink():
            raise RuleError("no such rule file or directory", path=location)
    except (OSError, ValueError) as exc:  # permission denied, a symlink loop, a NUL byte in the name
        raise RuleError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", path=location) from None
    return [location]


def _present(folder: Path) -> bool:
    """A directory that exists, or one that cannot even be looked at (its error then names it)."""
    try:
        return folder.is_dir()
    except OSError:
        return True


def load_rules(extra: Sequence[Path] = (), *, include_user: bool = True) -> RuleSet:
    sources: list[Path] = [builtin_rules_dir()]
    if include_user and _present(user_rules_dir()):
        sources.append(user_rules_dir())
    sources.extend(extra)
    return merge(load_file(f) for src in sources for f in rule_files(src))


def merge(batches: Iterable[list[Rule]]) -> RuleSet:
    by_id: dict[str, Rule] = {}
    notes: list[str] = []
    for batch in batches:
        for rule in batch:
            if rule.id in by_id:
                notes.append(f"{rule.id} ({rule.source}) overrides {by_id[rule.id].source}")
            by_id[rule.id] = rule
    return RuleSet(tuple(sorted(by_id.values(), key=lambda r: r.id)), tuple(notes))
