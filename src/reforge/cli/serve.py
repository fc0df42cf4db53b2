"""`reforge serve`, `reforge users …`, `reforge tokens …` (filled in by the web/API issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the serve/users/tokens commands to the root app."""
