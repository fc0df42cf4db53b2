"""Settings: every ``REFORGE_*`` environment variable, read in one place.

:func:`get_settings` returns the :class:`~reforge.settings.model.Settings` of the current
environment (a pydantic-settings class, imported on first use so that ``reforge --help``
loads no pydantic). The object is cached per set of ``REFORGE_*`` values, so a changed
variable (``monkeypatch.setenv`` in a test, ``--spark-master`` written by the CLI) is seen
by the next call. A bad value raises :class:`~reforge.errors.InvalidInput` with code
``config.invalid`` naming the variable. The table of variables is docs/settings.md.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reforge.settings.model import Settings

ENV_PREFIX = "REFORGE_"


def get_settings() -> Settings:
    """The settings of the current environment (validated; cached per ``REFORGE_*`` values)."""
    snapshot = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    return _load(snapshot)


@lru_cache(maxsize=16)
def _load(snapshot: tuple[tuple[str, str], ...]) -> Settings:
    from reforge.settings.model import load
    return load(dict(snapshot))


__all__ = ["ENV_PREFIX", "get_settings"]
