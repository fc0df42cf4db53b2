"""The joint-research page (``/research``): the R&D personnel flow matrix and two-way index, the
consortium proposals with their explained score parts, and the collaboration network summary,
in English or Chinese.

Analysts and admins only: the page describes the whole province and names other firms' credit
grades and records, so an enterprise account sees a notice instead. An analyst bound to a region
sees the proposals a firm of its region takes part in; the flow matrix and the network, which count
every region, are withheld with a note (as the API). Texts come from the Babel
catalogs (codes ``research.page.*`` and the results' message codes) in the page language.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import render as render_message
from reforge.web import tables
from reforge.web.parts import side_by_side
from reforge.web.render import DBDep, PageUser, analysis_memo, cached, cap, export_format, lang_of, render

router = APIRouter(include_in_schema=False)
_ITEM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ORG_TYPES = ("university", "institute", "state_enterprise", "private_enterprise", "platform")


def flows_view(f: Any) -> dict:
    """What the page shows of a :class:`~reforge.research.result.FlowResult`, JSON-ready (kept in
    the result store): the type matrix, the two-way index per year, the thin fields' reasons."""
    mat = f.matrix()
    return {"matrix": {a: {b: int(mat.at[a, b]) if a in mat.index and b in mat.columns else 0 for b in ORG_TYPES}
                       for a in ORG_TYPES},
            "two_way": [{"year": int(r.year), "in_moves": int(r.in_moves), "out_moves": int(r.out_moves),
                         "two_way": None if r.two_way != r.two_way else float(r.two_way)}
                        for r in f.two_way.itertuples()],
            "thin": [r.reason.to_dict() for r in f.need.itertuples() if r.thin] if len(f.need) else []}


def network_view(n: Any) -> dict:
    """What the page shows of a :class:`~reforge.research.result.NetworkResult`, JSON-ready."""
    return {"years": [{"year": int(r.year), "collaborations": int(r.collaborations),
                       "institutions": int(r.institutions), "top3_share": float(r.top3_share)}
                      for r in n.years.itertuples()],
            "notes": [m.to_dict() for m in n.notes]}


def research_results(db: Any, year: int | None, item: str | None, region: str | None) -> tuple[dict, dict, dict]:
    """The flow, proposal and network results of the page, each kept while the data are unchanged
    and in the result store (the proposals take seconds on a province); the item labels are
    computed once for the three, and only when one is missing. The proposals are computed beside
    the flows and the network, each on its own read cursor (``reforge.web.parts``). A region-bound
    account gets no flows or network (they count every region): ``{"ok": False, "error": None}``."""
    from reforge.chain.graph import list_chains
    from reforge.chain.metrics import shared_bottlenecks
    from reforge.research import collaboration_network, personnel_flows, propose_partners
    from reforge.research.need import item_labels
    lock, made = threading.Lock(), []   # the labels, made once for the three (the first to ask waits)

    def labels(e: Any) -> Any:   # the item labels the boards use too (kept in the server's analysis memo)
        with lock:
            if not made:   # a failure gives None: the analyses do not try again (each reports it)
                memo = analysis_memo(db, e)
                # every chain's bottlenecks side by side into the memo, where the labels read them
                chains = cap(lambda: [c["chain_id"] for c in list_chains(e) if c["n_items"]])
                side_by_side(db, [lambda c_e, c=c: cap(shared_bottlenecks, c_e, c, None, None, memo)
                                  for c in chains["data"] or []])
                lab = cap(lambda: item_labels(e, memo=memo))
                made.append(lab["data"] if lab["ok"] else None)
            return made[0]

    none = {"ok": False, "data": None, "error": None}

    def proposals(e: Any) -> dict:
        return cached(db, e, ("research_partners_view", item, _dt.date.today().isoformat()),
                      lambda: cap(lambda: propose_partners(e, item, labels=labels(e)).to_dict()), persist=True)

    def flows_and_network(e: Any) -> tuple[dict, dict]:
        if region is not None:
            return none, none
        f = cached(db, e, ("research_flows_view", year),
                   lambda: cap(lambda: flows_view(personnel_flows(e, year, labels=labels(e)))), persist=True)
        n = cached(db, e, ("research_network_view",),
                   lambda: cap(lambda: network_view(collaboration_network(e, labels=labels(e)))), persist=True)
        return f, n

    p, (f, n) = side_by_side(db, [proposals, flows_and_network])
    return f, p, n


def proposal_rows(props: list[dict], lang: str) -> list[dict]:
    """The proposals as rows of the page's table and its export (``tables.COLUMNS["proposals"]``):
    names in ``lang``, lists joined, the score parts and the count of excluded firms; ``order`` is
    the analysis' own order (blank items first, then chokepoints, weak items and R&D demands) and
    ``proposal`` the proposal itself for the page's cells."""
    def org(x: dict) -> str:   # an institution or a platform: its English name on English pages
        en = (x.get("detail") or {}).get("name_en")
        return str(x.get("name") if lang == "zh" or not en else en)

    rows = []
    for k, p in enumerate(props):
        item = (p.get("item_name_zh") if lang == "zh" and p.get("item_name_zh") else p.get("item_name")) or p["item_id"]
        if p.get("label"):
            item = f"{item} ({render_message('research.label.' + p['label'], None, lang)})"
        # "uscc" is the key tables.sort_rows breaks ties by: here the target, unique per proposal
        rows.append({"order": k, "uscc": p["target"], "item": item, "demand_id": p.get("demand_id"),
                     "lead": (p["lead"] or {}).get("name") or (p["lead"] or {}).get("id"),
                     "score": p.get("score"),
                     "institutions": "; ".join(org(i) for i in p["institutions"]) or None,
                     "platform": org(p["platform"]) if p.get("platform") else None,
                     "adopters": "; ".join(str(a.get("name") or a["id"]) for a in p["adopters"]) or None,
                     "parts": "; ".join(f"{render_message('research.part_name.' + x['part'], None, lang)} "
                                        f"{x['points']:.2f}" for x in p["parts"]) or None,
                     "excluded": len(p["excluded"]), "proposal": p})
    return rows


@router.get("/research", response_class=HTMLResponse)
def research_page(request: Request, user: PageUser, db: DBDep, year: int | None = None,
                  item: str | None = None) -> Response:
    """The page; ``year`` chooses the flow year (default all years), ``item`` one item's proposal."""
    from reforge.messages import render_coded
    from reforge.research.result import proposals_with
    lang = lang_of(request)
    year = year if year is not None and 1949 <= year <= 2100 else None
    item = item if item and _ITEM.match(item) else None
    analyst = user.role in ("admin", "analyst")
    region = region_scope(user)
    ctx: dict[str, Any] = {"year": year, "item": item, "is_analyst": analyst, "types": ORG_TYPES,
                           "flows": None, "proposals": None, "network": None, "errors": [],
                           "scope_region": region}

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    def tr(message: Any) -> str:  # a coded dict (stored results) or a Message
        if isinstance(message, dict):
            return render_coded(message, lang)
        return message.render(lang) if hasattr(message, "render") else str(message)

    fmt = export_format(request) if analyst else None
    if analyst:
        f, p, n = research_results(db, year, item, region)
        if p["ok"]:
            props = p["data"]["proposals"]
            if region is not None:
                from reforge.region import region_firms
                with db.reader() as e:
                    props = proposals_with(props, region_firms(e, region))
            # sorted and paged on the server (query parameters p_sort, p_dir, p_page); exported whole
            table = tables.page_of(proposal_rows(props, lang), "proposals", request.query_params, lang, "p_",
                                   default_sort="order", default_desc=False)
            if fmt is not None:
                return tables.download("proposals", table["all"], lang, fmt, "research_proposals")
            ctx["proposals"] = {**p["data"], "proposals": props, "table": table, "summary": {
                "code": "research.partners.summary",
                "params": {"n": len(props), "led": sum(1 for x in props if x["lead"] is not None),
                           "floor": p["data"]["credit_floor"]}}}
        ctx["flows"], ctx["network"] = f["data"], n["data"]
        ctx["errors"] = [x["error"] for x in (f, p, n) if not x["ok"] and x["error"]]
    return render(request, "research/index.html", user, m=m, tr=tr, lang=lang, **ctx)
