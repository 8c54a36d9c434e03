"""Errors that the CLI's single boundary turns into a message and an exit code."""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class SipdoctorError(Exception):
    """A problem the user can fix; printed without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.located())

    def located(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class ConfigError(SipdoctorError):
    """Bad configuration (.sipdoctor.toml, [tool.sipdoctor], command-line options)."""


class RuleError(SipdoctorError):
    """A rule file that cannot be loaded or validated."""


class InputError(SipdoctorError):
    """An explicit input (a target file, a project file) that cannot be used."""
