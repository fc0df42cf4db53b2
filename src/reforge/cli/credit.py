"""`reforge credit …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="credit commands", no_args_is_help=True)
