"""Shared machinery of the dashboard pages: templates, the signed-in user dependencies, the
language, ``cap`` (a capability call that never raises), ``cached`` (per data change),
``render`` (a template with the language helpers), and the region scope and export helpers of
the table pages. The pages themselves live in one module per page group (``*_pages.py``);
``reforge.web.pages`` wires them into the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from reforge import messages
from reforge.api.auth import User
from reforge.api.db import Database
from reforge.api.deps import get_db, optional_user, region_scope
from reforge.engine.base import Engine, EngineError
from reforge.errors import ReforgeError
from reforge.web import csrf, glossary, names, views
from reforge.web.embed import script_json
from reforge.web.i18n import DEFAULT_LANG, LANGS, name_of, t, t_or

log = logging.getLogger("reforge.web")
HERE = Path(__file__).resolve().parent
# Jinja2's i18n extension: templates write ``_("code")``; ``_`` calls the render context's
# ``gettext`` (``render`` sets it to the page language's ``t``), so one environment serves both
# languages at once. Autoescaping on, as Starlette's default environment.
templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                                                   autoescape=True, extensions=["jinja2.ext.i18n"]))


def router_for() -> APIRouter:
    """A router for a page module (pages stay out of the API's OpenAPI document)."""
    return APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in."""


class Forbidden(Exception):
    """Raised when the signed-in role may not see a page."""


class BadRequest(Exception):
    """A query parameter out of bounds: the page answers 422 with the message ``key``."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def lang_of(request: Request) -> str:
    """The page language from the ``lang`` cookie (or ``?lang=``)."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


async def page_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user, else a redirect to the login page."""
    if user is None:
        raise LoginRequired()
    return user


async def analyst_user(user: Annotated[User, Depends(page_user)]) -> User:
    """An analyst or admin, else the 403 page."""
    if user.role not in ("analyst", "admin"):
        raise Forbidden()
    return user


PageUser = Annotated[User, Depends(page_user)]
AnalystUser = Annotated[User, Depends(analyst_user)]
DBDep = Annotated[Database, Depends(get_db)]


def cap(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """Run a capability call for a page: ``{"ok", "data", "error", "na"}`` (never raises)."""
    try:
        return {"ok": True, "data": fn(*args, **kwargs), "error": None, "na": False}
    except (ReforgeError, EngineError, ValueError) as e:  # a user-level condition, e.g. no model trained
        return {"ok": False, "data": None, "error": str(e), "na": False}
    except Exception as e:  # noqa: BLE001 - a page shows the error instead of failing
        log.exception("capability call failed")
        return {"ok": False, "data": None, "error": f"{type(e).__name__}: {e}", "na": False}


def cached(db: Database, e: Engine, key: tuple, fn: Callable[[], Any], persist: bool = False) -> Any:
    """``fn()`` memoised while the analysed data is unchanged (``Database.data_cached``); a
    failed capability call (``cap`` with ok false) is not kept. ``persist`` (the heavy page
    results: seconds of work each) also keeps it on disk across server restarts."""
    return db.data_cached(e, key, fn, keep=lambda v: not (isinstance(v, dict) and v.get("ok") is False),
                          persist=persist)


def analysis_memo(db: Database, e: Engine) -> dict:
    """A dict the library's analyses share across requests while the analysed data are unchanged:
    each chain's bottlenecks (overview, chain pages, item lists, boards, portfolio) and the item
    labels (boards, research), as ``memo`` of ``chain.metrics.shared_bottlenecks``. Objects, not
    JSON: kept in memory only (a new dict after every data change)."""
    return db.data_cached(e, ("analysis_memo",), dict)


def url_with(request: Request, path: str | None = None, **changes: Any) -> str:
    """This page's URL with query parameters changed (None or "" removes one), for sort, page and
    export links that keep the other filters."""
    q = {k: v for k, v in request.query_params.items() if k not in ("lang", "format", "export")}
    for k, v in changes.items():
        if v is None or v == "":
            q.pop(k, None)
        else:
            q[k] = str(v)
    return (path or request.url.path) + (f"?{urlencode(q)}" if q else "")


def render(request: Request, name: str, user: User | None, status_code: int = 200, **kw: Any) -> HTMLResponse:
    """Render a template with the language helpers in its context."""
    lang = lang_of(request)

    def tr(key: str, **fmt: Any) -> str:
        return t(key, lang, **fmt)

    def tr_or(key: str, fallback: Any) -> str:
        return t_or(key, lang, str(fallback))

    def nm(obj: dict | None, key: str = "name") -> str:
        return name_of(obj, lang, key)

    def cond(f: dict) -> str:
        return names.condition_text(f, lang)

    def reasons_of(r: dict, key: str = "reasons", codes: str = "reason_codes") -> list[str]:
        """A result row's reasons (``key``) in the page language: rendered from ``codes`` when
        the row carries them, else the texts as they are."""
        coded = r.get(codes)
        if not coded:
            return [str(x) for x in r.get(key) or []]
        return [messages.render_coded(c, lang) for c in coded]

    ctx = {"request": request, "user": user, "lang": lang, "gettext": tr, "t": tr, "t_or": tr_or, "nm": nm,
           "other_lang": "zh" if lang == "en" else "en", "path": request.url.path,
           "qs": quote(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""), safe=""),
           "tojson": script_json, "fmt": views.fmt, "csrf": csrf.token_for(request), "cond": cond, "reasons_of": reasons_of,
           "region": lambda c: names.region_name(c, lang), "industry": lambda c: names.industry_name(c, lang),
           "country": lambda c: names.country(c, lang), "link": lambda **ch: url_with(request, **ch),
           "tip": lambda k: glossary.tooltip(str(k), lang), "tip_id": lambda k: glossary.TOOLTIPS.get(str(k), ""),
           **kw}
    resp = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    csrf.set_cookie(request, resp)
    if request.query_params.get("lang") in LANGS:
        resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return resp


CSRF = [Depends(csrf.require_csrf)]


# ---- region scope and exports of the table pages --------------------------------------------------------------

def named_firms(e: Any, r: dict) -> dict:
    """A capability result with firm names set on its rows (for tables showing names beside USCCs)."""
    if r["ok"]:
        names.add_firm_names(e, views.records(r["data"]))
    return r


def account_scope(e: Engine, user: User) -> tuple[str, set[str]] | None:
    """The account's region and the USCCs in it, or None for an unscoped account."""
    from reforge.region import region_firms
    region = region_scope(user)
    return (region, region_firms(e, region)) if region else None


def scoped(r: dict, scope: tuple[str, set[str]] | None, lang: str = DEFAULT_LANG) -> dict:
    """A ``cap`` result as a region-bound account sees it (``reforge.api.scope``); a result of
    aggregates only (cohorts) becomes "withheld" for such an account."""
    if scope is None or not r["ok"]:
        return r
    from reforge.api.scope import scope_result
    data = scope_result(r["data"], *scope)
    if isinstance(data, dict) and data.get("scope", {}).get("withheld") and not views.records(data):
        return {"ok": False, "data": None, "na": False, "error": messages.render("scope.withheld", None, lang), "code": "scope.withheld"}
    return {**r, "data": data}


def export_format(request: Request) -> str | None:
    fmt = request.query_params.get("format")
    if fmt is None:
        return None
    if fmt not in ("xlsx", "csv"):
        raise BadRequest("export.bad_format")
    return fmt
