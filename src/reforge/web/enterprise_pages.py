"""The enterprise pages: search with filters in the URL and exports, results partial, one profile.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import enterprise_queries as eq
from reforge.api import services as sv
from reforge.api.auth import User
from reforge.api.contract import MAX_PAGE
from reforge.api.db import Database
from reforge.api.deps import region_scope
from reforge.web import names, tables, views
from reforge.web.i18n import t
from reforge.web.render import (
    BadRequest,
    DBDep,
    PageUser,
    cached,
    cap,
    export_format,
    lang_of,
    render,
    router_for,
    url_with,
)

router = router_for()

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
    fmt = export_format(request)
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
        # kept while the analysed data is unchanged, as every other page's results
        scr = cached(db, e, ("firm_analysis", uscc), lambda: cap(sv.firm_analysis, e, uscc))
        cr = cached(db, e, ("firm_credit", uscc), lambda: cap(sv.firm_credit, e, uscc, None))
    lang = lang_of(request)
    return render(request, "enterprise.html", user, p=p, scr=scr, cr=cr,
                  panel_chart=views.panel_chart(p["years"], lambda k: t(k, lang)),
                  screening=views.screening_view(scr["data"]) if scr["ok"] else None,
                  credit=views.credit_view(cr["data"]) if cr["ok"] else None,
                  warning=(scr["data"] or {}).get("warnings") if scr["ok"] else None)
