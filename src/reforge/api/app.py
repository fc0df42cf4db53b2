"""The FastAPI application: REST API under ``/api/v1`` and the dashboard at ``/``."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from reforge.api.auth import RateLimiter
from reforge.api.capabilities import NotAvailable
from reforge.api.db import Database
from reforge.api.routers import auth, chains, credit, enterprises, health, imports, policy, sectors, tiers
from reforge.engine.base import EngineError
from reforge.errors import ReforgeError

API = "/api/v1"


def create_app(db_path: str | Path, login_limit: int = 10, login_window: float = 60.0) -> FastAPI:
    """The app serving ``db_path`` (opened read-write; created with the schema if missing).

    ``login_limit`` attempts per ``login_window`` seconds per client and user name
    are allowed at ``POST /api/v1/auth/token``.
    """
    db = Database(db_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        db.close()

    app = FastAPI(title="Reforge API", version="1", lifespan=lifespan,
                  openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None,
                  description="Decision support for industrial foundation reconstruction. "
                              "Authenticate with `POST /api/v1/auth/token` and send "
                              "`Authorization: Bearer <token>`.")
    app.state.db = db
    app.state.login_limiter = RateLimiter(login_limit, login_window)
    app.state.policy_runs = {}

    for r in (health, auth, enterprises, chains, tiers, policy, credit, sectors, imports):
        app.include_router(r.router, prefix=API)

    @app.get(f"{API}/docs", include_in_schema=False)
    async def _docs() -> HTMLResponse:
        """Swagger UI served from the app's own static files (the machine may be offline)."""
        return get_swagger_ui_html(openapi_url=f"{API}/openapi.json", title="Reforge API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/favicon.png")

    @app.exception_handler(NotAvailable)
    async def _na(request: Request, exc: NotAvailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "feature": exc.feature}, status_code=501)

    @app.exception_handler(ReforgeError)
    async def _user_error(request: Request, exc: ReforgeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(EngineError)
    async def _engine_error(request: Request, exc: EngineError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    from reforge.web.pages import mount_web
    mount_web(app)
    return app
