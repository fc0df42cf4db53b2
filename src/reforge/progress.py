"""Progress reporting of the library: a callback ``tick(message, fraction)`` that the faces
render (a rich bar in the CLI, nothing in the API). The library never draws progress itself.

``fraction`` runs from 0 to 1; ``message`` is a short English label of the current step.
"""

from __future__ import annotations

from collections.abc import Callable

Tick = Callable[[str, float], None]


def _silent(_message: str, _fraction: float) -> None:
    return None


def tick_of(progress: Tick | bool | None) -> Tick:
    """The callback to call: ``progress`` itself when callable, else a no-op. A ``bool``
    (the former "draw a bar" switch) is accepted and ignored: the face that wants a bar passes
    its own callback."""
    return progress if callable(progress) else _silent
