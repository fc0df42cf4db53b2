"""Loop pages: chain leaders (``/loop/leaders?chain=``) and the label sparklines of a chain page
(``/loop/sparklines?chain=``, an HTMX fragment that fills one cell per item of ``chain.html``
out of band), in English or Chinese.

Analysts and admins see every ranked leader; an enterprise account sees the ranking with only
its own firm's row (and its ecosystem), never other firms' figures. Sparklines are for
analysts (like the chain page). Texts come from the Babel catalogs (codes ``loop.page.*`` and
the result's message codes) and ``web.i18n`` (labels, foundations).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.api.enterprise_queries import in_region
from reforge.messages import render as render_message
from reforge.web.charts import LABEL_COLOURS
from reforge.web.render import AnalystUser, DBDep, PageUser, cached, cap, lang_of, render

router = APIRouter(include_in_schema=False)
SEVERITY = {"missing": 0, "blank": 0, "chokepoint": 1, "weak": 2, "insufficient_data": 2.5, "sound": 3}
STEP, HEIGHT = 14, 18  # sparkline: pixels per year, total height


def spark_points(labels: dict[int, str], years: list[int]) -> list[dict[str, Any]]:
    """One point per year with a label: ``x``, ``y`` (pixels, worse labels lower), ``colour``,
    ``year``, ``label``; years without a label are skipped."""
    out = []
    for k, y in enumerate(years):
        lab = labels.get(y)
        if lab is None:
            continue
        sev = SEVERITY.get(lab, 1.5)
        out.append({"x": 4 + k * STEP, "y": round(HEIGHT - 4 - sev * (HEIGHT - 8) / 3, 1),
                    "colour": LABEL_COLOURS.get(lab, LABEL_COLOURS["other"]), "year": y, "label": lab})
    return out


@router.get("/loop/leaders", response_class=HTMLResponse)
def leaders_page(request: Request, user: PageUser, db: DBDep, chain: str | None = None,
                 year: int | None = None) -> Response:
    """Ranked leaders of the chosen chain with score parts and reasons; the ecosystem of the top ones."""
    from reforge.chain import list_chains
    from reforge.loop import chain_leaders
    lang = lang_of(request)
    year = year if year is not None and 1900 <= year <= 2200 else None
    is_analyst = user.role in ("admin", "analyst")

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    with db.reader() as e:
        chains = list_chains(e) if e.table_exists("chains") else []
        known = {c["chain_id"] for c in chains}
        chain = chain if chain in known else None
        res = None
        error = None
        names: dict[str, str] = {}
        if chain is not None:
            r = cached(db, e, ("loop_leaders", chain, year), lambda: cap(chain_leaders, e, chain, year))
            res, error = r["data"], r["error"]
            if res is not None and not is_analyst:
                res = res.only(user.uscc or "")
            elif res is not None and (scope := region_scope(user)) is not None:  # as the API
                res = res.keep({r["uscc"] for r in res.leaders if in_region(e, r["uscc"], scope)})
            inames = e.fetch_df("SELECT item_id, name, name_zh FROM items")  # main items may lie outside the chain
            names = {r.item_id: (r.name_zh if lang == "zh" else r.name) or r.item_id
                     for r in inames.itertuples(index=False)}
    leaders = []
    if res is not None:
        for row in res.leaders:
            leaders.append({**row, "reasons_text": [x.render(lang) for x in row["reasons"]],
                            "eco": res.ecosystem_of(row["uscc"])})
    chain_obj = next((c for c in chains if c["chain_id"] == chain), None)
    def iname(item_id: str | None) -> str:
        return names.get(item_id or "", item_id or "")

    return render(request, "loop/leaders.html", user, m=m, iname=iname, chains=chains, chain=chain, chain_obj=chain_obj,
                  year=year, res=res, leaders=leaders, error=error, is_analyst=is_analyst,
                  notes=[n.render(lang) for n in res.notes] if res is not None else [])


@router.get("/loop/sparklines", response_class=HTMLResponse)
def sparklines(request: Request, user: AnalystUser, db: DBDep, chain: str | None = None) -> Response:
    """Out-of-band cells ``spark-<item>`` with each item's label sparkline, and the resolved and
    newly choked lists of the chain (target ``#loop-history``)."""
    from reforge.loop import label_history
    lang = lang_of(request)

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    with db.reader() as e:
        ok = chain is not None and e.table_exists("chains") and bool(
            e.fetch_scalar("SELECT COUNT(*) FROM chains WHERE chain_id = ?", [chain]))
        region = region_scope(user)  # as the API: a region's labels come from its firms' purchases
        h = cached(db, e, ("loop_history", chain, region),
                   lambda: cap(label_history, e, chain, store=False, region=region)) if ok else None
    res = h["data"] if h else None
    items = []
    if res is not None:
        labels = res.labels()
        for it in res.items.itertuples(index=False):
            lab = labels.get(it.item_id, {})
            items.append({"item_id": it.item_id, "points": spark_points(lab, res.years),
                          "width": 8 + STEP * max(len(res.years) - 1, 0)})
    return render(request, "loop/sparklines.html", user, m=m, res=res, items=items, height=HEIGHT,
                  error=h["error"] if h else None)
