"""`reforge firms …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="firms commands", no_args_is_help=True)
