"""Credit: scores and grades of all firms (analysts)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from reforge.api import services as sv
from reforge.api.deps import Analyst, Engine, region_scope
from reforge.api.lang import RequestLang
from reforge.api.models.analysis import ScorecardModel
from reforge.api.models.base import plain, with_downloads
from reforge.api.models.firms import ScoresModel
from reforge.api.scope import scope_result
from reforge.region import region_firms

router = APIRouter(tags=["credit"])


@router.get("/credit/scores", response_model=ScoresModel, response_model_exclude_unset=True, responses=with_downloads(ScoresModel))
def scores(user: Analyst, engine: Engine, year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
           format: Annotated[Literal["xlsx", "csv"] | None, Query(description="download every firm")] = None,
           lang: Annotated[str | None, Query(max_length=10, description="en or zh: export headers")] = None,
           grade: Annotated[str | None, Query(max_length=4, description="only this grade (export)")] = None):
    """Scores, grades and reasons for every firm in ``year`` (default: latest). With ``format``, an
    Excel or CSV file of every firm (or of one ``grade``), highest PD first."""
    region = region_scope(user)
    res = scope_result(sv.credit_scores(engine, year), region, region_firms(engine, region) if region else None)
    if format is not None:
        from reforge.web.names import add_firm_names
        from reforge.web.tables import download, export_lang, sort_rows
        firms = [dict(r) for r in res.get("firms") or [] if grade is None or r.get("grade") == grade]
        add_firm_names(engine, firms)
        return download("credit", sort_rows(firms, "pd", True), export_lang(lang), format, "credit_scores")
    return plain(res)


@router.get("/credit/scorecard", response_model=ScorecardModel, response_model_exclude_unset=True)
def scorecard(user: Analyst, engine: Engine, request_lang: RequestLang,
              lang: Annotated[Literal["en", "zh"] | None, Query(
                  description="language of feature and bin names (default: Accept-Language, else en)")] = None
              ) -> dict:
    """The stored model's scorecard: ``{model_id, base_points, rows: [{feature, name, bin, points,
    best}]}``, one row per feature bin (the missing-value bin last); ``best`` marks the bin that
    reasons count their "points vs. the best bin" against. 404 when no model is stored."""
    from fastapi import HTTPException

    from reforge.credit.reasons import scorecard_rows
    from reforge.credit.store import load_model
    from reforge.errors import ReforgeError
    from reforge.messages import Message
    try:
        spec = load_model(engine)
    except ReforgeError:
        raise HTTPException(404, Message("api.not_found.credit_model", {},
                                          "no credit model stored; run `reforge credit train`")) from None

    lg = lang or request_lang

    def text(v: object) -> str:
        return v.render(lg) if isinstance(v, Message) else str(v)
    return plain({"model_id": spec.get("model_id"), "base_points": spec.get("base_points"),
                  "rows": [{**r, "name": text(r["name"]), "bin": text(r["bin"])} for r in scorecard_rows(spec)]})
