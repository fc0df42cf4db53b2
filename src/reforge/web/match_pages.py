"""The matching page (``/match``): every demand with its status and best domestic suppliers (score
parts, excluded candidates with their reasons) and the matching degree per chain, in English or
Chinese; sorted and paged on the server, exported whole as Excel or CSV.

Analysts and admins see every demand (a region-bound analyst: its region's firms' demands, with
candidates from anywhere, as the API); an enterprise account sees its own demands only. Texts come
from the catalogs (``match.page.*`` and the results' message codes) in the page language.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import render as render_message
from reforge.messages import render_coded
from reforge.web import names, tables
from reforge.web.render import DBDep, PageUser, cached, cap, export_format, lang_of, render

router = APIRouter(include_in_schema=False)
SHOWN = 5  # candidates and excluded candidates shown per demand
STATUSES = ("all", "matched", "unmatched")


def _coded(m: Any) -> dict:
    """A Message as a JSON-ready ``{code, params}`` (nested messages too)."""
    return m.to_dict() if hasattr(m, "to_dict") else {"code": str(m), "params": {}}


def match_view(e: Any, demand_ids: list[str] | None) -> dict:
    """What the page shows of ``match_demands`` over ``demand_ids`` (None: every demand), JSON-ready
    (kept in the result store): per demand its names, status, the best ``SHOWN`` qualified
    candidates with their score parts and the first ``SHOWN`` excluded ones with their reasons;
    per chain the demand value, the value with a qualified candidate and the degree."""
    from reforge.match import match_demands
    from reforge.match.rank import degree_of
    res = match_demands(e, demand_ids)
    c, d = res.candidates, res.demands
    firms = {u: n["name"] for u, n in names.firm_names(e, [*d["uscc"], *c["producer_id"]]).items()}
    item_names = {i: {"en": n["name"], "zh": n["name_zh"]}
                  for i, n in names.item_names(e, d["item_id"].dropna()).items()}
    qual = c[c["rank"].notna()].sort_values(["demand_id", "rank"])
    best = {k: g.head(SHOWN) for k, g in qual.groupby("demand_id", sort=False)} if len(qual) else {}
    n_qual = qual.groupby("demand_id").size().to_dict() if len(qual) else {}
    ex = c[c["excluded"]].sort_values(["demand_id", "producer_id"])
    excl = {k: g.head(SHOWN) for k, g in ex.groupby("demand_id", sort=False)} if len(ex) else {}
    n_ex = ex.groupby("demand_id").size().to_dict() if len(ex) else {}
    parts = list(res.parts)

    def cand(r: Any) -> dict:
        return {"id": r.producer_id, "name": firms.get(r.producer_id) or r.producer_name,
                "score": float(r.score), "parts": {p: float(getattr(r, p)) for p in parts},
                "tax_rating": None if r.tax_rating is None or r.tax_rating != r.tax_rating else str(r.tax_rating),
                "fit": _coded(r.fit)}

    rows = []
    for x in d.itertuples(index=False):
        top = best.get(x.demand_id)
        bad = excl.get(x.demand_id)
        value = None if x.value is None or x.value != x.value else float(x.value)
        item = None if x.item_id is None or x.item_id != x.item_id else str(x.item_id)
        rows.append({
            "demand_id": x.demand_id, "uscc": str(x.uscc), "buyer": firms.get(str(x.uscc)), "item_id": item,
            "item_names": item_names.get(item, {}), "item_from_text": bool(getattr(x, "item_from_text", False)),
            "kind": x.kind, "value": value, "matched": bool(x.matched),
            "status": _coded(x.status), "n_qualified": int(n_qual.get(x.demand_id, 0)),
            "n_excluded": int(n_ex.get(x.demand_id, 0)),
            "candidates": [] if top is None else [cand(r) for r in top.itertuples(index=False)],
            "excluded": [] if bad is None else [
                {"id": r.producer_id, "name": firms.get(r.producer_id) or r.producer_name,
                 "reasons": [_coded(m) for m in r.reasons]} for r in bad.itertuples(index=False)]})
    chains = []
    if e.table_exists("chain_items") and e.table_exists("chains"):  # recorded items only, as `reforge match degree`
        chain_names = {r[0]: {"name": r[1], "name_zh": r[2]}
                       for r in e.fetch_rows("SELECT chain_id, name, name_zh FROM chains")}
        chains = [{**r, **chain_names.get(r["chain_id"], {})} for r in degree_of(e, res).to_dict()["chains"]]
    return {"as_of": res.as_of, "parts": parts, "shortlist": res.shortlist, "demands": rows, "chains": chains}


def match_result(db: Any, e: Any, region: str | None) -> dict:
    """The page's result for an analyst (``region``: its region's firms' demands only), cached per
    data change and kept in the result store (matching a province takes seconds)."""
    def run() -> dict:
        from reforge.match.rank import region_demands
        return match_view(e, None if region is None else region_demands(e, region))
    return cached(db, e, ("match_page", region), lambda: cap(run), persist=True)


def demand_rows(view: dict, lang: str) -> list[dict]:
    """The demands as rows of the page's table and its export (``tables.COLUMNS["match_demands"]``):
    names and statuses in ``lang``; ``uscc`` (the key ``tables.sort_rows`` breaks ties by) is the
    demand id here, and ``demand`` the view's demand for the page's cells."""
    out = []
    for r in view["demands"]:
        names = r["item_names"] or {}
        item = (names.get("zh") if lang == "zh" and names.get("zh") else names.get("en")) or r["item_id"]
        if item and r.get("item_from_text"):
            item = render_message("match.page.item_from_text", {"item": item}, lang)
        top = r["candidates"][0] if r["candidates"] else None
        out.append({"demand_id": r["demand_id"], "uscc": r["demand_id"], "buyer": r["buyer"] or r["uscc"],
                    "item": item, "demand_kind": render_message(f"match.page.kind.{r['kind']}", None, lang)
                    if r["kind"] in ("purchase", "pre_research", "rd") else r["kind"],
                    "value": r["value"], "status": render_coded(r["status"], lang),
                    "best": (top["name"] or top["id"]) if top else None, "score": top["score"] if top else None,
                    "n_qualified": r["n_qualified"], "n_excluded": r["n_excluded"], "demand": r})
    return out


@router.get("/match", response_class=HTMLResponse)
def match_page(request: Request, user: PageUser, db: DBDep, status: str = "all", chain: str | None = None) -> Response:
    """The page; ``status`` (all, matched, unmatched) and ``chain`` filter the demands."""
    lang = lang_of(request)
    status = status if status in STATUSES else "all"
    analyst = user.role in ("admin", "analyst")
    region = region_scope(user)
    with db.reader() as e:
        if analyst:
            res = match_result(db, e, region)
        else:  # an enterprise account: its own demands only (never cached with others')
            own = [str(r[0]) for r in e.fetch_rows("SELECT demand_id FROM demands WHERE uscc = ? ORDER BY demand_id",
                                                   [user.uscc])] if user.uscc and e.table_exists("demands") else []
            res = cap(match_view, e, own)
        chain_ids = {str(r[0]) for r in e.fetch_rows("SELECT chain_id FROM chains")} if e.table_exists("chains") else set()
        members = {str(r[0]) for r in e.fetch_rows("SELECT item_id FROM chain_items WHERE chain_id = ?", [chain])} \
            if chain in chain_ids else None
    ctx: dict[str, Any] = {"is_analyst": analyst, "status": status, "chain": chain if members is not None else None,
                           "scope_region": region, "view": None, "table": None,
                           "error": None if res["ok"] else res["error"]}

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    if res["ok"]:
        view = res["data"]
        rows = demand_rows(view, lang)
        if status != "all":
            rows = [r for r in rows if r["demand"]["matched"] == (status == "matched")]
        if members is not None:
            rows = [r for r in rows if r["demand"]["item_id"] in members]
        fmt = export_format(request)
        table = tables.page_of(rows, "match_demands", request.query_params, lang, "m_", default_sort="demand_id",
                               default_desc=False)
        if fmt is not None:
            return tables.download("match_demands", table["all"], lang, fmt, "match_demands")
        n = len(view["demands"])
        ctx.update(view=view, table=table, summary=m("match.summary", n=n,
                                                     matched=sum(r["matched"] for r in view["demands"])))
    return render(request, "match/index.html", user, m=m, tr=lambda x: render_coded(x, lang), lang=lang, **ctx)
