"""Option types shared by the commands, so every command spells them the same way."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer


class CheckFormat(enum.StrEnum):
    HUMAN = "human"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"
    MARKDOWN = "markdown"


class ReportFormat(enum.StrEnum):
    """For the commands whose report has no file and line to annotate (status, explain, scan, rules list)."""

    HUMAN = "human"
    JSON = "json"


class FailOn(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"


class Profiler(enum.StrEnum):
    GENERIC = "generic"
    CODSPEED = "codspeed"


class TraceFormat(enum.StrEnum):
    HUMAN = "human"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


class ColorMode(enum.StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class SipMode(enum.StrEnum):
    ON = "on"
    OFF = "off"
    DEBUG_OFF = "debug-off"


class Arch(enum.StrEnum):
    ARM64 = "arm64"
    X86_64 = "x86_64"


class Target(enum.StrEnum):
    HOST = "host"
    MACOS = "macos"
    LINUX = "linux"


def choices(values: type[enum.Enum]) -> str:
    """The metavar of a choice: its values, `[human|json]` (the same in every Typer version)."""
    return "[" + "|".join(str(member.value) for member in values) + "]"


CheckFormatOpt = Annotated[
    CheckFormat | None,
    typer.Option("--format", "-f", metavar=choices(CheckFormat),
                 help="Output format: human, json, github (workflow annotations), sarif (SARIF "
                 "2.1.0 for code scanning) or markdown (a job summary). Default: the configuration's, else human."),
]
TraceFormatOpt = Annotated[
    TraceFormat | None,
    typer.Option("--format", "-f", metavar=choices(TraceFormat),
                 help="Output format: human, json, github (workflow annotations) or sarif."),
]
ReportFormatOpt = Annotated[
    ReportFormat | None, typer.Option("--format", "-f", metavar=choices(ReportFormat),
                                help="Output format: human, or json (a stable object).")
]
ProfilerOpt = Annotated[
    Profiler, typer.Option("--profiler", metavar=choices(Profiler),
                           help="The profiler: codspeed re-injects its library for Node.js and Go.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print the verdict line only (and errors).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Also print the evidence behind each finding.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file instead of standard output.",
                 dir_okay=False, metavar="FILE"),
]
ColorOpt = Annotated[
    ColorMode, typer.Option("--color", metavar=choices(ColorMode),
                            help="Colour in human output: auto (honours NO_COLOR, off when piped).")
]
TargetOpt = Annotated[
    Target,
    typer.Option("--target", metavar=choices(Target),
                 help="Judge as on this OS: macos works from Linux too. Default: the host."),
]
SipOpt = Annotated[
    SipMode, typer.Option("--sip", metavar=choices(SipMode),
                          help="Assume SIP on, off, or debug-off (csrutil enable --without debug).")
]
ArchOpt = Annotated[
    Arch | None, typer.Option("--arch", metavar=choices(Arch),
                               help="The Mac's architecture: which slice runs (default arm64, Apple silicon).")
]
MachineOpt = Annotated[
    str | None,
    typer.Option("--machine", metavar="NAME",
                 help="Judge local commands on this machine model (`sipdoctor machines` lists them)."),
]
RootOpt = Annotated[
    Path | None,
    typer.Option("--root", metavar="DIR",
                 help="Judge on the Mac file system laid out under this directory (a mounted disk)."),
]


def target_platform(target: Target) -> str:
    """The OS to judge for: "macos" or "linux" (the host's when --target is host)."""
    from sipdoctor.system import host_platform

    return host_platform() if target == Target.HOST else target.value


def machine_name(name: str | None) -> str | None:
    """--machine: a shipped model's name (or `host`: this computer's files, even for --target macos)."""
    from sipdoctor.errors import ConfigError
    from sipdoctor.machines.select import UnknownMachine, model_machine

    if name is not None and name != "host":
        try:
            model_machine(name)
        except UnknownMachine as exc:
            raise ConfigError(f"--machine: {exc}") from exc
    return name


def root_dir(root: Path | None, machine: str | None = None) -> str | None:
    """--root: a directory laid out as a Mac's file system (never together with --machine)."""
    from sipdoctor.errors import ConfigError

    if root is not None and machine is not None:
        raise ConfigError("--machine and --root each name the machine to judge on: give one")
    if root is not None and not root.is_dir():
        raise ConfigError("--root: not a directory", path=root)
    return str(root.resolve()) if root is not None else None
