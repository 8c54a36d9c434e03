"""GitHub Actions workflows: the `run:` steps of macOS jobs and the `run` input of CodSpeedHQ/action.

A `run:` step without `shell:` runs as `bash -e {0}` (GitHub docs, "Workflow syntax: defaults.run.shell");
`shell: bash` is `bash --noprofile --norc -eo pipefail {0}`, `sh` is `sh -e {0}`, anything else is a custom
command line with `{0}`. On the macOS runner images `bash` is Apple's /bin/bash 3.2 (actions/runner-images#12868:
the image keeps the system shell). CodSpeedHQ/action runs its `run` input with Homebrew bash on macOS
(docs/macos-facts.md#peers) under the CodSpeed profiler.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdoctor.sources.files import Problem, Unreadable, read_text
from sipdoctor.sources.yamlines import load_yaml_with_lines, yaml_error_line

SHELL_TEMPLATES = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "python": "python {0}",
    "pwsh": "pwsh -command . '{0}'",
}
MACOS_RUNNER_BASH = "/bin/bash"
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
    codspeed: bool


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


def load_workflow(path: Path) -> tuple[list[Step], list[Problem]]:
    import yaml

    try:
        data = load_yaml_with_lines(read_text(str(path), WORKFLOW_BYTES, whole=True))
    except Unreadable as exc:
        return [], [exc.problem]
    except yaml.YAMLError as exc:
        return [], [Problem(str(path), yaml_error_line(exc), f"malformed YAML: {getattr(exc, 'problem', exc)}")]
    except RecursionError:
        return [], [Problem(str(path), None, "malformed YAML: nested too deeply to read")]
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return [], [Problem(str(path), 1, "not a workflow: no `jobs` mapping")]
    steps: list[Step] = []
    default_shell = _shell_of(data.get("defaults"))
    for job_id, job in data["jobs"].items():
        if isinstance(job, dict) and _is_macos(job.get("runs-on")):
            steps.extend(_job_steps(str(path), str(job_id), job, _shell_of(job.get("defaults")) or default_shell))
    return steps, []


def _is_macos(runs_on: Any) -> bool:
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return any(isinstance(label, str) and label.startswith("macos") for label in labels)


def _shell_of(defaults: Any) -> str | None:
    run = defaults.get("run") if isinstance(defaults, dict) else None
    shell = run.get("shell") if isinstance(run, dict) else None
    return shell if isinstance(shell, str) else None


def _job_steps(path: str, job_id: str, job: dict[str, Any], shell: str | None) -> list[Step]:
    out = []
    for index, step in enumerate(job.get("steps") or []):
        if not isinstance(step, dict):
            continue
        name = str(step.get("name") or step.get("id") or f"step {index + 1}")
        lines = getattr(step, "key_lines", {})
        if isinstance(step.get("run"), str):
            argv = shell_argv(step.get("shell") if isinstance(step.get("shell"), str) else shell)
            out.append(Step(path, lines.get("run"), job_id, name, step["run"], argv, False))
        uses = step.get("uses")
        inputs = step.get("with")
        if isinstance(uses, str) and uses.lower().startswith("codspeedhq/action") and isinstance(inputs, dict) \
                and isinstance(inputs.get("run"), str):
            line = getattr(inputs, "key_lines", {}).get("run")
            out.append(Step(path, line, job_id, name, inputs["run"], (CODSPEED_BASH, "-c", "{0}"), True))
    return out


def shell_argv(shell: str | None) -> tuple[str, ...]:
    template = SHELL_TEMPLATES.get(shell, shell or SHELL_TEMPLATES[None])
    words = shlex.split(template)
    if words and words[0] == "bash":
        words[0] = MACOS_RUNNER_BASH
    return tuple(words)
