"""A JavaScript monorepo's packages and its turbo.json: what `turbo run TASK` runs, and which variables it passes.

- Packages: pnpm-workspace.yaml `packages` (globs, `!` to exclude), else package.json `workspaces` (a list, or
  `{"packages": [...]}`), each a directory holding a package.json.
- turbo.json (or turbo.jsonc: comments and trailing commas allowed): in strict env mode, the default since
  Turborepo 2.0, a task sees only the variables named in `globalEnv`, `globalPassThroughEnv`, and its task's
  `env` and `passThroughEnv` (`*` a wildcard, `!` an exclusion), plus a few of turbo's own (PATH, HOME...): any
  other variable, the profiler's included, is removed (Turborepo docs "Environment modes"; vercel/turborepo
  `turborepo-tests/integration/tests/strict_env_vars`). `--env-mode=loose` passes them all.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sipdoctor.sources.files import Problem, Unreadable, read_text

TURBO_FILES = ("turbo.json", "turbo.jsonc")
MAX_PACKAGES = 2000
MAX_WALKED = 20000


@dataclass
class TurboConfig:
    file: str
    declared: tuple[str, ...] = ()
    """globalEnv and globalPassThroughEnv: passed to every task."""
    tasks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per task name (`bench`, `pkg#bench`): its env and passThroughEnv."""
    env_mode: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def passes(self, variable: str, task: str) -> bool:
        """Whether strict mode passes `variable` to `task` (any package's)."""
        names = [*self.declared, *(n for key, names in self.tasks.items()
                                   if key == task or key.endswith(f"#{task}") for n in names)]
        allowed = any(fnmatch.fnmatchcase(variable, n) for n in names if not n.startswith("!"))
        return allowed and not any(fnmatch.fnmatchcase(variable, n[1:]) for n in names if n.startswith("!"))


def find_turbo_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in TURBO_FILES):
            return directory
    return None


def load_turbo_config(root: Path) -> TurboConfig:
    path = next((root / n for n in TURBO_FILES if (root / n).is_file()), root / TURBO_FILES[0])
    config = TurboConfig(str(path))
    try:
        data = json.loads(_strip_jsonc(read_text(str(path), whole=True)))
    except Unreadable as exc:
        config.problems.append(exc.problem)
        return config
    except (json.JSONDecodeError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        config.problems.append(Problem(str(path), line, f"not valid JSON: {getattr(exc, 'msg', exc)}"))
        return config
    if not isinstance(data, dict):
        return config
    config.declared = _names(data.get("globalEnv")) + _names(data.get("globalPassThroughEnv"))
    tasks = data.get("tasks") if isinstance(data.get("tasks"), dict) else data.get("pipeline")  # turbo 1
    for key, task in (tasks.items() if isinstance(tasks, dict) else ()):
        if isinstance(task, dict):
            config.tasks[str(key)] = _names(task.get("env")) + _names(task.get("passThroughEnv"))
    mode = data.get("envMode")
    config.env_mode = mode if isinstance(mode, str) else None
    return config


def _names(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


JSONC_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (turbo.jsonc) as plain JSON; strings are kept as they are."""
    return JSONC_TOKENS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def workspace_packages(root: Path) -> list[Path]:
    """The monorepo's package directories, in a stable order (their path)."""
    patterns = _workspace_globs(root)
    included = [p for p in patterns if not p.startswith("!")]
    excluded = [p[1:] for p in patterns if p.startswith("!")]
    found: set[Path] = set()
    for pattern in included:
        for candidate in _matching_directories(root, pattern.strip().rstrip("/")):
            if candidate == root or _excluded(candidate.relative_to(root).as_posix(), excluded):
                continue
            if (candidate / "package.json").is_file():
                found.add(candidate)
            if len(found) >= MAX_PACKAGES:
                return sorted(found)
    return sorted(found)


def _excluded(relative: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(relative, p.rstrip("/")) or fnmatch.fnmatch(relative + "/", p) for p in patterns)


def _matching_directories(root: Path, pattern: str) -> list[Path]:
    """The directories a workspace glob names, never looking inside node_modules or a hidden directory (a
    `packages/**` in a repository with installed dependencies would otherwise walk every package of them)."""
    if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
        return []  # a package outside the repository is not one of its packages (and glob refuses "/...")
    if "**" not in pattern:
        return [p for p in root.glob(pattern) if p.is_dir() and "node_modules" not in p.relative_to(root).parts]
    base = root / pattern.split("**", 1)[0].rsplit("/", 1)[0] if "/" in pattern.split("**", 1)[0] else root
    regex = re.compile(fnmatch.translate(pattern.replace("**/", "**")).replace(".*.*", ".*"))
    out: list[Path] = []
    for visited, (directory, names, _) in enumerate(os.walk(base), 1):
        names[:] = [n for n in names if n != "node_modules" and not n.startswith(".")]
        if regex.fullmatch(Path(directory).relative_to(root).as_posix()):
            out.append(Path(directory))
        if visited >= MAX_WALKED:
            break
    return out


def _workspace_globs(root: Path) -> list[str]:
    pnpm = root / "pnpm-workspace.yaml"
    if pnpm.is_file():
        import yaml

        from sipdoctor.sources.yamlines import load_yaml_with_lines

        try:
            data = load_yaml_with_lines(read_text(str(pnpm)))
        except (Unreadable, yaml.YAMLError, RecursionError):  # package.json's list, if any, is the next best
            data = None
        packages = data.get("packages") if isinstance(data, dict) else None
        if isinstance(packages, list):
            return [p for p in packages if isinstance(p, str)]
    try:
        manifest = json.loads(read_text(str(root / "package.json"), whole=True))
    except (Unreadable, json.JSONDecodeError, RecursionError):
        return []
    workspaces = manifest.get("workspaces") if isinstance(manifest, dict) else None
    if isinstance(workspaces, dict):
        workspaces = workspaces.get("packages")
    return [p for p in workspaces if isinstance(p, str)] if isinstance(workspaces, list) else []


def find_workspace_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that declares workspaces (pnpm-workspace.yaml, or a
    package.json with `workspaces`)."""
    for directory in (start, *start.parents):
        if (directory / "pnpm-workspace.yaml").is_file() or (
                (directory / "package.json").is_file() and _workspace_globs(directory)):
            return directory
    return None


def select_packages(root: Path, directories: list[Path], selectors: list[str]) -> tuple[list[Path], str | None]:
    """The packages a set of selectors names, as pnpm's and turbo's `--filter` and npm's `--workspace` read
    them: a package name or a glob of names (`@scope/*`), a directory (`./packages/a`, `{./packages/a}`),
    `!` to exclude. Selectors by dependency (`...`, `^`) or by change (`[...]`) are not followed: every package
    is kept, with a note."""
    if any(re.search(r"\.\.\.|\[|\^", s) for s in selectors):
        return directories, (f"the filter {' '.join(selectors)} selects by dependencies or changes, which "
                             f"sipdoctor does not follow: every package is predicted")
    include = [s for s in selectors if not s.startswith("!")]
    exclude = [s[1:] for s in selectors if s.startswith("!")]
    names = {d: _package_name(d) for d in directories}
    return [d for d in directories if (not include or any(_selects(s, root, d, names[d]) for s in include))
            and not any(_selects(s, root, d, names[d]) for s in exclude)], None


def _selects(selector: str, root: Path, directory: Path, name: str | None) -> bool:
    selector = selector.strip("{}")
    if selector.startswith(".") or ("/" in selector and not selector.startswith("@")):
        relative = directory.relative_to(root).as_posix()
        return fnmatch.fnmatchcase(relative, os.path.normpath(selector).removeprefix("./") or ".")
    return name is not None and fnmatch.fnmatchcase(name, selector)


def _package_name(directory: Path) -> str | None:
    try:
        data = json.loads(read_text(str(directory / "package.json"), whole=True))
    except (Unreadable, json.JSONDecodeError, RecursionError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None
