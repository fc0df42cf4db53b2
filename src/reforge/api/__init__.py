"""REST API (FastAPI, ``/api/v1``): ``create_app(db_path)``.

``create_app`` is imported on first use (PEP 562), so that the CLI's account commands, which use
``reforge.api.auth`` only, do not load FastAPI, pandas and every router at start-up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from reforge.api.app import create_app
        return create_app
    raise AttributeError(f"module 'reforge.api' has no attribute {name!r}")
