"""The outcome evaluation page, ``/loop/outcome``: did the tackling projects move their items
(domestic share, technology gap, domestic suppliers) or their firms (R&D intensity, revenue,
class-I IP) compared with items or firms without a project? The staggered DiD of
:func:`reforge.loop.outcome.project_outcome`, with its band, event study, counts and the
reason when no estimate can be made, in English or Chinese. Analysts and admins only (as the
API's ``GET /api/v1/loop/outcome``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import render as render_message
from reforge.messages import render_coded
from reforge.web import charts
from reforge.web.i18n import name_of
from reforge.web.names import firm_names, item_names
from reforge.web.render import AnalystUser, DBDep, cached, cap, lang_of, render, router_for

router = router_for()
LAGS = range(0, 4)
Z95 = 1.959964


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


def _run(e: Any, unit: str, outcome: str, lag: int, control: str) -> dict:
    from reforge.loop.outcome import project_outcome
    return project_outcome(e, outcome, lag, control, unit).to_dict()


def _unit_names(e: Any, unit: str, ids: list[str], lang: str) -> dict[str, str]:
    """Names of the treated items or firms in ``lang`` (the code when the database has no name)."""
    if unit == "item":
        return {k: str((n["name_zh"] if lang == "zh" and n["name_zh"] else n["name"]) or k)
                for k, n in item_names(e, ids).items()}
    return {k: name_of(n, lang) or k for k, n in firm_names(e, ids).items()}


@router.get("/loop/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, user: AnalystUser, db: DBDep, unit: str | None = None,
                 outcome: str | None = None, lag: str | None = None, control: str | None = None) -> Response:
    from reforge.loop.outcome import FIRM_OUTCOMES, OUTCOMES, UNITS
    lang = lang_of(request)
    unit = _choice(unit, UNITS)
    outcomes = OUTCOMES if unit == "item" else FIRM_OUTCOMES
    outcome = _choice(outcome, outcomes)
    lag_n = int(lag) if lag is not None and lag.isdigit() and int(lag) in LAGS else 0
    control = _choice(control, ("never", "notyet"))
    if region_scope(user) is not None:  # as the API: the comparison units come from every region
        res = {"ok": False, "data": None, "error": render_message("scope.withheld", {}, lang)}
        names: dict[str, str] = {}
    else:
        with db.reader() as e:
            res = cached(db, e, ("loop_outcome", unit, outcome, lag_n, control),
                         lambda: cap(_run, e, unit, outcome, lag_n, control), persist=True)
            names = _unit_names(e, unit, list(res["data"]["treated_units"]), lang) if res["ok"] else {}

    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    d = res["data"] if res["ok"] else None
    chart = rows = None
    if d and d["estimable"] and d["dynamic"]:
        rows = [{**x, "lo": None if x.get("se") is None else x["att"] - Z95 * x["se"],
                 "hi": None if x.get("se") is None else x["att"] + Z95 * x["se"]} for x in d["dynamic"]]
        chart = charts.event_study(m("loop.page.outcome_event_study", outcome=m(f"loop.outcome.name.{outcome}")),
                                   [r["e"] for r in rows], [r["att"] for r in rows], [r["lo"] for r in rows],
                                   [r["hi"] for r in rows], m("loop.page.outcome_rel_year"))
    head = None
    if d:
        head = m("loop.outcome.head", outcome=m(f"loop.outcome.name.{outcome}"), unit=m(f"loop.outcome.unit.{unit}"),
                 lag=lag_n, treated=d["n_treated"], controls=d["n_controls"])
    return render(request, "projects/outcome.html", user, d=d, error=res["error"], head=head, chart=chart,
                  rows=rows, unit=unit, outcome=outcome, lag=lag_n, control=control, units=UNITS,
                  outcomes=outcomes, lags=list(LAGS), names=names, m=m,
                  coded=lambda c: render_coded(c, lang) if c else "")
