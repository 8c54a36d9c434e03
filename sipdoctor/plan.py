"""The fix plan: a small set of changes that makes every benchmark command profiled, checked by predicting again.

Starting from the project as it is, each round takes, for every benchmark command that still loses the
profiler, its first stripping hop (its root cause), asks the rules for that cause's remediations, and takes the
first one that can be carried out: a file edit (made on a scratch copy of the project with the same edit code
`--fix` uses), a command line to run instead (predicted instead of the old one), or a command for the person to
run (a toolchain to install: listed, never run; the prediction cannot take it into account, so the step is not
confirmed and the hop is set aside). Then the commands are predicted again on the copy. A step is confirmed when
the new prediction no longer has the hop it was for. The project itself is never written (docs/fix-plan.md).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sipdoctor.advice.engine import evaluate
from sipdoctor.advice.schema import Rule
from sipdoctor.binaries.report import Assumptions
from sipdoctor.model import FileEdit, Finding, Plan, Remediation, Step, Unfixed
from sipdoctor.sources import edits
from sipdoctor.system import System

if TYPE_CHECKING:
    from sipdoctor.machines.base import Machine

MAX_ROUNDS = 8
KIND_ORDER = ("edit", "install", "command", "run-instead")
INSTALL = re.compile(
    r"\b(?:brew|port|apt-get|apt|pyenv|nvm|fnm|volta|asdf|mise|rustup|pipx)\s+install\b|install\.sh"
    r"|\buv\s+python\s+install\b|xcode-select\s+--install|\b(?:pyenv|nvm|fnm)\s+install\b"
)
LINE_COMMANDS = ("package.json", "Makefile")
"""Sources whose command is a line a person types (`npm run bench`, `make bench`): a run-instead line replaces it."""


@dataclass(frozen=True)
class Planning:
    """What the plan needs of `check`: the facts, the active rules, the system, how the project is predicted."""

    facts: dict[str, Any]
    rules: Sequence[Rule]
    system: System
    assumptions: Assumptions
    profiler: str
    benchmarks: Any = None
    """The project's benchmark selection (sipdoctor.project.benchmarks.Selection), passed to the collector."""
    machine: Machine | None = None
    """The machine the commands were judged on (sipdoctor.machines): the plan predicts again on it."""


def compute_plan(planning: Planning) -> Plan:
    from sipdoctor.project.fixes import command_label

    project = planning.facts.get("project") or {}
    losing = [c for c in project.get("commands", []) if c["benchmark"] and _first(c, planning.profiler, set())]
    if not losing:
        return Plan()
    root = Path(project["project"])
    labels = {_key(c, root): command_label(c) for c in losing}
    try:
        with scratch_copy(root) as scratch:
            rounds = _Rounds(planning, scratch, labels)
            rounds.run()
            return rounds.plan(root)
    except OSError as exc:  # no room for the scratch copy, a project entry that vanished meanwhile...
        reason = f"the plan could not be computed: {exc.strerror or exc}"
        return Plan(losing=tuple(labels.values()), unfixed=tuple(Unfixed(label, reason) for label in labels.values()))


class _Rounds:
    def __init__(self, planning: Planning, scratch: Scratch, labels: dict[tuple[Any, ...], str]) -> None:
        self.planning, self.scratch, self.labels = planning, scratch, labels
        self.overrides: dict[tuple[Any, ...], str] = {}
        self.set_aside: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {k: set() for k in labels}
        self.steps: list[Step] = []
        self.unfixed: dict[tuple[Any, ...], str] = {}
        self.tried: set[tuple[tuple[Any, ...], tuple[Any, ...]]] = set()
        self.edited: set[str] = set()
        """Files (as the commands name them) edited in this round."""
        self.rules = [r for r in planning.rules if r.for_each and "project.causes" in r.for_each.source]
        from sipdoctor.chains.context import Judge

        # one judge for every round (each binary is judged once), on the machine the commands were judged on,
        # whose own files include the scratch copy (a model Mac reads the project's files from this disk)
        machine = planning.machine.sharing(str(scratch.root)) if planning.machine is not None else None
        self.judge = Judge(planning.assumptions, machine=machine)
        self.env = self.judge.machine.environment(planning.system.env)

    def run(self) -> None:
        from sipdoctor.project.fixes import flatten_stripped

        for _ in range(MAX_ROUNDS):
            commands = self._predict()
            self._confirm(commands)
            entries = flatten_stripped(list(commands.values()), str(self.scratch.root), self.env.get("PATH"))
            causes = self._causes(commands, entries)
            if not causes:
                break
            self.edited = set()
            for key, entry in causes.items():
                if entry["command"].get("file") in self.edited:
                    continue  # its line numbers moved with this round's edit: predict again first (next round)
                self._resolve(key, entry, entries)
        else:
            for key in self._open(self._predict()):
                self.unfixed.setdefault(key, f"still loses the profiler after {MAX_ROUNDS} rounds of changes")

    def _open(self, commands: dict[tuple[Any, ...], dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [k for k, c in commands.items() if _first(c, self.planning.profiler, self.set_aside[k])]

    def _causes(self, commands: dict[tuple[Any, ...], dict[str, Any]],
                entries: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for key, command in commands.items():
            if key in self.unfixed:
                continue
            hop = _first(command, self.planning.profiler, self.set_aside[key])
            if hop is None:
                continue
            if hop["verdict"] != "stripped":
                self.unfixed[key] = f"the launch aborts at {hop['path']} ({hop['verdict']}): see CHN003"
                continue
            out[key] = next(e for e in entries if e["command"]["name"] == command["name"]
                            and e["command"]["source"] == command["source"] and _hop_id(e) == _hop_id(hop))
        return out

    def _resolve(self, key: tuple[Any, ...], entry: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        if (key, _hop_id(entry)) in self.tried:
            self.unfixed[key] = (f"{entry['path']} ({entry['why']}) is still in the prediction after the change "
                                 "the rules offer for it")
            return
        self.tried.add((key, _hop_id(entry)))
        finding = self._finding(entry, entries)
        if finding is None:
            self.unfixed[key] = f"no rule has a fix for {entry['path']} ({entry['why']})"
            return
        for remedy in finding.remediations:
            step = self._step(key, entry, finding, remedy)
            if step is not None:
                self._add(step, key, entry)
                return
        texts = " ".join(r.text for r in finding.remediations) or "no fix is offered"
        self.unfixed[key] = f"{entry['path']} ({entry['why']}) has no change that sipdoctor can check: {texts}"

    def _finding(self, entry: dict[str, Any], entries: list[dict[str, Any]]) -> Finding | None:
        project = {**self.planning.facts["project"], "stripped": entries,
                   "causes": [{**entry, "commands": [entry["command"]], "label": ""}]}
        found = evaluate(self.rules, {**self.planning.facts, "project": project})
        return next((f for f in found if f.remediations), found[0] if found else None)

    def _step(self, key: tuple[Any, ...], entry: dict[str, Any], finding: Finding,
              remedy: Remediation) -> Step | None:
        label = self.labels[key]
        if remedy.edit is not None:
            edit = remedy.edit
            if not self.scratch.apply(edit):
                return None
            self.edited.add(entry["command"].get("file"))
            return Step(finding.rule, "edit", remedy.text, {"edit": edit.to_json(), "describe": edit.describe()},
                        [label], False, entry["path"], edit)
        if remedy.run_instead and entry["command"]["source"] in LINE_COMMANDS and entry.get("top_level"):
            old = self.overrides.get(key, entry["command"]["run_as"])
            self.overrides[key] = remedy.run_instead
            return Step(finding.rule, "run-instead", remedy.text, {"command": old, "run_instead": remedy.run_instead},
                        [label], False, entry["path"])
        if remedy.command:
            kind = "install" if INSTALL.search(remedy.command) else "command"
            self.set_aside[key].add(_hop_id(entry))
            return Step(finding.rule, kind, remedy.text, {"command": remedy.command}, [label], False, entry["path"])
        return None

    def _add(self, step: Step, key: tuple[Any, ...], entry: dict[str, Any]) -> None:
        step.hops.append((repr(key), _hop_id(entry)))
        same = next((s for s in self.steps if (s.kind, s.change) == (step.kind, step.change)), None)
        if same is None:
            self.steps.append(step)
        else:
            same.commands.extend(c for c in step.commands if c not in same.commands)
            same.hops.extend(step.hops)

    def _confirm(self, commands: dict[tuple[Any, ...], dict[str, Any]]) -> None:
        """An edit or run-instead step is confirmed when none of its hops is in its command's prediction."""
        present = {(repr(k), _hop_id(h)) for k, c in commands.items() for h in c["stripped_hops"]}
        for step in self.steps:
            if step.kind in ("edit", "run-instead") and not step.confirmed:
                step.confirmed = not any(h in present for h in step.hops)

    def _predict(self) -> dict[tuple[Any, ...], dict[str, Any]]:
        from sipdoctor.chains.predict import make_context, predict_command_line
        from sipdoctor.project.facts import collect_project_facts, command_fact

        planning, root, judge = self.planning, self.scratch.root, self.judge
        facts = collect_project_facts(root, planning.system, planning.assumptions, planning.profiler, judge,
                                      benchmarks=planning.benchmarks)
        commands = {_key(c, root): c for c in facts["commands"] if _key(c, root) in self.labels}
        ctx = make_context(judge, root, dict(self.env), planning.profiler)
        for key, line in self.overrides.items():
            if key in commands:
                c = commands[key]
                # a Makefile target is judged on its own recipe, as check judges it (Context.make_goal_only)
                line_ctx = replace(ctx, make_goal_only=True) if c["source"] == "Makefile" else ctx
                commands[key] = {**command_fact(c["source"], c["file"], c["line"], c["name"], c["command"],
                                                predict_command_line(line, line_ctx)), "benchmark": True}
        return commands

    def plan(self, root: Path) -> Plan:
        commands = self._predict()
        self._confirm(commands)
        still = set(self._open(commands))
        unverified: dict[tuple[Any, ...], str] = {}
        for key, command in commands.items():  # nothing strips any more, but what runs there is not known
            unknown = command.get("unverified") or []
            if key not in still and key not in self.unfixed and unknown:
                unverified[key] = (f"after these steps nothing it runs strips the variable, but "
                                   f"{unknown[0]['path'] or unknown[0]['argv'][0]} cannot be judged "
                                   f"({unknown[0]['reason']})")
        fixed = [label for key, label in self.labels.items()
                 if key not in still and key not in self.unfixed and key not in unverified]
        unfixed = [Unfixed(self.labels[k], reason) for k, reason in self.unfixed.items()]
        unfixed += [Unfixed(self.labels[k], reason, unverified=True) for k, reason in unverified.items()]
        unfixed += [Unfixed(self.labels[k], "it still loses the profiler after these steps")
                    for k in still if k not in self.unfixed]
        steps = sorted(self.steps, key=lambda s: KIND_ORDER.index(s.kind))
        plan = Plan(tuple(steps), tuple(self.labels.values()), tuple(fixed), tuple(unfixed))
        unscratched: Plan = _unscratch(plan, str(self.scratch.root), str(root))
        return unscratched


def _first(command: dict[str, Any], profiler: str, set_aside: set[tuple[Any, ...]]) -> dict[str, Any] | None:
    """The command's first hop that strips (or aborts) and is not set aside; re-armed hops do not count."""
    for hop in command.get("stripped_hops", []):
        if hop["verdict"] not in ("stripped", "load-fails") or _hop_id(hop) in set_aside:
            continue
        rearmed = (command.get("profiler") or profiler) == "codspeed" and (hop.get("reinjected_below")
                                                                           or hop.get("unknown_below"))
        if hop["verdict"] == "stripped" and rearmed:
            continue
        found: dict[str, Any] = hop
        return found
    return None


def _hop_id(hop: dict[str, Any]) -> tuple[Any, ...]:
    return hop["path"], hop.get("via"), tuple(hop.get("argv") or ())


def _key(command: dict[str, Any], root: Path) -> tuple[Any, ...]:
    file = command.get("file") or ""
    relative = os.path.relpath(file, root) if os.path.isabs(file) else file
    return command["source"], relative, command.get("key") or command["name"], command.get("job")


def _unscratch(value: Any, scratch: str, root: str) -> Any:
    """The plan as it reads for the project: paths into the scratch copy become the project's own."""
    if isinstance(value, str):
        return value.replace(scratch, root)
    if isinstance(value, list):
        return [_unscratch(v, scratch, root) for v in value]
    if isinstance(value, tuple):
        return tuple(_unscratch(v, scratch, root) for v in value)
    if isinstance(value, dict):
        return {k: _unscratch(v, scratch, root) for k, v in value.items()}
    if isinstance(value, FileEdit | Step | Unfixed | Plan):
        fields = {name: _unscratch(getattr(value, name), scratch, root) for name in value.__dataclass_fields__}
        return type(value)(**fields)
    return value


class Scratch:
    """A copy of the project to edit: links to its files, replaced by real copies of the ones an edit changes
    (and of the directories on their way), so that nothing is ever written into the project."""

    def __init__(self, project: Path, root: Path) -> None:
        self.project, self.root = project, root
        for entry in os.scandir(project):
            os.symlink(entry.path, root / entry.name)

    def apply(self, edit: FileEdit) -> bool:
        """Make the edit on the copy; False when it cannot be made (its text is not where it says)."""
        path = self._materialize(edit.file)
        if path is None:
            return False
        try:
            before = path.read_bytes() if path.exists() else b""
            path.write_bytes(edits.apply(before, edit))
        except (OSError, edits.EditRefused, UnicodeDecodeError):
            return False
        return True

    def _materialize(self, relative: str) -> Path | None:
        parts = Path(relative).parts
        if not parts or ".." in parts or Path(relative).is_absolute():
            return None
        here = self.root
        for part in parts[:-1]:
            here = here / part
            if here.is_symlink():
                self._unlink_dir(here)
            elif not here.exists():
                here.mkdir()
        path = here / parts[-1]
        if path.is_symlink():
            data = path.read_bytes() if path.is_file() else None
            path.unlink()
            if data is not None:
                path.write_bytes(data)
        return path

    @staticmethod
    def _unlink_dir(link: Path) -> None:
        """Turn a link to a directory into a directory of links to its entries."""
        target = Path(os.path.realpath(link))
        link.unlink()
        link.mkdir()
        if target.is_dir():
            for entry in os.scandir(target):
                os.symlink(entry.path, link / entry.name)


@contextmanager
def scratch_copy(project: Path) -> Iterator[Scratch]:
    memory = Path("/dev/shm")
    base = str(memory) if memory.is_dir() and os.access(memory, os.W_OK) else None
    root = Path(tempfile.mkdtemp(prefix="sipdoctor-plan-", dir=base)).resolve()
    try:
        yield Scratch(project, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
