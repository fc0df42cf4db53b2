"""The credit page's scorecard table and validation report.

``scorecard_view`` gives the stored model's scorecard (feature, bin, points; the best bin of each
feature marked, since reasons count points against it) in the page language for ``/credit``;
``/credit/report`` renders the validation and monitoring report of the stored model
(``reforge credit report``) in memory and serves it (inline, or as a download with
``?download=1``); nothing is written to disk. The rendered report is kept per model until the
next write. The report aggregates firms of every region, so a region-scoped account gets neither
the link nor the report (as other aggregates over every region are withheld from it).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import services as sv
from reforge.api.contract import content_disposition
from reforge.api.deps import region_scope
from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.messages import Message
from reforge.messages import render as render_message
from reforge.web import tables, views
from reforge.web.i18n import t
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
_reports: dict[tuple, str] = {}  # (database file, write generation, model id) -> report HTML


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


def scorecard_card(db: Any, user: Any, lang: str) -> dict | None:
    """``scorecard_view`` read on its own cursor, with ``report`` (whether to link the report)."""
    with db.reader() as e:
        card = scorecard_view(e, lang)
    if card is not None:
        card["report"] = region_scope(user) is None
    return card


def _report_html(db: Any, e: Engine, spec: dict) -> str:
    from reforge.credit.report import credit_report_html
    key = (db.path, getattr(db, "generation", 0), spec.get("model_id"))
    if key not in _reports:
        html = credit_report_html(e, spec)
        _reports.clear()  # one report kept: the newest model on the current data
        _reports[key] = html
    return _reports[key]


@router.get("/credit/report", response_class=HTMLResponse)
def credit_report_page(request: Request, user: AnalystUser, db: DBDep, download: int = 0) -> Response:
    """The validation report of the newest stored model (HTML built in memory)."""
    from reforge.credit.store import load_model
    if region_scope(user) is not None:
        return render(request, "error.html", user, status_code=403, message="common.forbidden")
    with db.reader() as e:
        try:
            spec = load_model(e)
        except ReforgeError:
            return render(request, "error.html", user, status_code=404, message="common.not_found")
        try:
            html = _report_html(db, e, spec)
        except (ReforgeError, ValueError, KeyError):  # e.g. the data no longer cover the model's years
            return render(request, "error.html", user, status_code=404, message="common.not_found")
    headers = {"Content-Disposition": content_disposition(f"credit-report-{spec.get('model_id')}.html")} \
        if download else {}
    return HTMLResponse(html, headers=headers)


def credit_lean(db: Any, e: Any) -> dict:
    """Grades and scores of every firm without reasons, as the page lists them (kept in the result
    store)."""
    return cached(db, e, ("credit_lean",), lambda: named_firms(e, cap(sv.credit_scores, e, None, 0)), persist=True)


@router.get("/credit", response_class=HTMLResponse)
def credit_page(request: Request, user: AnalystUser, db: DBDep) -> Response:
    fmt = export_format(request)
    lang = lang_of(request)
    grade = request.query_params.get("grade") or ""
    with db.reader() as e:
        scope = account_scope(e, user)
        if fmt is not None:  # an export holds every row's reasons
            sc = scoped(cached(db, e, ("credit",), lambda: named_firms(e, cap(sv.credit_scores, e, None)),
                               persist=True), scope)
        else:  # the page: scores of every firm, reasons only for the rows shown (sorting needs none)
            sc = scoped(credit_lean(db, e), scope)
        rows = views.records(sc["data"]) if sc["ok"] else []
        if grade:
            rows = [r for r in rows if str(r.get("grade")) == grade]
        tp = tables.page_of(rows, "credit", request.query_params, lang, "", default_sort="pd")
        if fmt is None and tp["rows"]:
            shown = [str(r["uscc"]) for r in tp["rows"]]
            why = cached(db, e, ("credit_reasons", sc["data"].get("year"), tuple(shown)),
                         lambda: cap(sv.credit_reasons, e, shown, sc["data"].get("year")))
            if why["ok"]:
                tp["rows"] = [{**r, **why["data"].get(str(r["uscc"]), {})} for r in tp["rows"]]
        met = cap(sv.credit_model_metrics, e) if sc["ok"] and fmt is None else None
    if fmt is not None:
        return tables.download("credit", tp["all"], lang, fmt, f"credit_{grade or 'all'}")
    view = views.credit_page_view(sc["data"], lambda k: t(k, lang)) if sc["ok"] else None
    if view is not None and met and met["ok"]:
        view["validation"] = met["data"]
    grades = [g for g in tables.GRADES if any(str(r.get("grade")) == g for r in views.records(sc["data"]))] \
        if sc["ok"] else []
    from reforge.web.credit_pages import scorecard_card  # the scorecard table and the report link
    return render(request, "credit.html", user, sc=sc, view=view, tp=tp, grade=grade, grades=grades,
                  card=scorecard_card(db, user, lang))
