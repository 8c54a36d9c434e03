"""`sipdoctor scan path | shebangs DIR | project [DIR]`: the raw facts as tables (or JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sipdoctor.commands.options import (
    ColorMode,
    ColorOpt,
    MachineOpt,
    OutputOpt,
    Profiler,
    ProfilerOpt,
    ReportFormat,
    ReportFormatOpt,
    RootOpt,
    Target,
    TargetOpt,
    machine_name,
    root_dir,
    target_platform,
)

if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer(help="Print the facts sipdoctor collects: PATH, scripts' interpreters, the project's "
                            "commands.", no_args_is_help=True, rich_markup_mode=None)


def _judge(target_os: Target, machine: str | None, root: Path | None, shared: Path) -> Any:
    """The judge on the machine these facts are for (a model of a Mac off a Mac: docs/machines.md)."""
    from sipdoctor.binaries import Assumptions
    from sipdoctor.chains.context import Judge
    from sipdoctor.machines.select import local_machine
    from sipdoctor.system import host_platform

    target = target_platform(target_os)
    chosen = local_machine(target, host_platform(), machine=machine_name(machine), root=root_dir(root, machine),
                           shared=(str(shared.resolve()),)).machine
    return Judge(Assumptions(target=chosen.target, sip=chosen.sip.assumed if not chosen.is_host else "on",
                             arch=None if chosen.is_host else chosen.arch), None, chosen)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _show(tables: list[Table], color: ColorMode, output: Path | None) -> int:
    """The tables on the terminal, or as plain text in the file of -o."""
    from rich.console import Group

    from sipdoctor.commands.output import emit, plain_text
    from sipdoctor.render.terminal import make_console

    if output is not None:
        emit(plain_text(Group(*tables), width=160), output)
    else:
        console = make_console(color.value)
        for table in tables:
            console.print(table)
    return 0


def _emit(data: dict[str, Any], fmt: ReportFormat | None, output: Path | None) -> bool:
    """Print the JSON payload (schema: sipdoctor/schemas/scan-*.schema.json) and say so; False for a table."""
    if fmt == ReportFormat.JSON:
        from sipdoctor.commands.output import emit
        from sipdoctor.model import SCHEMA_VERSION

        emit(json.dumps({"schema_version": SCHEMA_VERSION, **data}, indent=2) + "\n", output)
        return True
    return False


@app.command("path")
def scan_path(fmt: ReportFormatOpt = None, output: OutputOpt = None, color: ColorOpt = ColorMode.AUTO,
              target_os: TargetOpt = Target.HOST, machine: MachineOpt = None, root: RootOpt = None) -> int:
    """PATH directories, how the commands that matter resolve, shadowing, and installed toolchains."""
    from sipdoctor.commands.progress import progress
    from sipdoctor.project.pathscan import collect_path_facts
    from sipdoctor.system import System

    judge = _judge(target_os, machine, root, Path.cwd())
    with progress("Reading PATH...", enabled=fmt != ReportFormat.JSON):
        facts = collect_path_facts(System.real(), judge.assumptions, judge, include_scripts=False)
    if _emit(facts, fmt, output):
        return 0
    path = facts["path"]
    return _show([
        _table("PATH", ["#", "directory", "exists", "protected", "duplicate of"],
               [[str(e["index"]), e["dir"], str(e["exists"]), str(e["protected"]),
                 "" if e["duplicate_of"] is None else str(e["duplicate_of"])] for e in path["entries"]]),
        _table("Commands", ["name", "runs", "verdict", "other candidates", "better later"],
               [[c["name"], c["winner"], c["winner_verdict"], ", ".join(x["path"] for x in c["candidates"][1:]),
                 c["shadowed"] or ""] for c in path["commands"]]),
        _table("Toolchains", ["tool", "installed", "where"],
               [[name, str(t["installed"]), str(t.get("path") or t.get("root") or "")]
                for name, t in facts["toolchains"].items() if isinstance(t, dict)]),
    ], color, output)


@app.command("shebangs")
def scan_shebangs(directory: Annotated[Path, typer.Argument(help="Directory whose executables to read.")],
                  fmt: ReportFormatOpt = None, output: OutputOpt = None, color: ColorOpt = ColorMode.AUTO) -> int:
    """Every executable under DIR that is a script, with its interpreter."""
    from sipdoctor.errors import InputError
    from sipdoctor.project.scripts import scan_scripts

    if not directory.is_dir():
        raise InputError("not a directory", path=directory)
    scan = scan_scripts(directory)
    data = {"executables": scan.executables, "problems": [p.to_json() for p in scan.problems]}
    if _emit(data, fmt, output):
        return 0
    return _show([_table(f"Executables under {directory}", ["path", "shebang", "env looks up"],
                         [[e["path"], e["shebang"] or "(binary)", e["env_name"] or ""] for e in scan.executables]),
                  *_problems(data["problems"])], color, output)


@app.command("project")
def scan_project(directory: Annotated[Path, typer.Argument(help="Project directory.")] = Path("."),
                 fmt: ReportFormatOpt = None, output: OutputOpt = None, color: ColorOpt = ColorMode.AUTO,
                 target_os: TargetOpt = Target.HOST, profiler: ProfilerOpt = Profiler.GENERIC,
                 machine: MachineOpt = None, root: RootOpt = None) -> int:
    """The project's commands (package.json, Makefile, workflows, tox, nox, just) and where each strips."""
    from sipdoctor.commands.progress import progress
    from sipdoctor.errors import InputError
    from sipdoctor.project.facts import collect_project_facts
    from sipdoctor.system import System

    if not directory.is_dir():
        raise InputError("not a directory", path=directory)
    judge = _judge(target_os, machine, root, directory)
    with progress("Reading the project...", enabled=fmt != ReportFormat.JSON):
        facts = collect_project_facts(directory, System.real(), judge.assumptions, profiler.value, judge)
    if _emit(facts, fmt, output):
        return 0
    return _show([
        _table(f"Commands in {facts['project']}", ["source", "where", "name", "runs as", "verdict", "stripped at"],
               [[c["source"], f"{c['file']}:{c['line']}", c["name"], c["run_as"], c["verdict"],
                 ", ".join(dict.fromkeys(h["path"] for h in c["stripped_hops"]))] for c in facts["commands"]]),
        _table("Virtual environments", ["venv", "home", "bin/python runs", "verdict"],
               [[v["path"], str(v["home"]), i["runs"], i["verdict"]] for v in facts["venvs"]
                for i in v["interpreters"]]),
        *_problems(facts["problems"]),
    ], color, output)


def _problems(problems: list[dict[str, Any]]) -> list[Table]:
    if not problems:
        return []
    return [_table("Problems", ["file", "line", "message"],
                   [[p["file"], "" if p["line"] is None else str(p["line"]), p["message"]] for p in problems])]
