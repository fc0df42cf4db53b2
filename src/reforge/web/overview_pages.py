"""The overview page (``/``): key counts, chains at a glance, warnings, indicators."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reforge.api import services as sv
from reforge.chain.metrics import LABELS
from reforge.web import views
from reforge.web.chain_pages import chain_bottlenecks
from reforge.web.i18n import t_or
from reforge.web.render import (
    DBDep,
    PageUser,
    account_scope,
    lang_of,
    render,
    router_for,
    scoped,
)
from reforge.web.tier_pages import warnings_list

router = router_for()

# ---- overview ------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: PageUser, db: DBDep) -> Response:
    if user.role == "enterprise":
        return RedirectResponse(f"/enterprises/{user.uscc}", status_code=303)
    with db.reader() as e:
        scope = account_scope(e, user)  # a region-bound account: its region's firms, counts and warnings
        counts = views.key_counts(e, scope[0] if scope else None)
        ind = sv.indicators(e, None, None)
        chain_list = sv.list_chains(e)
        glance = []
        for c in chain_list:
            b = chain_bottlenecks(db, e, c["chain_id"], None, scope[0] if scope else None)  # as the chain page
            glance.append({**c, "labels": views.label_counts(b["data"]) if b["ok"] else None,
                           "na": b["na"], "error": b["error"]})
        warn = warnings_list(db, e)  # the tiers page shares it
    lang = lang_of(request)
    warn = scoped(warn, scope, lang)
    ind_charts = views.indicator_charts(ind, lambda k, fb: t_or(k, lang, fb), lang)
    return render(request, "overview.html", user, counts=counts, ind_charts=ind_charts, glance=glance,
                  labels=LABELS, warn=warn, warn_summary=views.warning_summary(warn["data"]) if warn["ok"] else None,
                  scope_region=scope[0] if scope else None)
