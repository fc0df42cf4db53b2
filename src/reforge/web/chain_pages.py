"""The chain pages: the list with generic technologies, one chain (map of a link year, bottlenecks,
item detail), the simulator and its firm suggestions.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import services as sv
from reforge.api.db import Database
from reforge.api.deps import region_scope
from reforge.engine.base import Engine
from reforge.web import charts, names, views
from reforge.web.i18n import name_of, t
from reforge.web.render import (
    CSRF,
    AnalystUser,
    BadRequest,
    DBDep,
    analysis_memo,
    cached,
    cap,
    lang_of,
    render,
    router_for,
)

router = router_for()

# ---- chains --------------------------------------------------------------------------------------

def generic_result(db: Database, e: Engine, region: str | None) -> dict:
    """The 20 first generic technologies (of ``region``'s purchases), kept in the result store."""
    return cached(db, e, ("generic", region), lambda: cap(sv.generic_technologies, e, 20, region), persist=True)


@router.get("/chains", response_class=HTMLResponse)
def chains_page(request: Request, user: AnalystUser, db: DBDep) -> Response:
    with db.reader() as e:
        chain_list = sv.list_chains(e)
        region = region_scope(user)
        gen = generic_result(db, e, region)  # as the API: a region's labels from its purchases
    return render(request, "chains.html", user, chains=chain_list, generic=gen, scope_region=region,
                  generic_rows=views.records(gen["data"]) if gen["ok"] else [])


def bottlenecks_key(chain_id: str, year: int | None, region: str | None) -> tuple:
    """The result-cache key of a chain's bottlenecks: per year (None: the default year) and, for
    a region-bound account, per region (a scoped and an unscoped account never share an entry)."""
    key: tuple = ("bottlenecks", chain_id) if year is None else ("bottlenecks", chain_id, year)
    return key if region is None else (*key, ("region", region))


def chain_bottlenecks(db: Database, e: Engine, chain_id: str, year: int | None, region: str | None) -> dict:
    """The chain's bottleneck result in ``year`` (None: the default year), from the purchases of
    ``region``'s firms when given (``region_scope`` of the account), cached per data change."""
    return cached(db, e, bottlenecks_key(chain_id, year, region),
                  lambda: cap(sv.bottlenecks, e, chain_id, year, region, analysis_memo(db, e)), persist=True)


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
        region = region_scope(user)
        b = chain_bottlenecks(db, e, chain_id, year, region)
        cmap = sv.chain_map(e, chain_id, year, region)
        countries = views.countries(e, chain_id)
        regions = views.regions(e)
    labels = views.item_labels(b["data"]) if b["ok"] else {}
    label_names = {k: t(f"label.{k}", lang) for k in charts.LABEL_COLOURS}
    option = views.chain_map_option(cmap, labels, lang, label_names)
    rows = views.bottleneck_rows(b["data"]) if b["ok"] else []
    countries = sorted(({"code": c, "name": names.country(c, lang)} for c in countries), key=lambda c: c["name"])
    return render(request, "chain.html", user, chain=chain, b=b, rows=rows, map_option=option,
                  countries=countries, regions=regions, years=years, year=shown, year_param=year,
                  scope_region=region)


def chain_matching(db: Database, e: Engine, chain_id: str, region: str | None) -> dict:
    """The matching degree of the chain's items and its gaps (``reforge.match.gaps.chain_gaps``;
    a region-bound account's firms' demands only), cached per data change and kept in the
    result store."""
    from reforge.match.gaps import chain_gaps
    return cached(db, e, ("chain_matching", chain_id, region), lambda: cap(chain_gaps, e, chain_id, region=region),
                  persist=True)


@router.get("/chains/{chain_id}/matching", response_class=HTMLResponse)
def matching_partial(chain_id: str, request: Request, user: AnalystUser, db: DBDep) -> Response:
    """The chain's matching degree per item (an HTMX fragment of ``chain.html``, loaded after the
    page): demand value, the value with a qualified domestic supplier, the degree; the gaps
    matching cannot close first."""
    with db.reader() as e:
        ok = e.table_exists("chain_items") and bool(
            e.fetch_scalar("SELECT COUNT(*) FROM chain_items WHERE chain_id = ?", [chain_id]))
        if not ok:
            return render(request, "error.html", user, status_code=404, message="common.not_found")
        res = chain_matching(db, e, chain_id, region_scope(user))
        data = res["data"] if res["ok"] else {}
        item_names = names.item_names(e, (r["item_id"] for r in data.get("items", [])))
    rows = [{**item_names.get(r["item_id"], {}), **r} for r in data.get("items", [])]
    return render(request, "partials/matching.html", user, res=res, rows=rows, total=data.get("chain"),
                  gap=data.get("gap_below", 0.0), chain=chain_id)


@router.get("/chains/{chain_id}/items/{item_id}", response_class=HTMLResponse)
def item_partial(chain_id: str, item_id: str, request: Request, user: AnalystUser, db: DBDep,
                 year: int | None = None) -> Response:
    with db.reader() as e:
        d = sv.item_detail(e, item_id)
        b = chain_bottlenecks(db, e, chain_id, year, region_scope(user))
    metrics = views.item_metrics(b["data"], item_id) if b["ok"] else None
    if d is None:
        return render(request, "partials/message.html", user, status_code=404, message="common.not_found")
    return render(request, "partials/item.html", user, d=d, metrics=metrics)


@router.get("/chains/{chain_id}/firms", response_class=HTMLResponse)
def firm_suggestions(chain_id: str, request: Request, user: AnalystUser, db: DBDep,
                     remove_firm: str = "") -> Response:
    """``<option>`` suggestions (USCC value, firm name label) for the simulator's "remove a firm"
    box: firms of the chain (main product or a capability on one of its items) whose name, English
    name or USCC contains the typed text; at most 20 (a region-bound account: of its region)."""
    q = remove_firm.strip()[:60]
    if not q:
        return HTMLResponse("")
    with db.reader() as e:
        found = views.chain_firms(e, chain_id, q, 20, region_scope(user))
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
        r = cap(sv.simulate, e, chain_id, region_scope(user), loss_threshold=loss_threshold, year=year, **scen)
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
