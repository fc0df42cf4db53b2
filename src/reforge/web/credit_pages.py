"""The credit page's scorecard table and validation report.

``scorecard_view`` gives the stored model's scorecard (feature, bin, points; the best bin of each
feature marked, since reasons count points against it) in the page language for ``/credit``;
``/credit/report`` renders the validation and monitoring report of the stored model
(``reforge credit report``) in memory and serves it (inline, or as a download with
``?download=1``); nothing is written to disk. The rendered report is kept until the next write.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.contract import content_disposition
from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.messages import Message
from reforge.messages import render as render_message
from reforge.web.pages import AnalystUser, DBDep, cached, render

router = APIRouter(include_in_schema=False)


def _text(v: Any, lang: str) -> str:
    return v.render(lang) if isinstance(v, Message) else str(v)


def scorecard_view(engine: Engine, lang: str) -> dict | None:
    """``{model, years, base, rows: [{feature, name, bin, points, points_text, best, first}]}`` of the
    newest stored model in ``lang``; None when no model is stored."""
    from reforge.credit.reasons import scorecard_rows, signed
    from reforge.credit.store import load_model
    try:
        spec = load_model(engine)
    except ReforgeError:
        return None
    rows, last = [], None
    for r in scorecard_rows(spec):
        rows.append({**r, "name": _text(r["name"], lang), "bin": _text(r["bin"], lang),
                     "points_text": signed(r["points"]), "first": r["feature"] != last})
        last = r["feature"]
    years = "–".join(str(y) for y in spec.get("train_years") or [])
    model = spec.get("model_id")
    labels = {k: render_message(f"credit.page.{k}", {}, lang)
              for k in ("scorecard", "feature", "bin", "points", "best", "report")}
    labels["note"] = render_message("credit.page.scorecard_note", {"base": spec.get("base_points")}, lang)
    labels["model"] = render_message("credit.page.model", {"model": model, "years": years}, lang)
    return {"model": model, "years": years, "base": spec.get("base_points"), "rows": rows, "labels": labels}


@router.get("/credit/report", response_class=HTMLResponse)
def credit_report_page(request: Request, user: AnalystUser, db: DBDep, download: int = 0) -> Response:
    """The validation report of the newest stored model (HTML built in memory)."""
    from reforge.credit.report import credit_report_html
    from reforge.credit.store import load_model
    with db.reader() as e:
        try:
            spec = load_model(e)
        except ReforgeError:
            return render(request, "error.html", user, status_code=404, message="common.not_found")
        try:
            html = cached(db, ("credit_report", spec.get("model_id")), lambda: credit_report_html(e, spec))
        except (ReforgeError, ValueError, KeyError):  # e.g. the data no longer cover the model's years
            return render(request, "error.html", user, status_code=404, message="common.not_found")
    headers = {"Content-Disposition": content_disposition(f"credit-report-{spec.get('model_id')}.html")} \
        if download else {}
    return HTMLResponse(html, headers=headers)
