"""The FastAPI application: REST API under ``/api/v1`` and the dashboard at ``/``."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from reforge.api.auth import LoginGuard
from reforge.api.contract import check_secret_key, install_contract
from reforge.api.db import Database
from reforge.api.headers import SecurityHeadersMiddleware, nonce_inline_scripts
from reforge.api.lang import LangMiddleware
from reforge.api.limits import KB, MB, BodyLimitMiddleware, default_limits
from reforge.api.overload import AnalysisGate, OverloadMiddleware, TokenBucket
from reforge.api.routers import appraise as appraise_routes
from reforge.api.routers import auth, chains, credit, enterprises, health, imports, policy, sectors, tiers
from reforge.api.routers import loop as loop_routes
from reforge.api.routers import match as match_routes
from reforge.api.routers import projects as project_routes
from reforge.api.routers import research as research_routes

API = "/api/v1"


def _pick(value: float | None, setting: float | None, default: float) -> float:
    """``value`` when given, else the setting (``$REFORGE_<NAME>``) when set, else ``default``."""
    return value if value is not None else setting if setting is not None else default


GC_THRESHOLDS = (50_000, 20, 100)
"""The server's garbage-collector thresholds (CPython's default is 700, 10, 10)."""


def tune_gc() -> None:
    """Collect cyclic garbage less often, and leave the objects of the start-up out of it.

    An analysis allocates hundreds of thousands of small containers (rows, messages, proposals);
    with the default thresholds the collector ran dozens of times per page, each older-generation
    pass walking every object of the process. Measured on the 20,000-firm demo: the consortium
    proposals 1.17-1.35 s -> 0.89-0.97 s and their JSON 0.15-0.24 s -> 0.08-0.10 s. Garbage without
    cycles is freed at once as before; cycles wait a little longer. Called by ``reforge serve`` (a
    process that only serves), not by ``create_app``: a test process starts many servers."""
    import gc
    gc.collect()
    gc.freeze()   # what the start-up loaded stays: no collection needs to walk it
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(db_path: str | Path, login_limit: int = 10, login_window: float = 60.0, *,
               import_max_bytes: int | None = None, body_max_bytes: int | None = None,
               login_max_bytes: int | None = None, analysis_workers: int | None = None,
               analysis_queue: int | None = None, analysis_rate: float | None = None,
               analysis_burst: float | None = None, analysis_max_wait: float | None = None,
               login_per_ip: int | None = None, warm_pages: bool | None = None,
               login_global: int | None = None, login_hashing: int | None = None,
               trusted_proxies: str | None = None) -> FastAPI:
    """The app serving ``db_path`` (opened read-write; created with the schema if missing).

    ``login_limit`` attempts per ``login_window`` seconds per client and user name, ``login_per_ip``
    per client (default 3 x ``login_limit``) and ``login_global`` over all clients (default 120)
    are allowed at ``POST /api/v1/auth/token`` and ``/login``, checked before any password hash;
    ``login_hashing`` hashes run at once (default 2). ``trusted_proxies``: addresses whose
    ``X-Forwarded-For`` names the client (``$REFORGE_TRUSTED_PROXIES``; default none).
    Limits (each also from ``$REFORGE_<NAME>``):
    request bodies in bytes (imports 200 MiB, login forms 16 KiB, everything else 1 MiB);
    analyses run at most ``analysis_workers`` at once (default: CPU count) with
    ``analysis_queue`` more waiting (default 4 per worker), and ``analysis_rate`` per second
    per account with bursts of ``analysis_burst`` (defaults 4 and 40); none waits for a slot
    longer than ``analysis_max_wait`` seconds (default 0.5; 503 + Retry-After instead).
    ``warm_pages`` (default on): a background thread computes the heavy pages' results after the
    start and after every data change (``reforge.web.warm``).
    """
    from reforge.settings import get_settings
    conf = get_settings()  # every $REFORGE_* limit, validated (a bad value: InvalidInput config.invalid)
    check_secret_key()
    db = Database(db_path)
    warmer = None
    if _pick(warm_pages, conf.warm_pages, True):
        from reforge.web.warm import PageWarmer
        warmer = PageWarmer(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from reforge.match.text import load_tokenizer
        load_tokenizer()   # before serving: a page that matches texts does not wait for the dictionary
        if warmer is not None:
            warmer.start()
        yield
        if warmer is not None:
            warmer.stop()
        db.close()

    app = FastAPI(title="Reforge API", version="1", lifespan=lifespan,
                  openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None,
                  description="Decision support for industrial foundation reconstruction. "
                              "Authenticate with `POST /api/v1/auth/token` and send "
                              "`Authorization: Bearer <token>`.")
    app.state.db = db
    app.state.warmer = warmer
    # logins: per (client, name), per client and over all clients before any hash; X-Forwarded-For
    # only from ``trusted_proxies`` (comma-separated addresses/networks, default none)
    app.state.login_guard = LoginGuard(
        login_limit, int(_pick(login_per_ip, conf.login_per_ip, 3 * login_limit)),
        int(_pick(login_global, conf.login_global, 120)), login_window,
        int(_pick(login_hashing, conf.login_hashing, 2)),
        trusted_proxies=trusted_proxies if trusted_proxies is not None else conf.trusted_proxies)

    workers = int(_pick(analysis_workers, conf.analysis_workers, os.cpu_count() or 1))
    limits = default_limits(int(_pick(import_max_bytes, conf.import_max_bytes, 200 * MB)),
                            int(_pick(body_max_bytes, conf.body_max_bytes, 1 * MB)),
                            int(_pick(login_max_bytes, conf.login_max_bytes, 16 * KB)))
    gate = AnalysisGate(workers, int(_pick(analysis_queue, conf.analysis_queue, 4 * workers)),
                        _pick(analysis_max_wait, conf.analysis_max_wait, 0.5))
    bucket = TokenBucket(_pick(analysis_rate, conf.analysis_rate, 4.0), _pick(analysis_burst, conf.analysis_burst, 40.0))
    app.state.body_limits, app.state.analysis_gate, app.state.analysis_bucket = limits, gate, bucket
    # outermost first: headers on every response (even ServerErrorMiddleware's 500), then the
    # request's language, then body limits before anything reads a body, then the analysis gate
    app.add_middleware(OverloadMiddleware, gate=gate, bucket=bucket)
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    app.add_middleware(LangMiddleware)  # the request's language; /api/ JSON rendered in it
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeadersMiddleware(build())  # type: ignore[method-assign]

    for r in (health, auth, enterprises, chains, tiers, policy, credit, sectors, imports, appraise_routes,
              match_routes, project_routes, research_routes,
              loop_routes):
        app.include_router(r.router, prefix=API)

    @app.get(f"{API}/docs", include_in_schema=False)
    async def _docs() -> HTMLResponse:
        """Swagger UI served from the app's own static files (the machine may be offline).

        Its one inline script runs under a per-response CSP nonce.
        """
        page = get_swagger_ui_html(openapi_url=f"{API}/openapi.json", title="Reforge API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/favicon.png")
        html, csp = nonce_inline_scripts(bytes(page.body).decode())
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    install_contract(app)  # 422 bodies as validation arrays, Allow on 405, 401/403/404 documented

    from reforge.web.pages import mount_web
    mount_web(app)
    return app
