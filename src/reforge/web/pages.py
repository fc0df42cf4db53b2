"""Dashboard pages: server-rendered Jinja2 with HTMX partials, served by the API app at ``/``.

Sign-in sets an HttpOnly, SameSite=Strict cookie holding the same access token
the API issues; the language (``en``/``zh``) is a cookie set by ``/lang/{code}``.
Pages call the same functions as the API (``reforge.api.services`` and
``reforge.api.enterprise_queries``); a capability that has not landed shows
"not available yet" instead of failing the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from reforge import messages
from reforge.api import enterprise_queries as eq
from reforge.api import services as sv
from reforge.api.auth import ACCESS_TOKEN_SECONDS, User, create_access_token
from reforge.api.contract import MAX_PAGE
from reforge.api.db import Database
from reforge.api.deps import COOKIE, get_db, optional_user, region_scope, revoke_session
from reforge.chain.metrics import LABELS
from reforge.engine.base import Engine, EngineError
from reforge.errors import ReforgeError
from reforge.schema.tables import DATA_TABLES
from reforge.web import charts, csrf, glossary, names, tables, views
from reforge.web.embed import script_json
from reforge.web.i18n import DEFAULT_LANG, LANGS, name_of, t, t_or

log = logging.getLogger("reforge.web")
HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


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


def cached(db: Database, e: Engine, key: tuple, fn: Callable[[], Any]) -> Any:
    """``fn()`` memoised while the analysed data is unchanged (``Database.data_cached``); a
    failed capability call (``cap`` with ok false) is not kept."""
    return db.data_cached(e, key, fn, keep=lambda v: not (isinstance(v, dict) and v.get("ok") is False))


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

    ctx = {"request": request, "user": user, "lang": lang, "t": tr, "t_or": tr_or, "nm": nm,
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


# ---- sign-in and language ------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", None, next=next if next.startswith("/") else "/", error=None)


CSRF = [Depends(csrf.require_csrf)]


@router.post("/login", dependencies=CSRF)
def login_submit(request: Request, db: DBDep, username: Annotated[str, Form()] = "",
                 password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    from reforge.api.auth import LoginRefused
    from reforge.api.routers.auth import login_guard
    if not username or not password or len(username) > 64 or len(password) > 256:
        return render(request, "login.html", None, status_code=401, next=next, error="login.failed")
    try:  # limited per client/name, per client and globally before any hash (see LoginGuard)
        user = login_guard(request).login(db.reader, request.client.host if request.client else None,
                                          request.headers.get("x-forwarded-for"), username, password)
    except LoginRefused as r:
        resp = render(request, "login.html", None, status_code=r.status, next=next, error=r.code)
        resp.headers["Retry-After"] = str(r.retry_after)
        return resp
    if user is None:
        return render(request, "login.html", None, status_code=401, next=next, error="login.failed")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, create_access_token(user), max_age=ACCESS_TOKEN_SECONDS,
                    httponly=True, samesite="strict")
    return resp


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """A page with the sign-out button (signing out is a POST: a link or image cannot do it)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", user)


@router.post("/logout", dependencies=CSRF)
def logout(request: Request, db: DBDep, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """Revoke the session's token server-side, clear the cookie, go to the login page."""
    token = request.cookies.get(COOKIE)
    if user is not None and token:
        revoke_session(db, token, user.username)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/lang/{code}")
def set_lang(code: str, next: str = "/") -> Response:
    resp = RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", status_code=303)
    resp.set_cookie("lang", code if code in LANGS else DEFAULT_LANG, max_age=365 * 86400, samesite="lax")
    return resp


# ---- overview ------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: PageUser, db: DBDep) -> Response:
    if user.role == "enterprise":
        return RedirectResponse(f"/enterprises/{user.uscc}", status_code=303)
    with db.reader() as e:
        scope = _scope(e, user)  # a region-bound account: its region's firms, counts and warnings
        counts = views.key_counts(e, scope[0] if scope else None)
        ind = sv.indicators(e, None, None)
        chain_list = sv.list_chains(e)
        glance = []
        for c in chain_list:
            b = cached(db, e, ("bottlenecks", c["chain_id"]), lambda c=c: cap(sv.bottlenecks, e, c["chain_id"]))
            glance.append({**c, "labels": views.label_counts(b["data"]) if b["ok"] else None,
                           "na": b["na"], "error": b["error"]})
        warn = cached(db, e, ("warnings",), lambda: _named(e, cap(sv.warnings, e, None)))  # the tiers page shares it
    lang = lang_of(request)
    warn = scoped(warn, scope, lang)
    ind_charts = views.indicator_charts(ind, lambda k, fb: t_or(k, lang, fb), lang)
    return render(request, "overview.html", user, counts=counts, ind_charts=ind_charts, glance=glance,
                  labels=LABELS, warn=warn, warn_summary=views.warning_summary(warn["data"]) if warn["ok"] else None,
                  scope_region=scope[0] if scope else None)


# ---- chains --------------------------------------------------------------------------------------

@router.get("/chains", response_class=HTMLResponse)
def chains_page(request: Request, user: AnalystUser, db: DBDep) -> Response:
    with db.reader() as e:
        chain_list = sv.list_chains(e)
        gen = cached(db, e, ("generic",), lambda: cap(sv.generic_technologies, e, 20))
    return render(request, "chains.html", user, chains=chain_list, generic=gen,
                  generic_rows=views.records(gen["data"]) if gen["ok"] else [])


def _chain_bottlenecks(db: Database, e: Engine, chain_id: str, year: int | None) -> dict:
    """The chain's bottleneck result in ``year`` (None: the default year), cached per data change."""
    key = ("bottlenecks", chain_id) if year is None else ("bottlenecks", chain_id, year)
    return cached(db, e, key, lambda: cap(sv.bottlenecks, e, chain_id, year))


@router.get("/chains/{chain_id}", response_class=HTMLResponse)
def chain_page(chain_id: str, request: Request, user: AnalystUser, db: DBDep, year: int | None = None) -> Response:
    """The chain map (full width) for a link year chosen in the page, the simulator with the
    scenarios compared side by side, and the bottleneck table of that year."""
    from reforge.chain.metrics import resolve_year
    from reforge.loop.sql import link_years
    lang = lang_of(request)
    with db.reader() as e:
        chain = next((c for c in sv.list_chains(e) if c["chain_id"] == chain_id), None)
        if chain is None:
            return render(request, "error.html", user, status_code=404, message="common.not_found")
        years = link_years(e, chain_id) if e.table_exists("supply_links") else []
        if year is not None and year not in years:
            raise BadRequest("chains.bad_year", value=year)
        shown = year if year is not None else resolve_year(e, None)
        b = _chain_bottlenecks(db, e, chain_id, year)
        cmap = sv.chain_map(e, chain_id, year)
        countries = views.countries(e, chain_id)
        regions = views.regions(e)
    labels = views.item_labels(b["data"]) if b["ok"] else {}
    label_names = {k: t(f"label.{k}", lang) for k in charts.LABEL_COLOURS}
    option = views.chain_map_option(cmap, labels, lang, label_names)
    rows = views.bottleneck_rows(b["data"]) if b["ok"] else []
    countries = sorted(({"code": c, "name": names.country(c, lang)} for c in countries), key=lambda c: c["name"])
    return render(request, "chain.html", user, chain=chain, b=b, rows=rows, map_option=option,
                  countries=countries, regions=regions, years=years, year=shown, year_param=year)


@router.get("/chains/{chain_id}/items/{item_id}", response_class=HTMLResponse)
def item_partial(chain_id: str, item_id: str, request: Request, user: AnalystUser, db: DBDep,
                 year: int | None = None) -> Response:
    with db.reader() as e:
        d = sv.item_detail(e, item_id)
        b = _chain_bottlenecks(db, e, chain_id, year)
    metrics = views.item_metrics(b["data"], item_id) if b["ok"] else None
    if d is None:
        return render(request, "partials/message.html", user, status_code=404, message="common.not_found")
    return render(request, "partials/item.html", user, d=d, metrics=metrics)


@router.get("/chains/{chain_id}/firms", response_class=HTMLResponse)
def firm_suggestions(chain_id: str, request: Request, user: AnalystUser, db: DBDep,
                     remove_firm: str = "") -> Response:
    """``<option>`` suggestions (USCC value, firm name label) for the simulator's "remove a firm"
    box: firms of the chain (main product or a capability on one of its items) whose name, English
    name or USCC contains the typed text; at most 20."""
    q = remove_firm.strip()[:60]
    if not q:
        return HTMLResponse("")
    with db.reader() as e:
        found = views.chain_firms(e, chain_id, q, 20)
    return render(request, "partials/firm_options.html", user, firms=found)


@router.post("/chains/{chain_id}/simulate", response_class=HTMLResponse, dependencies=CSRF)
def simulate_partial(chain_id: str, request: Request, user: AnalystUser, db: DBDep,
                     remove_country: Annotated[str, Form()] = "", remove_firm: Annotated[str, Form()] = "",
                     remove_region: Annotated[str, Form()] = "",
                     loss_threshold: Annotated[float, Form(ge=0, lt=1)] = 0.5,
                     year: Annotated[int | None, Form()] = None) -> Response:
    """The simulation result: totals, this chain's row, the items hit (also highlighted on the map
    by app.js from ``#sim-hit``) and a row for the page's scenario comparison (``#sim-new-row``)."""
    scen = {k: (v.strip() or None) for k, v in (("remove_country", remove_country),
                                                 ("remove_firm", remove_firm), ("remove_region", remove_region))}
    if not any(scen.values()):
        return render(request, "partials/message.html", user, message="chains.choose_scenario")
    lang = lang_of(request)
    with db.reader() as e:
        r = cap(sv.simulate, e, chain_id, loss_threshold=loss_threshold, year=year, **scen)
        chain_names = {c["chain_id"]: c for c in sv.list_chains(e)}
        firm = names.firm_names(e, [scen["remove_firm"]]).get(scen["remove_firm"] or "") if scen["remove_firm"] else None
    view = views.simulation_view(r["data"], chain_id) if r["ok"] else None
    for row in (view or {}).get("by_chain") or []:  # chain names beside (not instead of) the id
        c = chain_names.get(row.get("chain_id")) or {}
        row.setdefault("name", c.get("name") or row.get("chain_id"))
        row.setdefault("name_zh", c.get("name_zh"))
    scenario = [x for x in (names.country(scen["remove_country"], lang) if scen["remove_country"] else None,
                            (name_of(firm, lang) if firm else scen["remove_firm"]),
                            names.region_name(scen["remove_region"], lang) if scen["remove_region"] else None) if x]
    return render(request, "partials/simulation.html", user, r=r, chain_id=chain_id, view=view,
                  scenario=" + ".join(scenario), loss_threshold=loss_threshold, year=year)


# ---- enterprises ---------------------------------------------------------------------------------

def _search(db: Database, user: User, request: Request) -> dict:
    qp = request.query_params
    prov = (qp.get("province_code") or "").strip()
    province = names.resolve_province(prov) if prov else None
    if prov and province is None:
        raise BadRequest("ent.bad_province", value=prov[:40])
    ind = (qp.get("industry_code") or "").strip()
    industry = names.resolve_industry(ind) if ind else None
    if ind and industry is None:
        raise BadRequest("ent.bad_industry", value=ind[:40])
    f = eq.SearchFilters(q=qp.get("q") or None, province_code=province,
                         industry_code=industry, size_class=qp.get("size_class") or None,
                         designation=qp.get("designation") or None, chain_id=qp.get("chain_id") or None,
                         uscc=user.uscc if user.role == "enterprise" else None,
                         region=region_scope(user))  # as the API: a city-scoped account sees (and exports) its city
    raw = qp.get("page", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:  # 2**62 overflowed the offset (a 500)
        raise BadRequest("common.bad_page", max=f"{MAX_PAGE:,}")
    page = int(raw)
    sort = qp.get("sort") if qp.get("sort") in eq.SORT_COLUMNS else "uscc"
    desc = qp.get("dir") == "desc"
    fmt = _export_format(request)
    with db.reader() as e:
        if fmt is not None:  # every matching row, in the page's order
            n = int(e.fetch_scalar(f"SELECT COUNT(*) FROM enterprises e WHERE {eq._where(f)}") or 0)
            res = eq.search(e, f, 1, max(1, min(n, tables.MAX_EXPORT_ROWS)), sort, desc)
            res["format"] = fmt
            return res
        res = eq.search(e, f, page, 20, sort, desc)
    res["pages"] = max(1, -(-res["total"] // 20))
    res.update(sort=sort, dir="desc" if desc else "asc", sortable=tuple(eq.SORT_COLUMNS))
    return res


def _enterprise_download(request: Request, res: dict) -> Response:
    return tables.download("enterprises", res["items"], lang_of(request), res["format"], "enterprises")


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises_page(request: Request, user: PageUser, db: DBDep) -> Response:
    res = _search(db, user, request)
    if "format" in res:
        return _enterprise_download(request, res)
    with db.reader() as e:
        chain_list = sv.list_chains(e)
        present = [str(x) for x in e.fetch_df("SELECT DISTINCT industry_code FROM enterprises "
                                              "WHERE industry_code IS NOT NULL ORDER BY 1")["industry_code"]]
    return render(request, "enterprises.html", user, res=res, chains=chain_list,
                  qp=dict(request.query_params), provinces=names.province_options(lang_of(request)),
                  industries=[{"code": c, "name": names.industry_name(c, "zh")} for c in present])


@router.get("/enterprises/results", response_class=HTMLResponse)
def enterprises_results(request: Request, user: PageUser, db: DBDep) -> Response:
    """The result table (HTMX); the browser's URL becomes the full page's URL with the same
    filters (``HX-Push-Url``), so a search can be bookmarked, reloaded and left with Back."""
    res = _search(db, user, request)
    if "format" in res:
        return _enterprise_download(request, res)
    resp = render(request, "partials/enterprise_rows.html", user, res=res, qp=dict(request.query_params))
    resp.headers["HX-Push-Url"] = url_with(request, "/enterprises", **{k: None for k, v in
                                                                       request.query_params.items() if not v})
    return resp


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise_page(uscc: str, request: Request, user: PageUser, db: DBDep) -> Response:
    if user.role == "enterprise" and user.uscc != uscc:
        return render(request, "error.html", user, status_code=404, message="common.not_found")
    with db.reader() as e:
        scope = region_scope(user)
        p = eq.profile(e, uscc) if scope is None or eq.in_region(e, uscc, scope) else None
        if p is None:  # unknown, or outside the account's region (as the API: 404)
            return render(request, "error.html", user, status_code=404, message="common.not_found")
        scr = cap(sv.firm_analysis, e, uscc)
        cr = cap(sv.firm_credit, e, uscc, None)
    lang = lang_of(request)
    return render(request, "enterprise.html", user, p=p, scr=scr, cr=cr,
                  panel_chart=views.panel_chart(p["years"], lambda k: t(k, lang)),
                  screening=views.screening_view(scr["data"]) if scr["ok"] else None,
                  credit=views.credit_view(cr["data"]) if cr["ok"] else None,
                  warning=(scr["data"] or {}).get("warnings") if scr["ok"] else None)


# ---- tiers, policy, credit, sectors --------------------------------------------------------------

def _named(e: Any, r: dict) -> dict:
    """A capability result with firm names set on its rows (for tables showing names beside USCCs)."""
    if r["ok"]:
        names.add_firm_names(e, views.records(r["data"]))
    return r


def _scope(e: Engine, user: User) -> tuple[str, set[str]] | None:
    """The account's region and the USCCs in it, or None for an unscoped account."""
    from reforge.api.scope import region_usccs
    region = region_scope(user)
    return (region, region_usccs(e, region)) if region else None


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


def _export_format(request: Request) -> str | None:
    fmt = request.query_params.get("format")
    if fmt is None:
        return None
    if fmt not in ("xlsx", "csv"):
        raise BadRequest("export.bad_format")
    return fmt


@router.get("/tiers", response_class=HTMLResponse)
def tiers_page(request: Request, user: AnalystUser, db: DBDep, tier: str = "little_giant") -> Response:
    tier = tier if tier in ("innovative_sme", "srdi_sme", "little_giant") else "little_giant"
    fmt = _export_format(request)
    qp = request.query_params
    which = qp.get("export") if qp.get("export") in ("candidates", "near", "review", "warnings") else "candidates"
    with db.reader() as e:
        scope = _scope(e, user)
        scr = rev = warn = None
        if fmt is None or which in ("candidates", "near"):
            scr = scoped(cached(db, e, ("screen", tier), lambda: _named(e, cap(sv.screen, e, tier, None))), scope)
        if fmt is None or which == "review":
            rev = scoped(cached(db, e, ("review", tier), lambda: _named(e, cap(sv.review, e, tier, None))), scope)
        if fmt is None or which == "warnings":
            warn = scoped(cached(db, e, ("warnings",), lambda: _named(e, cap(sv.warnings, e, None))), scope)
        if fmt is None:
            coh = scoped(cached(db, e, ("cohorts", tier), lambda: cap(sv.cohorts, e, tier)), scope,
                         lang_of(request))
    lang = lang_of(request)
    sv_ = views.screen_view(scr["data"]) if scr and scr["ok"] else None
    # every table sorts and pages on the server (its own query-parameter prefix) and exports all its rows
    tps = {"candidates": tables.page_of(sv_["all_candidates"], "candidates", qp, lang, "c_") if sv_ else None,
           "near": tables.page_of(sv_["all_near"], "near", qp, lang, "n_") if sv_ else None,
           "review": tables.page_of(views.records(rev["data"]), "review", qp, lang, "r_", default_sort="expires_on",
                                    default_desc=False) if rev and rev["ok"] else None,
           "warnings": tables.page_of(views.warning_rows(warn["data"]), "warnings", qp, lang, "w_",
                                      default_sort="level") if warn and warn["ok"] else None}
    if fmt is not None:
        tp = tps[which]
        return tables.download(which, tp["all"] if tp else [], lang, fmt, f"{tier}_{which}")
    return render(request, "tiers.html", user, tier=tier, scr=scr, rev=rev, warn=warn, coh=coh,
                  screen_view=sv_, cand=tps["candidates"], near=tps["near"], review=tps["review"],
                  warnings=tps["warnings"],
                  cohort_chart=views.cohort_chart(coh["data"], lambda k: t(k, lang)) if coh["ok"] else None,
                  cohort_rows=views.records(coh["data"]) if coh["ok"] else [])


@router.get("/credit", response_class=HTMLResponse)
def credit_page(request: Request, user: AnalystUser, db: DBDep) -> Response:
    fmt = _export_format(request)
    with db.reader() as e:
        sc = scoped(cached(db, e, ("credit",), lambda: _named(e, cap(sv.credit_scores, e, None))), _scope(e, user))
        met = cap(sv.credit_model_metrics, e) if sc["ok"] and fmt is None else None
    lang = lang_of(request)
    grade = request.query_params.get("grade") or ""
    rows = views.records(sc["data"]) if sc["ok"] else []
    if grade:
        rows = [r for r in rows if str(r.get("grade")) == grade]
    tp = tables.page_of(rows, "credit", request.query_params, lang, "", default_sort="pd")
    if fmt is not None:
        return tables.download("credit", tp["all"], lang, fmt, f"credit_{grade or 'all'}")
    view = views.credit_page_view(sc["data"], lambda k: t(k, lang)) if sc["ok"] else None
    if view is not None and met and met["ok"]:
        view["validation"] = met["data"]
    grades = [g for g in tables.GRADES if any(str(r.get("grade")) == g for r in views.records(sc["data"]))] \
        if sc["ok"] else []
    from reforge.web.credit_pages import scorecard_card  # the scorecard table and the report link
    return render(request, "credit.html", user, sc=sc, view=view, tp=tp, grade=grade, grades=grades,
                  card=scorecard_card(db, user, lang))


@router.get("/sectors", response_class=HTMLResponse)
def sectors_page(request: Request, user: AnalystUser, db: DBDep, table: str | None = None) -> Response:
    with db.reader() as e:
        tabs = sv.io_tables(e)
        tid = table if table in {x["table_id"] for x in tabs} else (tabs[0]["table_id"] if tabs else None)
        ks = cached(db, e, ("key_sectors", tid), lambda: cap(sv.key_sectors, e, tid)) if tid else None
        names = views.sector_names(e, tid) if tid else {}
    lang = lang_of(request)
    if ks and ks["ok"]:
        for r in views.records(ks["data"]):
            r.setdefault("name_zh", names.get(str(r.get("code")), {}).get("name_zh"))
            if not r.get("name"):
                r["name"] = names.get(str(r.get("code")), {}).get("name")
    return render(request, "sectors.html", user, tables=tabs, table_id=tid, ks=ks,
                  view=views.key_sector_view(ks["data"], lang, lambda k: t(k, lang)) if ks and ks["ok"] else None)


# ---- help ----------------------------------------------------------------------------------------

@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, user: PageUser) -> Response:
    """Terms used on the pages (HHI, reach, priority, PD, ATT, chokepoint, tiers...) and the API docs link."""
    return render(request, "glossary.html", user, terms=glossary.entries(lang_of(request)))


# ---- data ----------------------------------------------------------------------------------------

@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, user: PageUser, db: DBDep) -> Response:
    if user.role != "admin":
        raise Forbidden()
    from reforge.api import audit
    with db.reader() as e:
        log_rows = audit.entries(e, 30)
        counts = views.table_counts(e)
    return render(request, "data.html", user, tables=DATA_TABLES, audit=log_rows, counts=counts)


@router.post("/data/upload", response_class=HTMLResponse, dependencies=CSRF)
def data_upload(request: Request, user: PageUser, db: DBDep, table: Annotated[str, Form()],
                file: Annotated[UploadFile, File()], mode: Annotated[str, Form()] = "append") -> Response:
    if user.role != "admin":
        raise Forbidden()
    from reforge.api.routers.imports import run_import
    if mode not in ("append", "upsert", "replace"):
        mode = "append"
    r = cap(run_import, db, user.username, table, mode, file)
    code, out = r["data"] if r["ok"] else (None, None)
    return render(request, "partials/import_result.html", user, r=r, code=code, out=out,
                  errors=views.import_errors(out) if out else [])


# ---- wiring --------------------------------------------------------------------------------------

def mount_web(app: FastAPI) -> None:
    """Add the pages, the static files and the login/forbidden handlers to ``app``."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
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
    from reforge.web.loop_pages import router as loop_router  # /loop/leaders and the chain sparklines
    app.include_router(loop_router)

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
