"""A rich progress bar that takes ``(message, fraction)`` callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reforge.cli.common import err_console


@contextmanager
def progress_bar(title: str, enabled: bool = True) -> Iterator[Callable[[str, float], None]]:
    """Yield a callback ``tick(message, fraction 0-1)`` drawing a bar on stderr."""
    if not enabled:
        yield lambda _m, _f: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err_console, transient=False) as p:
        task = p.add_task(title, total=1.0)

        def tick(msg: str, frac: float) -> None:
            p.update(task, completed=max(0.0, min(1.0, frac)), description=f"{title}: {msg}")
        yield tick
        p.update(task, completed=1.0, description=f"{title}: done")
