"""Project facts for the rule engine: every command the project runs, its predicted tree, and the problems.

`collect_project_facts(directory, system, assumptions)` returns JSON-serialisable data:

    {
      "project": str,                       # the directory, absolute
      "target": "macos" | "linux", "profiler": "generic" | "codspeed",
      "package": {"file", "manager", "manager_version", "manager_source", "yarn_berry",
                  "pnpm_reads_npmrc",             # pnpm 9 and older; 10+ reads pnpm-workspace.yaml
                  "script_shell": {"value", "source"} | None} | None,
      "commands": [                         # benchmark-looking first, then in file order
        {"source": "package.json" | "Makefile" | "workflow" | "codspeed-action" | "codspeed.yml" | "tox.ini"
                   | "noxfile.py"
                   | "justfile" | "hatch" | "pdm",
         "file": str, "line": int | None, "name": str,   # script / target / step / env / session / recipe
         "command": str,                    # the text in the file (script body, recipe line, run: block)
         "run_as": str,                     # what was predicted, e.g. "npm run bench", "make bench"
         "benchmark": bool,                 # sipdoctor.project.benchmarks: configuration, runner, name
         "profiler": "generic" | "codspeed",  # the profiler it runs under: a CodSpeed action step's is CodSpeed
         "job": str | None,                 # workflows only
         "key": str,                        # its identity in its file: the name, or a workflow step's `#N`
         "directory": str | None,           # a workspace package's directory (relative) for its scripts
         "verdict": str,                    # "profiled" when no hop strips or aborts, else "stripped"/"load-fails"
         "tree": {...},                     # Prediction.to_json(): {"command", "children": [process], "notes"}
                                            # process = {"argv", "chain": [hop], "children": [process], "notes"}
                                            # hop = {"path", "argv", "via", "verdict", "own_verdict", "cause",
                                            #        "reinjected", "why", "reasons": [{"code", "message"}]}
         "reinject": {"covers": bool,       # `sipdoctor run -- CMD` restores after every stripping hop
                      "names": [str],       # the programs it would shim (reached by PATH after a hop)
                      "gaps": [str]},       # the hops it cannot cover (absolute paths, protected targets)
         "filters": [{"why", "argv", "spawned_by"}],  # children started with a cleared environment (turbo)
         "stripped_hops": [                 # every hop whose own verdict is stripped or load-fails
            {"path", "name", "via", "argv", "verdict", "status", "cause", "why", "role",
             "reason_codes": [str], "reinjected_below": bool, "unknown_below": bool}],
        }],
      "venvs": [{"path", "home", "version", "interpreters": [{"path", "runs", "symlink", "verdict", "reasons"}]}],
      "executables": [{"path", "symlink_to", "shebang", "interpreter", "env_name"}],
      "problems": [{"file", "line", "message"}],
      "unjudged": [{"file", "line", "job", "runs_on",     # workflow jobs whose runner is an expression
                    "benchmark", "steps"}],               # a step looks like a benchmark; the steps' names
    }

`role` of a stripped hop: "env" (/usr/bin/env), "shell" (sh, bash, dash, zsh, ksh), "xcode-stub" (an Xcode
tool shim in /usr/bin), "interpreter" (python*, ruby, perl, node), else "program". `cause` is the path of an
earlier hop that already stripped (null for the first). `reinjected_below` is true when a later hop is
re-armed by the profiler (CodSpeed: node, go), the case where a stripping launcher is only a launcher.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sipdoctor.binaries import Assumptions
from sipdoctor.chains.context import Context, Judge
from sipdoctor.chains.predict import Prediction, make_context, predict_argv, predict_command_line, predict_shell_script
from sipdoctor.chains.python_runners import from_env
from sipdoctor.chains.shims import SHELLS
from sipdoctor.chains.tree import Hop, Process, stripped_hops
from sipdoctor.macos_paths import shipped_binary
from sipdoctor.model import Verdict
from sipdoctor.project.benchmarks import BENCHMARK_NAME, Selection, is_benchmark, tree_argvs
from sipdoctor.project.scripts import BROKEN_SYMLINK, scan_scripts
from sipdoctor.project.venvs import find_venvs, venv_facts
from sipdoctor.sources.files import Problem, Unreadable, read_text
from sipdoctor.sources.justfile import JUSTFILE_NAMES
from sipdoctor.sources.makefile import MAKEFILE_NAMES, load_makefile
from sipdoctor.sources.package_json import (
    PackageJson,
    Script,
    load_package_json,
    pnpm_reads_npmrc_settings,
    script_shell_setting,
)
from sipdoctor.sources.pyproject_scripts import runner_commands
from sipdoctor.sources.tasks import TaskCommand, just_commands, nox_commands, tox_commands, tox_env_names
from sipdoctor.sources.workflows import (
    MACOS_RUNNER_BASH,
    Step,
    Unjudged,
    load_codspeed_config,
    read_workflow,
    workflow_files,
)
from sipdoctor.sources.workspaces import find_workspace_root, workspace_packages
from sipdoctor.system import System

if TYPE_CHECKING:
    from sipdoctor.machines.model import ModelMachine

INTERPRETERS = re.compile(r"^(python[\d.]*|ruby|perl[\d.]*|node)$")
MAX_WORKSPACE_PACKAGES = 200
"""Packages whose scripts become commands: a bound for monorepos of thousands (the rest are not listed)."""


def collect_project_facts(directory: Path | str, system: System, assumptions: Assumptions,
                          profiler: str = "generic", judge: Judge | None = None,
                          benchmarks: Selection | None = None) -> dict[str, Any]:
    root = Path(directory).resolve()
    judge = judge or Judge(assumptions)
    ctx = make_context(judge, root, judge.machine.environment(system.env), profiler)
    commands: list[dict[str, Any]] = []
    problems: list[Problem] = []
    package = _package_commands(root, ctx, commands, problems)
    _make_commands(root, ctx, commands, problems)
    unjudged: list[Unjudged] = []
    _workflow_commands(root, ctx, commands, problems, unjudged)
    _codspeed_commands(root, ctx, commands, problems)
    _task_commands(root, ctx, commands, problems)
    for command in commands:
        command["profiler"] = command["profiler"] or profiler  # a CodSpeed step's is CodSpeed whatever was asked
        command["benchmark"] = is_benchmark(command["name"], command["command"], command["run_as"],
                                            tree_argvs(command["tree"]), str(root), command["source"], benchmarks)
    scan = scan_scripts(root)
    # a dangling link in the tree runs nothing and defines nothing (fuzz corpora, stale build links): `scan`
    # lists it, `check` does not make a finding of it
    problems.extend(p for p in scan.problems if p.message != BROKEN_SYMLINK)
    commands.sort(key=lambda c: not c["benchmark"])
    return {
        "project": str(root), "target": str(assumptions.target), "profiler": profiler, "package": package,
        "commands": commands,
        "venvs": [venv_facts(v, judge, ctx.path) for v in find_venvs(root)],
        "executables": scan.executables,
        "problems": [p.to_json() for p in _first_per_file(problems)],
        "unjudged": [_unjudged_fact(u, root, benchmarks) for u in unjudged],
    }


def _unjudged_fact(job: Unjudged, root: Path, selection: Selection | None) -> dict[str, Any]:
    """A job judged on no machine, and whether a step of it looks like a benchmark (by name or command)."""
    benchmark = any(is_benchmark(s.name, s.script, s.script, [], str(root), "codspeed-action" if s.codspeed
                                 else "workflow", selection) for s in job.steps)
    return {"file": job.file, "line": job.line, "job": job.job, "runs_on": job.runs_on, "benchmark": benchmark,
            "steps": [s.name for s in job.steps]}


def _first_per_file(problems: list[Problem]) -> list[Problem]:
    """One problem per unreadable file: the readers and the script scan can each trip on the same file."""
    unreadable: set[str] = set()
    out = []
    for problem in problems:
        if problem.line is None and problem.file in unreadable:
            continue
        if problem.line is None:
            unreadable.add(problem.file)
        out.append(problem)
    return out


def command_fact(source: str, file: str, line: int | None, name: str, command: str,
                 prediction: Prediction, **extra: Any) -> dict[str, Any]:
    hops = [h for root in prediction.roots for h in stripped_hops(root)]
    every = [h for root in prediction.roots for h in root.walk()]
    unverified = [h for h in every if h.verdict == Verdict.UNKNOWN and h.status != "not-profiled"]
    filters = _filters(prediction.roots)
    return {
        "source": source, "file": file, "line": line, "name": name, "command": command,
        "run_as": prediction.command, "job": extra.get("job"), "profiler": extra.get("profiler"),
        "key": extra.get("key") or name, "directory": extra.get("directory"),
        "benchmark": bool(BENCHMARK_NAME.search(name)),  # collect_project_facts judges it fully
        "verdict": hops[0].verdict.value if hops else "stripped" if filters else (
            "unknown" if unverified else "profiled"),
        "filters": filters,
        "machine": _machine_fact(prediction),
        "tree": prediction.to_json(),
        "reinject": _reinject_fact(prediction) if hops else {"covers": False, "names": [], "gaps": []},
        "stripped_hops": [_hop_fact(h, every) for h in hops],
        "unverified": [{"path": h.path, "name": h.name, "argv": list(h.argv),
                        "reason": "; ".join(r.message for r in h.reasons)} for h in unverified],
    }


def _filters(roots: tuple[Process, ...]) -> list[dict[str, Any]]:
    """The programs that clear the environment of their children (turbo's strict env mode), once per reason:
    {why, spawned_by (argv of the program that did it), argv (its first such child)}."""
    out: dict[str, dict[str, Any]] = {}
    pending: list[tuple[Process, Process | None]] = [(root, None) for root in roots]
    while pending:
        process, parent = pending.pop(0)
        if process.filtered_by and process.filtered_by not in out:
            out[process.filtered_by] = {"why": process.filtered_by, "argv": list(process.argv),
                                        "spawned_by": list(parent.argv) if parent else None}
        pending.extend((child, process) for child in process.children)
    return list(out.values())


def _reinject_fact(prediction: Prediction) -> dict[str, Any]:
    """What `sipdoctor run` would do for this command (sipdoctor.chains.reinject, from the same prediction); a
    tree without a stripping hop gives nothing to restore (command_fact skips it)."""
    from sipdoctor.chains.reinject import plan_prediction

    plan = plan_prediction(prediction)
    return {"covers": bool(plan.covered) and plan.covers_every_hop, "names": sorted(plan.names),
            "gaps": list(dict.fromkeys(g.sentence() for g in plan.gaps))}
def _machine_fact(prediction: Prediction) -> dict[str, Any]:
    """Which machine the command was judged on: name, label, architecture, SIP state (and a note if guessed)."""
    machine = prediction.machine or {}
    sip = machine.get("sip") or {}
    out = {"name": machine.get("name"), "label": machine.get("label"), "kind": machine.get("kind"),
           "arch": machine.get("arch"), "sip": sip.get("state"), "homebrew": machine.get("homebrew"),
           "bash": machine.get("bash")}
    if machine.get("note"):
        out["note"] = machine["note"]
    return out


def _hop_fact(hop: Hop, every: list[Hop]) -> dict[str, Any]:
    below = every[every.index(hop) + 1:]
    return {
        "path": hop.path, "name": hop.name, "via": hop.via, "argv": list(hop.argv), "verdict": hop.verdict.value,
        "status": hop.status, "cause": hop.cause, "why": hop.why, "role": _role(hop),
        "reason_codes": [r.code for r in hop.reasons],
        "reinjected_below": any(h.reinjected for h in below),
        "unknown_below": any(h.status == Verdict.UNKNOWN.value for h in below),
    }


def _role(hop: Hop) -> str:
    shipped = shipped_binary(hop.path)
    if hop.name == "env":
        return "env"
    if hop.name in SHELLS:
        return "shell"
    if shipped is not None and shipped.is_xcode_shim:
        return "xcode-stub"
    return "interpreter" if INTERPRETERS.match(hop.name) else "program"


def _package_commands(root: Path, ctx: Context, out: list[dict[str, Any]],
                      problems: list[Problem]) -> dict[str, Any] | None:
    path = root / "package.json"
    if not path.exists():
        return None
    package = load_package_json(path)
    problems.extend(package.problems)
    problems.extend(_settings_problems(root))
    manager = package.manager if package.manager in ("npm", "pnpm", "yarn", "bun") else "npm"
    shell = script_shell_setting(manager, package.manager_version, root, dict(ctx.env))
    for script in _own_scripts(package):
        prediction = predict_command_line(f"{manager} run {script.name}", ctx)
        out.append(command_fact("package.json", str(path), script.line, script.name, script.command, prediction))
    _workspace_package_commands(root, ctx, manager, out, problems)
    return {"file": str(path), "manager": package.manager, "manager_version": package.manager_version,
            "manager_source": package.manager_source, "yarn_berry": package.yarn_berry,
            "pnpm_reads_npmrc": manager == "pnpm" and pnpm_reads_npmrc_settings(package.manager_version),
            "script_shell": {"value": shell[0], "source": shell[1]} if shell else None}


def _workspace_package_commands(root: Path, ctx: Context, manager: str, out: list[dict[str, Any]],
                                problems: list[Problem]) -> None:
    """A monorepo's benchmarks live in its packages: each workspace package's scripts, run with the workspace's
    package manager from the package's directory (sipdoctor.sources.workspaces)."""
    if find_workspace_root(root) != root:
        return
    for directory in workspace_packages(root)[:MAX_WORKSPACE_PACKAGES]:
        package = load_package_json(directory / "package.json")
        problems.extend(package.problems)
        relative = directory.relative_to(root).as_posix()
        for script in _own_scripts(package):
            prediction = predict_command_line(f"{manager} run {script.name}", ctx.with_cwd(str(directory)))
            out.append(command_fact("package.json", str(directory / "package.json"), script.line, script.name,
                                    script.command, prediction, directory=relative, key=f"{relative}:{script.name}"))


def _own_scripts(package: PackageJson) -> list[Script]:
    """The scripts a person runs: `preX`/`postX` of an existing X run with it and are not commands of their own."""
    return [s for s in package.scripts if not (s.name.startswith(("pre", "post")) and package.script(
        s.name[3:] if s.name.startswith("pre") else s.name[4:]))]


def _settings_problems(root: Path) -> list[Problem]:
    """.npmrc and bunfig.toml decide the shell of every script: one that cannot be read is a problem, not a
    silent default."""
    from sipdoctor.sources.package_json import bunfig_shell

    found: list[Problem] = []
    if os.path.lexists(root / ".npmrc"):
        try:
            read_text(str(root / ".npmrc"), 65536)
        except Unreadable as exc:
            found.append(exc.problem)
    _, bunfig_problem = bunfig_shell(root)
    return [*found, *([bunfig_problem] if bunfig_problem else [])]


def _make_commands(root: Path, ctx: Context, out: list[dict[str, Any]], problems: list[Problem]) -> None:
    path = next((root / n for n in MAKEFILE_NAMES if os.path.lexists(root / n)), None)
    if path is None:
        return
    try:
        makefile = load_makefile(str(path))
    except Unreadable as exc:
        problems.append(exc.problem)
        return
    problems.extend(makefile.problems)
    goal_ctx = replace(ctx, make_goal_only=True)  # each target is a command of its own: see Context
    for target in makefile.order:
        rule = makefile.rules[target]
        if target.startswith(".") or not rule.recipe:
            continue
        # `make TARGET` needs no shell parsing: the argv itself (thousands of targets: every step counts)
        prediction = predict_argv(("make", target), goal_ctx, f"command `make {target}`")
        text = "\n".join(line.text for line in rule.recipe)
        out.append(command_fact("Makefile", rule.file or str(path), rule.line, target, text, prediction))


def _workflow_commands(root: Path, ctx: Context, out: list[dict[str, Any]], problems: list[Problem],
                       unjudged: list[Unjudged]) -> None:
    paths, unlisted = workflow_files(root)
    problems.extend(unlisted)
    for path in paths:
        workflow = read_workflow(path)
        problems.extend(workflow.problems)
        unjudged.extend(workflow.unjudged)
        for step in workflow.steps:
            machine = _runner_machine(step, root)
            argv = step.shell_argv
            if argv[:1] == (MACOS_RUNNER_BASH,):  # the runner looks `bash` up on the job's PATH (ScriptHandler.cs)
                argv = (machine.which("bash") or MACOS_RUNNER_BASH, *argv[1:])
            if step.codspeed and machine.homebrew is not None:
                machine = machine.with_homebrew_bash()
                argv = (f"{machine.homebrew}/bin/bash", *argv[1:]) if argv else argv
            step_ctx = make_context(ctx.judge.on(machine), _step_directory(root, step), machine.environment({}),
                                    "codspeed" if step.codspeed else ctx.profiler)
            if argv:
                prediction = predict_shell_script(argv, step.script, step_ctx, f"step `{step.name}`")
            else:
                why = f"CodSpeed runs `exec` of step `{step.name}`"
                prediction = predict_command_line(step.script, step_ctx, why)
            source = "codspeed-action" if step.codspeed else "workflow"
            out.append(command_fact(source, step.file, step.line, step.name, step.script, prediction,
                                    job=step.job, profiler=step_ctx.profiler, key=step.key))


def _step_directory(root: Path, step: Step) -> Path:
    """The step's working directory in the checkout (never above it: `..` is kept inside the project)."""
    if not step.cwd:
        return root
    directory = Path(os.path.normpath(root / step.cwd))
    return directory if directory.is_relative_to(root) else root


def _codspeed_commands(root: Path, ctx: Context, out: list[dict[str, Any]], problems: list[Problem]) -> None:
    benchmarks, found = load_codspeed_config(root)
    problems.extend(found)
    codspeed = make_context(ctx.judge, ctx.cwd, dict(ctx.env), "codspeed")
    for benchmark in benchmarks:
        prediction = predict_command_line(benchmark.command, codspeed, f"codspeed.yml benchmark `{benchmark.name}`")
        out.append(command_fact("codspeed.yml", benchmark.file, benchmark.line, benchmark.name, benchmark.command,
                                prediction))
def _runner_machine(step: Step, root: Path) -> ModelMachine:
    """The GitHub runner a step's job names (the developer-Mac model, with a note, for a self-hosted label)."""
    from sipdoctor.machines.select import job_machine, runner_choice

    choice = runner_choice(step.runs_on)
    assert choice is not None  # read_workflow keeps macOS legs only
    return job_machine(choice, step.setups, (str(root),))


def _task_commands(root: Path, ctx: Context, out: list[dict[str, Any]], problems: list[Problem]) -> None:
    found: list[TaskCommand] = []
    justfile = next((n for n in JUSTFILE_NAMES if (root / n).is_file()), "justfile")
    for name, reader in (("tox.ini", tox_commands), ("noxfile.py", nox_commands), (justfile, just_commands)):
        if (root / name).is_file():
            commands, trouble = reader(root / name)
            found.extend(commands)
            problems.extend(trouble)
    if (root / "pyproject.toml").is_file():
        scripts, unreadable = runner_commands(root)
        problems.extend(unreadable)
        found += [TaskCommand(tool, str(root / "pyproject.toml"), line, name, command, argv=tuple(command.split()))
                  for tool, name, line, command in scripts]
    for task in found:
        envs = tox_env_names(task.name) if task.source == "tox.ini" else []
        if task.argv is not None and envs:  # tox runs it with the env's bin first on PATH (chains.python_runners)
            bin_dir = root / ".tox" / envs[0] / "bin"
            argv, notes = from_env(task.argv, bin_dir)
            prediction = predict_argv(argv, ctx.prepend_path([str(bin_dir)]), f"{task.source} `{task.name}`")
            prediction = replace(prediction, notes=(*prediction.notes, *notes))
        elif task.argv is not None:
            prediction = predict_argv(task.argv, ctx, f"{task.source} `{task.name}`")
        else:
            prediction = predict_argv((*(task.shell or ("sh", "-c")), task.command), ctx,
                                      f"{task.source} recipe `{task.name}`")
        out.append(command_fact(task.source, task.file, task.line, task.name, task.command, prediction))
