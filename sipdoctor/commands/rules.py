"""`sipdoctor rules list | show ID | validate FILES | docs`: the YAML rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sipdoctor.commands.options import OutputOpt, ReportFormat, ReportFormatOpt
from sipdoctor.errors import EXIT_OK, EXIT_USAGE, ConfigError

app = typer.Typer(help="List, show and validate the YAML rules.", no_args_is_help=True, rich_markup_mode=None)
RulesOpt = Annotated[
    list[Path] | None, typer.Option("--rules", metavar="PATH", help="Extra rule file or directory (repeatable).")
]


@app.command("list")
def rules_list(rules: RulesOpt = None, fmt: ReportFormatOpt = None, output: OutputOpt = None) -> int:
    """List every rule: ID, severity, title and where it comes from."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.commands.output import emit
    from sipdoctor.render import rules as render

    ruleset = load_rules(rules or [])
    emit((render.to_json(ruleset) if fmt == ReportFormat.JSON else render.table(ruleset)) + "\n", output)
    return 0


@app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="Rule ID, e.g. SIP001.")],
    rules: RulesOpt = None,
) -> int:
    """Show one rule in full: condition, message, remediations, references."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.render import rules as render

    ruleset = load_rules(rules or [])
    rule = ruleset.get(rule_id.upper())
    if rule is None:
        raise ConfigError(f"no rule {rule_id!r} (see `sipdoctor rules list`)")
    typer.echo(render.detail(rule))
    return 0


@app.command("validate")
def rules_validate(
    files: Annotated[list[Path], typer.Argument(help="Rule files or directories to validate.")],
) -> int:
    """Validate rule files: exit 0 when every file is valid, 2 with the first error of each bad file.

    Each rule is also evaluated on its `example` facts, so a rule that would fail during `check` is caught here."""
    from sipdoctor.advice.engine import evaluate_all
    from sipdoctor.advice.loader import load_file, rule_files
    from sipdoctor.errors import RuleError

    failed = False
    for location in files:
        try:
            paths = rule_files(location)
            if not paths:
                raise RuleError("no rule files (*.yml, *.yaml) here", path=location)
        except RuleError as exc:
            typer.echo(f"sipdoctor: error: {exc.located()}", err=True)
            failed = True
            continue
        for path in paths:  # every file of a directory, even after a bad one
            try:
                rules = load_file(path)
            except RuleError as exc:
                typer.echo(f"sipdoctor: error: {exc.located()}", err=True)
                failed = True
                continue
            failures = [f for r in rules if r.example is not None for f in evaluate_all([r], r.example)[1]]
            for failure in failures:
                typer.echo(f"sipdoctor: error: {failure.source}: rule {failure.rule} fails on its example facts: "
                           f"{failure.message}", err=True)
            failed = failed or bool(failures)
            if not failures:
                typer.echo(f"{path}: {len(rules)} rules OK")
    return EXIT_USAGE if failed else EXIT_OK


@app.command("docs")
def rules_docs(rules: RulesOpt = None) -> int:
    """Print the built-in (and --rules) rules as Markdown: the source of docs/rules.md."""
    from sipdoctor.advice.loader import load_rules
    from sipdoctor.render.rulesdoc import markdown

    typer.echo(markdown(load_rules(rules or [], include_user=False)), nl=False)
    return 0
