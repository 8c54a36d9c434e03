"""Runs the composite action's steps as the GitHub runner does, with GITHUB_* files and directories in a tmp dir.

What the runner provides and these steps use: each `run` script under `bash --noprofile --norc -eo pipefail`
(GitHub's `shell: bash`) in $GITHUB_WORKSPACE; a new $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY file per step;
$GITHUB_ACTION_PATH and $RUNNER_TEMP; `${{ }}` expressions in `env:` and `outputs:` (only the forms the action
uses: inputs, github.action_path, steps.<id>.outputs; any other fails the test).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT = re.compile(r"inputs\.([A-Za-z0-9_-]+)")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


@dataclass
class StepRun:
    id: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)


def load_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    return action


def parse_outputs(text: str) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as the runner reads $GITHUB_OUTPUT."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            out[name] = value_text
    return out


class Runner:
    def __init__(self, root: Path, env: Mapping[str, str], inputs: Mapping[str, str]) -> None:
        self.action = load_action()
        unknown = set(inputs) - set(self.action["inputs"])
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs = {name: str(inputs.get(name, spec.get("default", ""))) for name, spec in
                       self.action["inputs"].items()}
        self.root = root
        self.workspace = root / "workspace"
        self.temp = root / "runner-temp"
        self.workspace.mkdir(exist_ok=True)
        self.temp.mkdir(exist_ok=True)
        self.env = dict(env)
        self.step_outputs: dict[str, dict[str, str]] = {}

    def evaluate(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression == "github.action_path":
                return str(REPO)
            if found := INPUT.fullmatch(expression):
                return self.inputs[found.group(1)]
            if found := STEP_OUTPUT.fullmatch(expression):
                return self.step_outputs.get(found.group(1), {}).get(found.group(2), "")
            raise AssertionError(f"the test runner does not know the expression {expression!r}")

        return EXPRESSION.sub(one, str(text))

    def run(self, only: set[str] | None = None) -> ActionRun:
        """Run the steps (those whose id is in `only`, when given) until one fails, as the runner does."""
        result = ActionRun()
        for index, step in enumerate(self.action["runs"]["steps"]):
            if only is not None and step.get("id") not in only:
                continue
            run = self.step(index, step)
            result.steps.append(run)
            self.step_outputs[run.id] = run.outputs
            if run.returncode:
                break
        result.outputs = {name: self.evaluate(spec["value"]) for name, spec in self.action["outputs"].items()}
        return result

    def step(self, index: int, step: dict[str, Any]) -> StepRun:
        assert step["shell"] == "bash" and "uses" not in step
        script = self.temp / f"step-{index}.sh"
        script.write_text(step["run"])
        output, summary = self.temp / f"output-{index}", self.temp / f"summary-{index}"
        output.write_text("")
        summary.write_text("")
        env = {**self.env, "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": str(self.workspace),
               "GITHUB_ACTION_PATH": str(REPO), "RUNNER_TEMP": str(self.temp), "GITHUB_OUTPUT": str(output),
               "GITHUB_STEP_SUMMARY": str(summary)}
        env.update({name: self.evaluate(value) for name, value in (step.get("env") or {}).items()})
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                              env=env, capture_output=True, text=True, timeout=900, check=False)
        return StepRun(step.get("id", str(index)), done.returncode, done.stdout, done.stderr,
                       parse_outputs(output.read_text()), summary.read_text())
