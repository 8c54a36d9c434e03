"""Which machine judges what (docs/machines.md "Which machine").

- Local commands: this computer when it is the target (a Mac for `--target macos`, Linux for `--target linux`);
  from Linux with `--target macos`, the developer-Mac model (Apple Silicon, Homebrew) unless `--machine NAME`
  picks another; `--root DIR` judges on a Mac file system laid out under DIR.
- A workflow step: the GitHub-hosted image its job's `runs-on` names, after the job's setup-node/python/go
  steps; a self-hosted or unknown label: the developer-Mac model, with a note that says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sipdoctor.machines.base import Machine
from sipdoctor.machines.catalog import DEFAULT_MODEL, LAYOUTS, MODELS, model_spec, runner_for_label
from sipdoctor.machines.model import ModelMachine
from sipdoctor.sources.workflows import HOMEBREW_BASH


class UnknownMachine(ValueError):
    """--machine named no shipped model."""


def model_names() -> list[str]:
    return [m.name for m in MODELS]


def model_machine(name: str, shared: Sequence[str] = (), sip: str | None = None) -> ModelMachine:
    """A shipped model, `NAME` or `NAME+LAYOUT+...` (a developer Mac with nvm, pyenv...); `sip` "off" judges
    it with SIP disabled (default: the model's own state)."""
    base, *layouts = name.split("+")
    spec = model_spec(base)
    if spec is None or (spec.is_runner and layouts) or any(layout not in LAYOUTS for layout in layouts):
        raise UnknownMachine(f"no machine model named {name!r}; `sipdoctor machines` lists them: "
                             + ", ".join(model_names()) + f" (developer Macs take +{'/+'.join(LAYOUTS)})")
    machine = ModelMachine(spec, tuple(shared), sip=sip)
    for layout in layouts:
        machine = machine.with_layout(layout)
    return machine




@dataclass(frozen=True)
class Choice:
    """The machine for local commands, and why it was chosen (shown with the results)."""

    machine: Machine
    note: str = ""


def local_machine(target: str, host_platform: str, *, sip: str = "on", arch: str | None = None,
                  machine: str | None = None, root: str | None = None, shared: Sequence[str] = (),
                  sip_evidence: str = "") -> Choice:
    """`target`, `sip`, `arch`: what the command line asks to judge for (Assumptions of sipdoctor.binaries)."""
    from sipdoctor.machines.host import HostMachine
    from sipdoctor.machines.root import RootMachine

    if root is not None:
        return Choice(RootMachine(root, arch or "arm64", sip, tuple(shared)))
    given = "off" if sip in ("off", "debug-off") else None  # debug-off: dyld strips nothing either
    if machine is not None and machine != "host" and host_platform != "macos":
        return Choice(model_machine(machine, shared, given))
    if machine is not None and machine != "host":
        return Choice(model_machine(machine, shared))  # this Mac's SIP says nothing about the model
    if target == "macos" and host_platform != "macos" and machine != "host":
        model = model_machine(DEFAULT_MODEL, shared, given)
        model.note = (f"this computer is not a Mac: local commands are judged on the {DEFAULT_MODEL} model "
                      "(`--machine NAME` picks another; `sipdoctor machines` lists them)")
        return Choice(model, model.note)
    return Choice(HostMachine(target, sip, arch, sip_evidence, tuple(shared)))


@dataclass(frozen=True)
class RunnerChoice:
    """The machine one workflow job runs on: a model name, the label it came from, and a note when guessed."""

    model: str
    label: str
    note: str = ""


def runner_choice(labels: Sequence[str]) -> RunnerChoice | None:
    """The Mac a job with these `runs-on` labels runs on; None when none of them is a Mac."""
    lowered = [label.lower() for label in labels]
    for label in labels:
        spec = runner_for_label(label)
        if spec is not None:
            return RunnerChoice(spec.name, label)
    mac = next((label for label in labels if label.lower().startswith("macos")), None)
    if mac is not None and "self-hosted" not in lowered:
        return RunnerChoice(DEFAULT_MODEL, mac, f"`{mac}` is not a current GitHub-hosted image: judged on the "
                                                f"{DEFAULT_MODEL} model")
    if "self-hosted" in lowered and any(x in lowered for x in ("macos", "osx", "darwin")):
        return RunnerChoice(DEFAULT_MODEL, ", ".join(labels), "a self-hosted Mac: judged on the "
                                                              f"{DEFAULT_MODEL} model, not on that machine")
    return None


def job_machine(choice: RunnerChoice, setups: Sequence[str], shared: Sequence[str]) -> ModelMachine:
    machine = model_machine(choice.model, shared)
    if machine.spec.is_runner:
        for tool in setups:
            machine = machine.with_homebrew_bash() if tool == HOMEBREW_BASH else machine.with_setup(tool)
    machine.note = choice.note
    return machine
