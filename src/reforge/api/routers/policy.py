"""Policy evaluation: run an evaluation, list results, download the HTML report.

Results are kept in the server's memory for the session (they are cheap to
recompute and the database stays the single store of data).
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from reforge.api import services as sv
from reforge.api.capabilities import jsonable
from reforge.api.contract import content_disposition
from reforge.api.deps import Analyst, Engine

router = APIRouter(tags=["policy"])
_lock = threading.Lock()


class Evaluation(BaseModel):
    programme: str = Field(min_length=1, max_length=80,
                           description="a support_events programme or a designation kind")
    outcomes: Annotated[list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]],
                        Field(min_length=1, max_length=10,
                              description="rd_intensity, revenue_growth, log_revenue, profit_margin, "
                                          "debt_ratio or an enterprise_years column")] = ["rd_intensity"]
    by: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$", description="subgroup column")


@router.get("/policy/programmes")
def programmes(user: Analyst, engine: Engine) -> list[dict]:
    """Evaluable programmes: ``[{programme, source, firms, events, first, last}]``."""
    return sv.programmes(engine)


def run_evaluation(request: Request, engine: Engine, body: Evaluation, username: str) -> dict:
    """Evaluate, keep the result and its HTML report in memory, return ``{"id", ..., "result"}``."""
    known = {p["programme"] for p in sv.programmes(engine)}
    if body.programme not in known:
        raise HTTPException(422, [{"loc": ["body", "programme"], "type": "value_error",
                                   "msg": f"unknown programme {body.programme!r}; known: "
                                          f"{', '.join(sorted(known)) or 'none'}"}])
    with tempfile.TemporaryDirectory(prefix="reforge-policy-") as d:
        rep = Path(d) / "report.html"
        res = sv.evaluate(engine, body.programme, body.outcomes, body.by, report=str(rep))
        html = rep.read_text(encoding="utf-8") if rep.exists() else None
    if html is None and hasattr(res, "to_html"):
        html = res.to_html()
    rid = uuid.uuid4().hex[:12]
    result = jsonable(res)
    if isinstance(result, dict) and "report" in result:  # the temp path is gone; point at the download
        result["report"] = f"/api/v1/policy/results/{rid}/report" if html is not None else None
    run = {"id": rid, "programme": body.programme, "outcomes": body.outcomes, "by": body.by,
           "username": username, "has_report": html is not None, "result": result}
    with _lock:
        runs = request.app.state.policy_runs
        runs[run["id"]] = {**run, "report": html}
    return run


@router.post("/policy/evaluate")
def evaluate(body: Evaluation, request: Request, user: Analyst, engine: Engine) -> dict:
    """Staggered difference-in-differences of a programme on the outcomes (ATT, event study)."""
    return run_evaluation(request, engine, body, user.username)


@router.get("/policy/results")
def results(request: Request, user: Analyst) -> list[dict]:
    """Evaluations run on this server: ``[{id, programme, outcomes, by, username, has_report}]``."""
    return [{k: v for k, v in r.items() if k not in ("result", "report")}
            for r in request.app.state.policy_runs.values()]


@router.get("/policy/results/{run_id}")
def result(run_id: str, request: Request, user: Analyst) -> dict:
    """One evaluation with its result."""
    r = request.app.state.policy_runs.get(run_id)
    if r is None:
        raise HTTPException(404, f"evaluation {run_id} not found")
    return {k: v for k, v in r.items() if k != "report"}


@router.get("/policy/results/{run_id}/report", response_class=HTMLResponse)
def report(run_id: str, request: Request, user: Analyst) -> HTMLResponse:
    """The self-contained HTML report (download)."""
    r = request.app.state.policy_runs.get(run_id)
    if r is None or not r.get("report"):
        raise HTTPException(404, f"no report for evaluation {run_id}")
    return HTMLResponse(r["report"], headers={
        "Content-Disposition": content_disposition(f"policy-{r['programme']}-{run_id}.html")})
