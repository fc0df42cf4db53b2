"""The appraisal page (``/appraise``): a batch's ranking with criterion weights, agreement and
discourse shares, and the proposed panel of one appraisal with reasons, in English or Chinese.

Analysts and admins see everything; an enterprise account sees only the list of its own
appraisals and, for one of them, its chain items and adopters (without other firms' values); an
analyst bound to a region, the appraisals of its region's firms (ranked among themselves). Texts come from the Babel catalogs (codes ``appraise.page.*`` and the result's
message codes), rendered in the page language.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import Message
from reforge.messages import render as render_message
from reforge.web.render import DBDep, PageUser, cap, lang_of, render

router = APIRouter(include_in_schema=False)
KINDS = ("first_set", "first_batch", "first_version", "achievement", "new_product")


@router.get("/appraise", response_class=HTMLResponse)
def appraise_page(request: Request, user: PageUser, db: DBDep, kind: str | None = None, year: int | None = None,
                  id: str | None = None) -> Response:
    """The page; ``kind``/``year`` choose the batch, ``id`` the appraisal whose panel is shown."""
    from reforge.appraise import build_panel, criteria_weights, rank_appraisals, sql
    from reforge.appraise.links import appraisal_links
    lang = lang_of(request)
    kind = kind if kind in KINDS else None
    year = year if year is not None and 1990 <= year <= 2100 else None
    own = user.uscc if user.role == "enterprise" else None
    region = region_scope(user)
    ctx: dict[str, Any] = {"kinds": KINDS, "kind": kind, "year": year, "sel": None, "ranking": None,
                           "weights": None, "panel": None, "links": None, "is_analyst": user.role in ("admin", "analyst"),
                           "scope_region": region}

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    def msg(d: dict) -> str:
        return render_message(d["code"], d["params"], lang)

    with db.reader() as e:
        if user.role == "enterprise" and not own:
            rows: list[dict] = []
        else:
            rows = sql.appraisals(e, None, kind, year, own, region).head(500).to_dict("records") \
                if e.table_exists("appraisals") else []
        ctx["appraisals"] = rows
        ids = [r["appraisal_id"] for r in rows]
        if ctx["is_analyst"] and len(ids) >= 2:
            res = cap(rank_appraisals, e, ids)
            if not res["ok"]:  # no judgments yet: rank with equal weights, say so
                res = cap(rank_appraisals, e, ids, weighting="equal")
            ctx["ranking"] = res["data"].to_dict() if res["ok"] else None
            ctx["ranking_error"] = res["error"]
            w = cap(criteria_weights, e, ids)
            ctx["weights"] = w["data"].to_dict() if w["ok"] else None
        if id is not None and id in ids:
            ctx["sel"] = id
            if ctx["is_analyst"]:
                p = cap(build_panel, e, id)
                ctx["panel"] = p["data"].to_dict() if p["ok"] else None
            lk = cap(appraisal_links, e, id)
            if lk["ok"]:
                ctx["links"] = lk["data"] if ctx["is_analyst"] else lk["data"].redacted()
            ctx["links_error"] = lk["error"]

    def tr(message: Message) -> str:
        return message.render(lang)

    return render(request, "appraise/index.html", user, m=m, msg=msg, tr=tr, **ctx)
