"""`reforge loop …` commands: closing the loop from chokepoint to fix."""

from __future__ import annotations

import typer

app = typer.Typer(help="Closing the loop: tackling projects and item boards from chokepoint to fix.",
                  no_args_is_help=True)

from reforge.cli.loop_projects import register  # noqa: E402 - the group exists before commands join it

register(app)
