"""The policy page (``/policy``): evaluate a programme, see the estimate with its 95 % CI, p-value,
unit and the firms used (with a warning when treated firms are few), and reopen stored runs.

Runs are stored in ``policy_runs`` (``reforge.policy.runs``) by the same function the API uses,
listed newest first with user and time; ``/policy?run=<id>`` (and the HTMX partial
``/policy/runs/<id>``) reopens one from the database without recomputing. Labels come from the
Babel catalogs (codes ``policy.page.*``, ``policy.unit.*``), rendered in the page language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import services as sv
from reforge.api.deps import region_scope
from reforge.errors import NotFound
from reforge.messages import render as render_message
from reforge.web.policy_view import policy_view
from reforge.web.render import CSRF, AnalystUser, DBDep, cap, lang_of, render

router = APIRouter(include_in_schema=False)
OUTCOMES = ["rd_intensity", "revenue_growth", "log_revenue", "profit_margin", "debt_ratio", "revenue",
            "employees", "rd_expense"]
LIST_RUNS = 30


def _m(lang: str):
    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)
    return m


def _result(request: Request, user: Any, r: dict, runs: list[dict], status_code: int = 200) -> Response:
    """The result partial (with the run list swapped out of band)."""
    lang = lang_of(request)
    m = _m(lang)
    view = policy_view(r["data"], lang, m) if r["ok"] else None
    resp = render(request, "partials/policy_result.html", user, status_code=status_code, r=r, view=view,
                  runs=runs, m=m, oob=True)
    if view and view.get("id"):
        resp.headers["HX-Push-Url"] = f"/policy?run={view['id']}"  # reload and Back reopen the run
    return resp


def _runs(db: Any, user: Any) -> list[dict]:
    """The stored runs the account may see (``api.routers.policy.visible``), newest first."""
    from reforge.api.routers.policy import visible
    from reforge.policy.runs import list_runs
    scope = region_scope(user)
    with db.reader() as e:
        return [r for r in list_runs(e, 200) if visible(r, scope)][:LIST_RUNS]


def _open(db: Any, run_id: str, user: Any) -> dict:
    from reforge.api.routers.policy import visible, with_report_link
    from reforge.policy.runs import load_run
    with db.reader() as e:
        run = load_run(e, run_id)
    if not visible(run, region_scope(user)):
        raise NotFound("not visible")
    return with_report_link(run)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: AnalystUser, db: DBDep, run: str | None = None) -> Response:
    """The page; ``run`` opens a stored evaluation."""
    lang = lang_of(request)
    m = _m(lang)
    with db.reader() as e:
        progs = sv.programmes(e)
    opened = None
    if run:
        try:
            opened = {"ok": True, "na": False, "error": None, "data": _open(db, run[:40], user)}
        except NotFound:
            return render(request, "error.html", user, status_code=404, message="common.not_found")
    return render(request, "policy.html", user, programmes=progs, runs=_runs(db, user), outcomes=OUTCOMES, m=m,
                  r=opened, view=policy_view(opened["data"], lang, m) if opened else None,
                  selected=(opened or {}).get("data") or {}, scope_region=region_scope(user))


@router.get("/policy/runs/{run_id}", response_class=HTMLResponse)
def policy_run(run_id: str, request: Request, user: AnalystUser, db: DBDep) -> Response:
    """A stored run as the result partial (HTMX), read from the database."""
    try:
        r = {"ok": True, "na": False, "error": None, "data": _open(db, run_id[:40], user)}
    except NotFound:
        return render(request, "partials/message.html", user, status_code=404, message="common.not_found")
    return _result(request, user, r, _runs(db, user))


@router.post("/policy/evaluate", response_class=HTMLResponse, dependencies=CSRF)
def policy_evaluate(request: Request, user: AnalystUser, db: DBDep, programme: Annotated[str, Form()],
                    outcome: Annotated[str, Form()] = "rd_intensity") -> Response:
    """Evaluate, store the run (user, time, parameters) and show it."""
    from reforge.api.routers.policy import Evaluation, run_evaluation
    lang = lang_of(request)
    try:
        body = Evaluation(programme=programme, outcomes=[outcome])
    except ValueError:  # pydantic validation: a coded message, not the validator's text
        r = {"ok": False, "na": False, "data": None, "error": render_message("policy.page.bad_input", {}, lang)}
        return _result(request, user, r, _runs(db, user), 422)
    r = cap(run_evaluation, db, body, user.username, lang, region_scope(user))
    if not r["ok"] and "unknown programme" in str(r["error"]):
        r["error"] = render_message("policy.page.unknown_programme", {}, lang)
    return _result(request, user, r, _runs(db, user))
