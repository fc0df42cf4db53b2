"""REST API (FastAPI, ``/api/v1``): ``create_app(db_path)``."""

from reforge.api.app import create_app

__all__ = ["create_app"]
