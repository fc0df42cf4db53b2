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
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import render as render_message
from reforge.web.render import DBDep, PageUser, cached, cap, lang_of, render

router = APIRouter(include_in_schema=False)
_ITEM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ORG_TYPES = ("university", "institute", "state_enterprise", "private_enterprise", "platform")


@router.get("/research", response_class=HTMLResponse)
def research_page(request: Request, user: PageUser, db: DBDep, year: int | None = None,
                  item: str | None = None) -> Response:
    """The page; ``year`` chooses the flow year (default all years), ``item`` one item's proposal."""
    from reforge.research import collaboration_network, personnel_flows, propose_partners
    from reforge.research.need import item_labels
    lang = lang_of(request)
    year = year if year is not None and 1949 <= year <= 2100 else None
    item = item if item and _ITEM.match(item) else None
    analyst = user.role in ("admin", "analyst")
    region = region_scope(user)
    ctx: dict[str, Any] = {"year": year, "item": item, "is_analyst": analyst, "types": ORG_TYPES,
                           "flows": None, "matrix": None, "proposals": None, "network": None, "errors": [],
                           "scope_region": region}

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    def tr(message: Any) -> str:
        return message.render(lang) if hasattr(message, "render") else str(message)

    if analyst:
        with db.reader() as e:
            # each result kept while the data are unchanged (the proposals take seconds on a province)
            lab = cached(db, e, ("research_labels",), lambda: cap(item_labels, e))  # once for the three
            labels = lab["data"] if lab["ok"] else None
            f = cached(db, e, ("research_flows", year), lambda: cap(personnel_flows, e, year, labels=labels)) \
                if region is None else {"ok": False, "data": None, "error": None}
            if f["ok"]:
                ctx["flows"] = f["data"]
                mat = f["data"].matrix()
                ctx["matrix"] = {a: {b: int(mat.at[a, b]) if a in mat.index and b in mat.columns else 0
                                     for b in ORG_TYPES} for a in ORG_TYPES}
            p = cached(db, e, ("research_partners", item, _dt.date.today().isoformat()),
                       lambda: cap(propose_partners, e, item, labels=labels))
            if p["ok"]:
                ctx["proposals"] = p["data"]
                if region is not None:
                    from reforge.region import region_firms
                    ctx["proposals"] = p["data"].for_firms(region_firms(e, region))
            n = cached(db, e, ("research_network",), lambda: cap(collaboration_network, e, labels=labels)) \
                if region is None else {"ok": False, "data": None, "error": None}
            if n["ok"]:
                ctx["network"] = n["data"]
            ctx["errors"] = [x["error"] for x in (f, p, n) if not x["ok"] and x["error"]]
    return render(request, "research/index.html", user, m=m, tr=tr, lang=lang, **ctx)
