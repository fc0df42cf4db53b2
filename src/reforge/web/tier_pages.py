"""The tiers page: candidates, near-misses, review and warnings (sorted, paged, exported on the
server) and cohorts.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import services as sv
from reforge.web import tables, views
from reforge.web.i18n import t
from reforge.web.parts import side_by_side
from reforge.web.render import (
    AnalystUser,
    DBDep,
    account_scope,
    cached,
    cap,
    export_format,
    lang_of,
    named_firms,
    render,
    router_for,
    scoped,
)

router = router_for()


def shortlist(db: Any, e: Any, tier: str) -> dict:
    """The tier's screening shortlist for every firm (kept in the result store)."""
    return cached(db, e, ("screen_shortlist", tier), lambda: named_firms(e, cap(sv.screen_shortlist, e, tier, None)),
                  persist=True)


def review_list(db: Any, e: Any, tier: str) -> dict:
    """Designated firms of the tier due for review (kept in the result store)."""
    return cached(db, e, ("review", tier), lambda: named_firms(e, cap(sv.review, e, tier, None)), persist=True)


def warnings_list(db: Any, e: Any) -> dict:
    """Early warnings of every designated firm (kept in the result store; the overview shares it)."""
    return cached(db, e, ("warnings",), lambda: named_firms(e, cap(sv.warnings, e, None)), persist=True)


def cohort_table(db: Any, e: Any, tier: str) -> dict:
    """Cohort tracking of the tier (kept in the result store)."""
    return cached(db, e, ("cohorts", tier), lambda: cap(sv.cohorts, e, tier), persist=True)


@router.get("/tiers", response_class=HTMLResponse)
def tiers_page(request: Request, user: AnalystUser, db: DBDep, tier: str = "little_giant") -> Response:
    tier = tier if tier in ("innovative_sme", "srdi_sme", "little_giant") else "little_giant"
    fmt = export_format(request)
    qp = request.query_params
    which = qp.get("export") if qp.get("export") in ("candidates", "near", "review", "warnings") else "candidates"
    lang = lang_of(request)
    with db.reader() as e:
        scope = account_scope(e, user)
    # the page's analyses do not depend on each other: computed side by side (reforge.web.parts), in
    # two pairs of about equal work (four at once contend more: 0.83 s against 0.74 s on the 20k demo)
    wanted = {"scr": fmt is None or which in ("candidates", "near"), "rev": fmt is None or which == "review",
              "warn": fmt is None or which == "warnings", "coh": fmt is None}
    parts = {"scr": lambda e: scoped(shortlist(db, e, tier), scope),
             "rev": lambda e: scoped(review_list(db, e, tier), scope),
             "warn": lambda e: scoped(warnings_list(db, e), scope),
             "coh": lambda e: scoped(cohort_table(db, e, tier), scope, lang)}
    pairs = [[k for k in pair if wanted[k]] for pair in (("scr", "rev"), ("warn", "coh"))]
    got: dict[str, Any] = {}
    for done in side_by_side(db, [lambda e, ks=ks: {k: parts[k](e) for k in ks} for ks in pairs if ks]):
        got.update(done)
    scr, rev, warn, coh = (got.get(k) for k in ("scr", "rev", "warn", "coh"))
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
