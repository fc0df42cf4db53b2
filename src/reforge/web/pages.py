"""Dashboard pages: server-rendered Jinja2 with HTMX partials, served by the API app at ``/``.

Sign-in sets an HttpOnly, SameSite=Strict cookie holding the same access token
the API issues; the language (``en``/``zh``) is a cookie set by ``/lang/{code}``.
Pages call the same functions as the API (``reforge.api.services`` and
``reforge.api.enterprise_queries``). This module wires them: one router per page group
(``auth_pages``, ``overview_pages``, ``chain_pages``, ``enterprise_pages``, ``tier_pages``,
``credit_pages``, ``policy_pages``, ``sector_pages``, ``data_pages``, ``appraise_pages``,
``research_pages``, ``projects_pages``, ``loop_pages``, ``outcome_pages``), the static files and the handlers of the
page exceptions; the shared machinery is :mod:`reforge.web.render` (re-exported here for older imports).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from reforge.api.deps import optional_user
from reforge.web import csrf
from reforge.web.render import (  # noqa: F401 - re-exported: the page modules' names before the split
    CSRF,
    HERE,
    AnalystUser,
    BadRequest,
    DBDep,
    Forbidden,
    LoginRequired,
    PageUser,
    cached,
    cap,
    lang_of,
    render,
    scoped,
    templates,
    url_with,
)

# ---- wiring --------------------------------------------------------------------------------------

def mount_web(app: FastAPI) -> None:
    """Add the pages, the static files and the login/forbidden handlers to ``app``."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from reforge.web import (
        auth_pages,
        chain_pages,
        data_pages,
        enterprise_pages,
        overview_pages,
        sector_pages,
        tier_pages,
    )
    for mod in (auth_pages, overview_pages, chain_pages, enterprise_pages, tier_pages, sector_pages, data_pages):
        app.include_router(mod.router)
    from reforge.web.appraise_pages import router as appraise_router  # the /appraise page
    app.include_router(appraise_router)
    from reforge.web.policy_pages import router as policy_router  # the /policy page and stored runs
    app.include_router(policy_router)
    from reforge.web.credit_pages import router as credit_router  # /credit/report
    app.include_router(credit_router)
    from reforge.web.projects_pages import router as projects_router  # /loop/projects, /loop/board
    app.include_router(projects_router)
    from reforge.web.research_pages import router as research_router  # the /research page
    app.include_router(research_router)
    from reforge.web.match_pages import router as match_router  # the /match page
    app.include_router(match_router)
    from reforge.web.loop_pages import router as loop_router  # /loop/leaders and the chain sparklines
    app.include_router(loop_router)
    from reforge.web.outcome_pages import router as outcome_router  # /loop/outcome
    app.include_router(outcome_router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        nxt = quote(request.url.path, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": f"/login?next={nxt}"})
        return RedirectResponse(f"/login?next={nxt}", status_code=303)

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, exc: BadRequest) -> Response:
        user = await optional_user(request, request.app.state.db)
        name = "partials/message.html" if request.headers.get("hx-request") else "error.html"
        return render(request, name, user, status_code=422, message=exc.key, params=exc.params)

    @app.exception_handler(csrf.CsrfFailed)
    async def _csrf_failed(request: Request, exc: csrf.CsrfFailed) -> Response:
        user = await optional_user(request, request.app.state.db)
        name = "partials/message.html" if request.headers.get("hx-request") else "error.html"
        return render(request, name, user, status_code=403, message="common.csrf_failed")

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        user = await optional_user(request, request.app.state.db)
        return render(request, "error.html", user, status_code=403, message="common.forbidden")
