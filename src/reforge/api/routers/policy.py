"""Policy evaluation: run an evaluation, list results, download the HTML report.

Runs are stored in the database table ``policy_runs`` (user, UTC time, parameters, result and
report), listed newest first and reopened without recomputing (``reforge.policy.runs``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from reforge.api import services as sv
from reforge.api.capabilities import jsonable
from reforge.api.contract import content_disposition
from reforge.api.db import Database
from reforge.api.deps import DB, Analyst, Engine, region_scope
from reforge.api.lang import api_lang
from reforge.api.models.analysis import ProgrammeModel, RunModel, RunResultModel
from reforge.api.models.base import plain
from reforge.errors import NotFound
from reforge.messages import Message

router = APIRouter(tags=["policy"])


class Evaluation(BaseModel):
    programme: str = Field(min_length=1, max_length=80,
                           description="a support_events programme or a designation kind")
    outcomes: Annotated[list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]],
                        Field(min_length=1, max_length=10,
                              description="rd_intensity, revenue_growth, log_revenue, profit_margin, "
                                          "debt_ratio or an enterprise_years column")] = ["rd_intensity"]
    by: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$", description="subgroup column")


@router.get("/policy/programmes", response_model=list[ProgrammeModel], response_model_exclude_unset=True)
def programmes(user: Analyst, engine: Engine) -> list[dict]:
    """Evaluable programmes: ``[{programme, source, firms, events, first, last}]``."""
    return plain(sv.programmes(engine))


def request_lang(request: Request) -> str:
    """The request's language (:func:`reforge.api.lang.api_lang`)."""
    if api_lang(request) == "zh":
        return "zh"
    return "en"


def visible(run: dict, region: str | None) -> bool:
    """Whether an account bound to ``region`` (None: unbound) may see the stored ``run``: an unbound
    account sees every run; a region-bound one only the runs evaluated on its region's firms (a run
    over the whole database is an aggregate of other regions' firms, so it is withheld)."""
    return region is None or (run.get("params") or {}).get("region") == region


def run_evaluation(db: Database, body: Evaluation, username: str, lang: str = "en",
                   region: str | None = None) -> dict:
    """Evaluate on a read cursor, then store the run (result and HTML report in ``lang``) in
    ``policy_runs`` with one write; return ``{"id", "created_at", "username", ..., "result"}``.
    ``region`` (a region-bound account's): the evaluation covers that region's firms only.

    The read is closed before the write: a writer waits for every reader to leave."""
    from reforge.policy.runs import save_run
    with db.reader() as engine:
        known = {p["programme"] for p in sv.programmes(engine)}
        if body.programme not in known:
            raise HTTPException(422, [{"loc": ["body", "programme"], "type": "value_error",
                                       "msg": f"unknown programme {body.programme!r}; known: "
                                              f"{', '.join(sorted(known)) or 'none'}"}])
        with tempfile.TemporaryDirectory(prefix="reforge-policy-") as d:
            rep = Path(d) / "report.html"
            from reforge.policy import evaluate as run
            res = run(engine, body.programme, body.outcomes, by=body.by, report=str(rep), report_lang=lang,
                      region=region)
            html = rep.read_text(encoding="utf-8") if rep.exists() else None
    if html is None and hasattr(res, "to_html"):
        html = res.to_html()
    result = jsonable(res)
    params = {"programme": body.programme, "outcomes": body.outcomes, "by": body.by,
              **{k: result.get(k) for k in ("lag", "control") if isinstance(result, dict)},
              "bootstrap": 999, "seed": 1, "report_lang": lang, **({"region": region} if region else {})}
    if isinstance(result, dict) and "report" in result:  # the temp path is gone: set below to the download
        result["report"] = None
    with db.writer() as w:
        run = save_run(w, username, params, result, html)
    if isinstance(result, dict) and "report" in result and html is not None:
        result["report"] = f"/api/v1/policy/results/{run['id']}/report"
    return {**run, "result": result}


@router.post("/policy/evaluate", response_model=RunResultModel, response_model_exclude_unset=True)
def evaluate(body: Evaluation, request: Request, user: Analyst, db: DB) -> dict:
    """Staggered difference-in-differences of a programme on the outcomes (ATT with 95 % CI and
    p-value, firms used, event study); the run is stored (see ``/policy/results``). For a region-bound
    account the evaluation covers its region's firms only (``result.region``)."""
    return plain(run_evaluation(db, body, user.username, request_lang(request), region_scope(user)))


@router.get("/policy/results", response_model=list[RunModel], response_model_exclude_unset=True)
def results(user: Analyst, engine: Engine) -> list[dict]:
    """Stored evaluations, newest first: ``[{id, created_at, username, programme, outcomes, by, params,
    has_report}]``."""
    from reforge.policy.runs import list_runs
    scope = region_scope(user)
    return plain([r for r in list_runs(engine, 200) if visible(r, scope)])


@router.get("/policy/results/{run_id}", response_model=RunResultModel, response_model_exclude_unset=True)
def result(run_id: str, user: Analyst, engine: Engine) -> dict:
    """One stored evaluation with its result (as computed then; nothing is recomputed)."""
    from reforge.policy.runs import load_run
    try:
        run = load_run(engine, run_id)
        if not visible(run, region_scope(user)):
            raise NotFound("not visible")
        return plain(with_report_link(run))
    except NotFound:
        raise HTTPException(404, Message("api.not_found.evaluation", {"run": run_id[:40]},
                                          f"evaluation {run_id[:40]} not found")) from None


def with_report_link(run: dict) -> dict:
    """A stored run whose result points at its report download (stored with ``report`` None)."""
    res = run.get("result")
    if isinstance(res, dict) and "report" in res:
        res["report"] = f"/api/v1/policy/results/{run['id']}/report" if run.get("has_report") else None
    return run


@router.get("/policy/results/{run_id}/report", response_class=HTMLResponse)
def report(run_id: str, user: Analyst, engine: Engine) -> HTMLResponse:
    """The self-contained HTML report (download), as stored with the run."""
    from reforge.policy.runs import load_report, load_run
    try:
        run = load_run(engine, run_id)
        if not visible(run, region_scope(user)):
            raise NotFound("not visible")
        html = load_report(engine, run_id)
        programme = run["programme"]
    except NotFound:
        raise HTTPException(404, Message("api.not_found.report", {"run": run_id[:40]},
                                          f"no report for evaluation {run_id[:40]}")) from None
    return HTMLResponse(html, headers={
        "Content-Disposition": content_disposition(f"policy-{programme}-{run_id}.html")})
