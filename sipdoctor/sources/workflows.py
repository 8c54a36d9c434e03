"""GitHub Actions workflows: the `run:` steps of macOS jobs and the `run` input of CodSpeedHQ/action.

A `run:` step without `shell:` runs as `bash -e {0}` (GitHub docs, "Workflow syntax: defaults.run.shell");
`shell: bash` is `bash --noprofile --norc -eo pipefail {0}`, `sh` is `sh -e {0}`, anything else is a custom
command line with `{0}`. On the macOS runner images `bash` is Apple's /bin/bash 3.2 (actions/runner-images#12868:
the image keeps the system shell). CodSpeedHQ/action runs its `run` input with Homebrew bash on macOS
(docs/macos-facts.md#peers) under the CodSpeed profiler; its `exec` input is one program the CodSpeed
runner starts itself (`codspeed exec -- CMD`, no shell), and without `run` or `exec` it runs the benchmarks of
the project's codspeed.yml (read by `load_codspeed_config`). Its `mode` input is kept with the step.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sipdoctor.sources.files import Problem, Unreadable, read_text
from sipdoctor.sources.gh_expr import condition_holds, evaluate
from sipdoctor.sources.yamlines import load_yaml_with_lines, yaml_error_line

SHELL_TEMPLATES = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "python": "python {0}",
    "pwsh": "pwsh -command . '{0}'",
}
MACOS_RUNNER_BASH = "/bin/bash"
SETUP_ACTIONS = {"actions/setup-node": "node", "actions/setup-python": "python", "actions/setup-go": "go",
                 "pnpm/action-setup": "pnpm", "astral-sh/setup-uv": "uv"}
"""Actions that put their tool's directory first on the job's PATH (core.addPath; docs/machines.md). pnpm's
with `standalone: true` installs @pnpm/exe, which the models do not hold: left out, so pnpm stays unverified."""
HOMEBREW_BASH = "homebrew-bash"
"""A `setups` entry: an earlier step ran `brew install bash`, so `bash` on the job's PATH is Homebrew's."""
BREW_INSTALLS_BASH = re.compile(r"^\s*brew\s+install\b[^\n;&|#]*?\sbash(?=\s|$)", re.MULTILINE)
WORKFLOW_BYTES = 1 << 20
"""A larger workflow file is a problem naming its size, not minutes of YAML parsing."""
CODSPEED_BASH = "/opt/homebrew/bin/bash"


@dataclass(frozen=True)
class Step:
    file: str
    line: int | None
    job: str
    name: str
    script: str
    shell_argv: tuple[str, ...]
    """The shell that runs `script`; empty for a command the runner starts itself (the action's `exec`)."""
    codspeed: bool
    mode: str | None = None
    """The CodSpeed action's `mode` input (simulation, walltime, ...), when given."""
    runs_on: tuple[str, ...] = ()
    """The job's `runs-on` labels for this macOS leg, matrix expressions filled in."""
    setups: tuple[str, ...] = ()
    """Tools an earlier actions/setup-node, setup-python or setup-go step of the job put first on PATH."""
    key: str = ""
    """The step's identity in its job, kept when a step is added before it (`brew install bash`): its name or
    id, else `#N`, N counting the job's steps except the ones that only install bash."""
    cwd: str | None = None
    """Where the command runs, relative to the checkout: the step's `working-directory` (for a `run:` step,
    else the job's or the workflow's `defaults.run`), or the CodSpeed action's `working-directory` input."""


@dataclass(frozen=True)
class CodspeedBenchmark:
    """One entry of codspeed.yml's `benchmarks`: a command CodSpeed runs and measures."""

    file: str
    line: int | None
    name: str
    command: str


def workflow_files(directory: Path) -> tuple[list[Path], list[Problem]]:
    """The workflow files, and a problem when .github or .github/workflows cannot be listed."""
    folder = directory / ".github" / "workflows"
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries]
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    except OSError as exc:
        return [], [Problem(str(folder), None, f"cannot list the workflows: {exc.strerror or exc}")]
    return sorted(folder / n for n in names if n.endswith((".yml", ".yaml"))), []


@dataclass(frozen=True)
class Unjudged:
    """A job whose `runs-on` is an expression sipdoctor cannot evaluate (`${{ fromJSON(...) }}`, a job output):
    it may run on a Mac, and its steps were not judged."""

    file: str
    line: int | None
    job: str
    runs_on: str
    steps: tuple[Step, ...] = ()
    """Its `run:` and CodSpeed steps, read but judged on no machine."""


@dataclass
class Workflow:
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unjudged: list[Unjudged] = field(default_factory=list)


def read_workflow(path: Path) -> Workflow:
    """The steps of the workflow's jobs that run on a Mac (each leg of a matrix), what could not be read, and the
    jobs whose machine is an expression."""
    import yaml

    try:
        data = load_yaml_with_lines(read_text(str(path), WORKFLOW_BYTES, whole=True))
    except Unreadable as exc:
        return Workflow(problems=[exc.problem])
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        return Workflow(problems=[Problem(str(path), line, f"malformed YAML: {getattr(exc, 'problem', exc)}")])
    except RecursionError:
        return Workflow(problems=[Problem(str(path), None, "malformed YAML: nested too deeply to read")])
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return Workflow(problems=[Problem(str(path), 1, "not a workflow: no `jobs` mapping")])
    out = Workflow()
    top = _run_defaults(data.get("defaults"))
    for job_id, job in data["jobs"].items():
        if not isinstance(job, dict):
            continue
        own = _run_defaults(job.get("defaults"))
        defaults = {**top, **own}
        for labels, combinations in macos_legs(job):
            contexts = [{"runner": {"os": "macOS"}, "matrix": c} for c in combinations]
            contexts = [c for c in contexts if condition_holds(job.get("if"), c)]
            if not contexts:
                continue  # `if: runner.os == 'Linux'` (or a matrix value) keeps this job off the Mac
            found = _job_steps(str(path), str(job_id), job, defaults, contexts)
            out.steps.extend(replace(step, runs_on=labels) for step in found)
        if _unresolved_runner(job):
            line = getattr(job, "key_lines", {}).get("runs-on")
            out.unjudged.append(Unjudged(str(path), line, str(job_id), _text_of(job.get("runs-on")),
                                         tuple(_job_steps(str(path), str(job_id), job, defaults))))
    return out


def _unresolved_runner(job: dict[str, Any]) -> bool:
    """Some leg of the job names its machine with an expression that is not a matrix value sipdoctor has."""
    raw = job.get("runs-on")
    if isinstance(raw, dict):
        raw = raw.get("labels", [])
    labels = [x for x in (raw if isinstance(raw, list) else [raw]) if isinstance(x, str)]
    if not any("${{" in label for label in labels):
        return False
    return any(not _labels(job.get("runs-on"), combination) for combination in expand_matrix(job.get("strategy")))


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def macos_legs(job: dict[str, Any]) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """The `runs-on` label sets of a job's legs that run on a Mac, each once with the matrix combinations that
    name it, in matrix order (which Mac each names is sipdoctor.machines.select.runner_choice)."""
    legs: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for combination in expand_matrix(job.get("strategy")):
        labels = _labels(job.get("runs-on"), combination)
        if labels and _names_a_mac(labels):
            legs.setdefault(labels, []).append(combination)
    return list(legs.items())


def _names_a_mac(labels: tuple[str, ...]) -> bool:
    lowered = [label.lower() for label in labels]
    if "self-hosted" in lowered:
        return any(x in lowered for x in ("macos", "osx", "darwin"))
    return any(label.startswith("macos") for label in lowered)


MATRIX_REF = re.compile(r"\$\{\{\s*matrix((?:\.[A-Za-z0-9_-]+)+)\s*\}\}")


def _labels(runs_on: Any, combination: dict[str, Any]) -> tuple[str, ...]:
    if isinstance(runs_on, dict):
        runs_on = runs_on.get("labels", [])
    raw = runs_on if isinstance(runs_on, list) else [runs_on]
    out: list[str] = []
    for label in raw:
        if not isinstance(label, str):
            continue
        whole = EXPRESSION.fullmatch(label.strip())
        value = evaluate(whole.group(1), {"matrix": combination}) if whole else None
        if isinstance(value, list):  # `runs-on: ${{ matrix.runner }}` with runner: [self-hosted, macOS]
            out.extend(v for v in value if isinstance(v, str))
            continue
        if isinstance(value, str):  # `${{ matrix.os || 'ubuntu-latest' }}`
            out.append(value)
            continue
        out.append(MATRIX_REF.sub(lambda m: _text(_lookup(combination, m.group(1))), label))
    return tuple(x for x in out if x and "${{" not in x)


EXPRESSION = re.compile(r"\$\{\{(.*)\}\}", re.DOTALL)


def _lookup(combination: dict[str, Any], dotted: str) -> Any:
    value: Any = combination
    for key in dotted.strip(".").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def expand_matrix(strategy: Any) -> list[dict[str, Any]]:
    """Every combination of a job's matrix, as GitHub builds them (docs/machines.md "Matrix"): the product of
    the list-valued keys, minus each `exclude` that matches, then each `include` merged into every combination
    it does not contradict on an original key, or added as a new combination when it fits none."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return [{}]
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude") and isinstance(v, list)}
    combos: list[dict[str, Any]] = [{}]
    for key, values in axes.items():
        combos = [{**c, key: v} for c in combos for v in values]
    excludes = [e for e in matrix.get("exclude") or [] if isinstance(e, dict)]
    combos = [c for c in combos if not any(_matches(c, e) for e in excludes)] if axes else []
    for extra in [i for i in matrix.get("include") or [] if isinstance(i, dict)]:
        fitting = [c for c in combos if all(c.get(k, v) == v for k, v in extra.items() if k in axes)]
        if fitting and axes:
            for c in fitting:
                c.update({k: v for k, v in extra.items() if k not in axes or c.get(k) == v})
        else:
            combos.append(dict(extra))
    return combos or [{}]


def _matches(combination: dict[str, Any], rule: dict[str, Any]) -> bool:
    return all(combination.get(k) == v for k, v in rule.items())


def _run_defaults(defaults: Any) -> dict[str, str]:
    """`defaults.run` of a workflow or a job: its `shell` and `working-directory`, those that are set."""
    run = defaults.get("run") if isinstance(defaults, dict) else None
    if not isinstance(run, dict):
        return {}
    return {k: v for k, v in run.items() if k in ("shell", "working-directory") and isinstance(v, str)}


WORKSPACE_PREFIX = re.compile(r"^(?:\$\{\{\s*github\.workspace\s*\}\}|\$GITHUB_WORKSPACE|\$\{GITHUB_WORKSPACE\})/?")


def _directory(value: Any) -> str | None:
    """A `working-directory` relative to the checkout; None when unset or built by an expression."""
    if not isinstance(value, str):
        return None
    value = WORKSPACE_PREFIX.sub("", value.strip()).strip()
    return value if value and "${{" not in value and "$" not in value else None


def _job_steps(path: str, job_id: str, job: dict[str, Any], defaults: dict[str, str],
               contexts: list[dict[str, Any]] | None = None) -> list[Step]:
    """The job's `run:` and CodSpeed steps; with `contexts` (the matrix combinations of one Mac leg), those whose
    `if:` can hold in one of them."""
    out = []
    setups: list[str] = []
    ordinal = 0
    for step in job.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if contexts is not None and not any(condition_holds(step.get("if"), c) for c in contexts):
            ordinal += 1
            continue  # a step for another OS (`if: runner.os == 'Windows'`) does not run on the Mac
        run = step.get("run") if isinstance(step.get("run"), str) else None
        installs_bash = run is not None and BREW_INSTALLS_BASH.search(run) is not None
        ordinal += 0 if installs_bash and not (step.get("name") or step.get("id")) else 1
        name, key = _step_name(step), str(step.get("name") or step.get("id") or f"#{ordinal}")
        lines = getattr(step, "key_lines", {})
        if run is not None:
            argv = shell_argv(step.get("shell") if isinstance(step.get("shell"), str) else defaults.get("shell"))
            cwd = _directory(step.get("working-directory", defaults.get("working-directory")))
            out.append(Step(path, lines.get("run"), job_id, name, run, argv, False, setups=tuple(setups),
                            cwd=cwd, key=key))
            if installs_bash and HOMEBREW_BASH not in setups:
                setups.append(HOMEBREW_BASH)
        uses = step.get("uses")
        tool = SETUP_ACTIONS.get(uses.split("@", 1)[0].lower()) if isinstance(uses, str) else None
        inputs = step.get("with")
        if tool == "pnpm" and isinstance(inputs, dict) and str(inputs.get("standalone")).lower() == "true":
            tool = None
        if tool is not None and tool not in setups:
            setups.append(tool)
        if isinstance(uses, str) and uses.lower().startswith("codspeedhq/action") and isinstance(inputs, dict):
            out.extend(replace(found, key=key) for found in _codspeed_steps(path, job_id, name, inputs, tuple(setups)))
    return out


def _step_name(step: dict[str, Any]) -> str:
    """The step's name as GitHub shows it: its `name` (or `id`), else `Run ` and the first line of its `run`
    (or the action it uses)."""
    if step.get("name") or step.get("id"):
        return str(step.get("name") or step.get("id"))
    run, uses = step.get("run"), step.get("uses")
    first = next((line.strip() for line in run.splitlines() if line.strip()), "") if isinstance(run, str) else ""
    what = first or (uses if isinstance(uses, str) else "")
    return f"Run {what[:45] + '...' if len(what) > 48 else what}".rstrip()


def _codspeed_steps(path: str, job_id: str, name: str, inputs: dict[str, Any],
                    setups: tuple[str, ...]) -> list[Step]:
    lines = getattr(inputs, "key_lines", {})
    mode = inputs.get("mode") if isinstance(inputs.get("mode"), str) else None
    cwd = _directory(inputs.get("working-directory"))
    out = []
    if isinstance(inputs.get("run"), str) and inputs["run"].strip():
        out.append(Step(path, lines.get("run"), job_id, name, inputs["run"], (CODSPEED_BASH, "-c", "{0}"), True,
                        mode, setups=setups, cwd=cwd))
    if isinstance(inputs.get("exec"), str) and inputs["exec"].strip():
        out.append(Step(path, lines.get("exec"), job_id, name, inputs["exec"], (), True, mode, setups=setups,
                        cwd=cwd))
    return out


CODSPEED_CONFIG_NAMES = ("codspeed.yml", "codspeed.yaml", ".codspeed.yml", ".codspeed.yaml")


def load_codspeed_config(directory: Path) -> tuple[list[CodspeedBenchmark], list[Problem]]:
    """The `benchmarks` of the project's codspeed.yml: `- name: ...` with `exec: COMMAND` each."""
    import yaml

    path = next((directory / n for n in CODSPEED_CONFIG_NAMES if (directory / n).is_file()), None)
    if path is None:
        return [], []
    try:
        data = load_yaml_with_lines(read_text(str(path)))
    except Unreadable as exc:
        return [], [exc.problem]
    except yaml.YAMLError as exc:
        return [], [Problem(str(path), yaml_error_line(exc), f"malformed YAML: {getattr(exc, 'problem', exc)}")]
    entries = data.get("benchmarks") if isinstance(data, dict) else None
    out = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("exec"), str):
            line = getattr(entry, "key_lines", {}).get("exec")
            out.append(CodspeedBenchmark(str(path), line, str(entry.get("name") or f"benchmark {index + 1}"),
                                         entry["exec"]))
    return out, []


def shell_argv(shell: str | None) -> tuple[str, ...]:
    template = SHELL_TEMPLATES.get(shell, shell or SHELL_TEMPLATES[None])
    words = shlex.split(template)
    if words and words[0] == "bash":
        words[0] = MACOS_RUNNER_BASH
    return tuple(words)
