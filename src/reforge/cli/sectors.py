"""`reforge sectors …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="sectors commands", no_args_is_help=True)
