"""Package-manager options that run a script in other packages of a workspace (sipdoctor.sources.workspaces):

- pnpm: `-r`/`--recursive` (every package but the root, those without the script skipped), `--filter`/`-F`
  (repeatable), `-C`/`--dir DIR`, `-w`/`--workspace-root`; only before the script's name (pnpm passes what
  follows the name to the script).
- npm: `-w`/`--workspace NAME|PATH` (repeatable) and `--workspaces`/`--ws` (every package), anywhere before
  `--`.
- yarn: `yarn workspace NAME ...` (the command in that package), `yarn workspaces foreach ... run NAME`
  (yarn 2+) and `yarn workspaces run NAME` (yarn 1): every package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sipdoctor.sources.workspaces import find_workspace_root, select_packages, workspace_packages

PNPM_VALUE_FLAGS = {"--workspace-concurrency", "--reporter", "--resume-from", "--changed-files-ignore-pattern",
                    "--test-pattern"}
YARN_FOREACH_VALUE_FLAGS = {"--include", "--exclude", "-j", "--jobs", "--from", "--since"}


@dataclass
class WorkspaceRun:
    directories: list[Path]
    args: list[str]
    """The command's arguments without the options that chose the packages."""
    notes: list[str] = field(default_factory=list)


def workspace_run(tool: str, args: list[str], cwd: Path) -> WorkspaceRun | None:
    """Where the command runs when its options name workspace packages (None: where it was started)."""
    if tool == "pnpm":
        return _pnpm(args, cwd)
    if tool == "npm":
        return _npm(args, cwd)
    if tool == "yarn":
        return _yarn(args, cwd)
    return None


def _pnpm(args: list[str], cwd: Path) -> WorkspaceRun | None:
    filters: list[str] = []
    recursive = root_only = False
    directory: str | None = None
    rest: list[str] = []
    while args:
        arg = args.pop(0)
        name, has_value, value = arg.partition("=")
        if arg == "--" or (not arg.startswith("-") and arg not in ("run", "run-script")):
            rest += [arg, *args]
            break
        if name in ("--filter", "-F", "-C", "--dir") and (has_value or args):
            value = value if has_value else args.pop(0)
            if name in ("-C", "--dir"):
                directory = value
            else:
                filters.append(value)
        elif arg in ("-r", "--recursive"):
            recursive = True
        elif arg in ("-w", "--workspace-root"):
            root_only = True
        elif name in PNPM_VALUE_FLAGS and not has_value and args:
            args.pop(0)
        else:
            rest.append(arg)
    if directory is not None and not (filters or recursive or root_only):
        return WorkspaceRun([cwd / directory], rest)
    if not (filters or recursive or root_only):
        return None
    return _selected(cwd / (directory or "."), filters, rest, root_only, "pnpm")


def _npm(args: list[str], cwd: Path) -> WorkspaceRun | None:
    selectors: list[str] = []
    every = False
    rest: list[str] = []
    while args:
        arg = args.pop(0)
        name, has_value, value = arg.partition("=")
        if arg == "--":
            rest += [arg, *args]
            break
        if name in ("-w", "--workspace") and (has_value or args):
            selectors.append(value if has_value else args.pop(0))
        elif arg in ("--workspaces", "--ws"):
            every = True
        else:
            rest.append(arg)
    if not (selectors or every):
        return None
    return _selected(cwd, [] if every else selectors, rest, False, "npm")


def _yarn(args: list[str], cwd: Path) -> WorkspaceRun | None:
    if args[:1] == ["workspace"] and len(args) > 2:
        found = _selected(cwd, [args[1]], args[2:], False, "yarn workspace")
        if found is not None and not found.directories:
            found.notes.append(f"yarn workspace: no package named `{args[1]}`")
        return found
    if args[:2] == ["workspaces", "foreach"]:
        rest = args[2:]
        while rest and rest[0].startswith("-"):
            flag = rest.pop(0)
            if flag in YARN_FOREACH_VALUE_FLAGS and rest:
                rest.pop(0)
        return _selected(cwd, [], rest, False, "yarn workspaces foreach")
    if args[:2] == ["workspaces", "run"]:
        return _selected(cwd, [], args[1:], False, "yarn workspaces")
    return None


def _selected(start: Path, selectors: list[str], rest: list[str], root_only: bool, how: str) -> WorkspaceRun | None:
    root = find_workspace_root(start)
    if root is None:
        return WorkspaceRun([], rest, [f"{how}: no workspace (pnpm-workspace.yaml or package.json `workspaces`) "
                                       f"at or above {start}"])
    if root_only:
        return WorkspaceRun([root], rest)
    chosen, note = select_packages(root, workspace_packages(root), selectors)
    return WorkspaceRun(chosen, rest, [note] if note else [])
