"""Where a report goes (standard output, or the file of `-o/--output`), and the inputs of the SARIF renderer
that come from outside the result: the package's version and URLs, the built-in rules, the files to be edited."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sipdoctor.errors import InputError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sipdoctor.advice.loader import RuleSet
    from sipdoctor.model import FileEdit, Finding
    from sipdoctor.render.sarif import Tool


def emit(text: str, output: Path | None, stream: TextIO | None = None) -> None:
    """Write the report to `output` (replacing the file), else to `stream` (standard output by default)."""
    if output is None:
        target = stream or sys.stdout
        target.write(text)
        target.flush()
        return
    try:
        if output.is_dir():
            raise IsADirectoryError(21, "is a directory")
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=output) from exc


def plain_text(renderable: RenderableType, width: int = 100) -> str:
    """A Rich renderable as plain text (no colour, no escape codes): human output written to a file."""
    from rich.console import Console

    console = Console(no_color=True, width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable, crop=False)
    return console.export_text()


def project_urls() -> dict[str, str]:
    """The `[project.urls]` of the installed package (empty when it is run from a tree that is not installed)."""
    from importlib import metadata

    try:
        entries = metadata.metadata("sipdoctor").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    return {name.strip(): url.strip() for name, _, url in (e.partition(",") for e in entries)}


def sarif_tool(ruleset: RuleSet) -> Tool:
    from sipdoctor import __version__
    from sipdoctor.advice.loader import builtin_rules_dir
    from sipdoctor.render.sarif import Tool

    urls = project_urls()
    builtin = str(builtin_rules_dir()) + os.sep
    return Tool(version=__version__, information_uri=urls.get("Homepage"), rules_doc_uri=urls.get("Rules"),
                builtin_rules=frozenset(r.id for r in ruleset.rules if r.source.startswith(builtin)))


def edit_changes(project: Path | None, findings: Sequence[Finding]) -> dict[FileEdit, tuple[str, str]]:
    """Each edit of the findings with its file's text before and after it (what `check --fix` would write)."""
    from sipdoctor.fix import preview_edit

    if project is None:
        return {}
    changes: dict[FileEdit, tuple[str, str]] = {}
    for finding in findings:
        for remedy in finding.remediations:
            if remedy.edit is not None and remedy.edit not in changes:
                preview = preview_edit(project, remedy.edit)
                if preview is not None:
                    changes[remedy.edit] = preview
    return changes


def sarif_report(findings: Sequence[Finding], ruleset: RuleSet, project: Path | None) -> str:
    from sipdoctor.render.sarif import locate, sarif

    root_uri = project.as_uri().rstrip("/") + "/" if project is not None else None
    return sarif(locate(findings, project), ruleset.rules, sarif_tool(ruleset), root_uri=root_uri,
                 changes=edit_changes(project, findings))


def verbosity(quiet: bool, verbose: bool) -> int:
    """-1 for --quiet, 1 for --verbose, 0 otherwise; both at once is a usage error."""
    from sipdoctor.errors import ConfigError

    if quiet and verbose:
        raise ConfigError("--quiet and --verbose cannot be used together")
    return -1 if quiet else 1 if verbose else 0
