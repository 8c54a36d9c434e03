"""`sipdoctor completion [SHELL] [--install]`: shell completion for bash, zsh and fish.

The script asks sipdoctor itself for the candidates (`_SIPDOCTOR_COMPLETE=complete_<shell>`, which cli.main
answers), so commands, options and choices complete as the installed version has them. `--install` writes the
script where the shell loads it (bash: ~/.bash_completions/sipdoctor.sh, sourced from ~/.bashrc; zsh:
~/.zfunc/_sipdoctor, with ~/.zshrc adding ~/.zfunc to fpath; fish: ~/.config/fish/completions/sipdoctor.fish).
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Annotated

import typer

PROG = "sipdoctor"
COMPLETE_VAR = "_SIPDOCTOR_COMPLETE"


class Shell(enum.StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


def completion(
    shell: Annotated[Shell | None, typer.Argument(help="bash, zsh or fish. Default: the one $SHELL names.",
                                                  show_default=False)] = None,
    install: Annotated[bool, typer.Option("--install", help="Install the script for SHELL (and say where).")]
    = False,
) -> int:
    """Print the shell completion script for SHELL, or install it with --install."""
    from typer._completion_classes import completion_init
    from typer._completion_shared import get_completion_script
    from typer._completion_shared import install as install_script

    chosen = shell or _shell_from_environment()
    completion_init()
    if install:
        _, path = install_script(shell=chosen.value, prog_name=PROG, complete_var=COMPLETE_VAR)
        typer.echo(f"{chosen.value} completion installed in {path}; it works in new shells", err=True)
        return 0
    typer.echo(get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=chosen.value))
    return 0


def _shell_from_environment() -> Shell:
    from sipdoctor.errors import ConfigError

    name = Path(os.environ.get("SHELL", "")).name
    try:
        return Shell(name)
    except ValueError:
        raise ConfigError(f"cannot tell the shell from SHELL={os.environ.get('SHELL', '')!r}: name it, e.g. "
                          "`sipdoctor completion zsh`") from None
