"""The Typer commands, one module per command."""
