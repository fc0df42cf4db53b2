"""Gradient tiers: screening, review list, warnings, cohorts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from reforge.api import services as sv
from reforge.api.deps import Analyst, Engine, region_scope
from reforge.api.models.base import plain, with_downloads
from reforge.api.models.firms import CohortsModel, ReviewModel, ScreenModel, WarningsModel
from reforge.api.scope import scope_result
from reforge.region import region_firms

router = APIRouter(tags=["tiers"])
Tier = Literal["innovative_sme", "srdi_sme", "little_giant"]
Year = Annotated[int | None, Query(ge=1990, le=2100)]


@router.get("/tiers/screen", response_model=ScreenModel, response_model_exclude_unset=True, responses=with_downloads(ScreenModel))
def screen(user: Analyst, engine: Engine, tier: Tier = "little_giant", year: Year = None,
           format: Annotated[Literal["xlsx", "csv"] | None, Query(description="download every firm")] = None,
           lang: Annotated[str | None, Query(max_length=10, description="en or zh: export headers")] = None):
    """Candidates (all criteria met) and near-misses for a tier. With ``format``, an Excel or CSV
    file of every screened firm (name, outcome, score, failed conditions in words)."""
    res = _scoped(engine, user, sv.screen(engine, tier, year))
    if format is not None:
        from reforge.web.names import add_firm_names
        from reforge.web.tables import download, export_lang, sort_rows
        firms = add_firm_names(engine, [dict(r) for r in res.get("firms") or []])
        return download("screen", sort_rows(firms, "score", True), export_lang(lang), format, f"{tier}_screen")
    return res


@router.get("/tiers/review", response_model=ReviewModel, response_model_exclude_unset=True)
def review(user: Analyst, engine: Engine, tier: Tier | None = None, year: Year = None):
    """Designated firms due for review."""
    return _scoped(engine, user, sv.review(engine, tier, year))


@router.get("/tiers/warnings", response_model=WarningsModel, response_model_exclude_unset=True)
def warnings(user: Analyst, engine: Engine, year: Year = None):
    """Early warnings across designated firms."""
    return _scoped(engine, user, sv.warnings(engine, year))


@router.get("/tiers/cohorts", response_model=CohortsModel, response_model_exclude_unset=True)
def cohorts(user: Analyst, engine: Engine, tier: Tier | None = None):
    """Cohort tracking of designated firms by batch (withheld from region-bound accounts: the
    cohorts count firms of every region)."""
    return _scoped(engine, user, sv.cohorts(engine, tier))


def _scoped(engine: Engine, user: Analyst, res: dict) -> dict:
    """``res`` limited to the account's region (firm rows of that region; aggregates withheld)."""
    region = region_scope(user)
    return plain(scope_result(res, region, region_firms(engine, region) if region else None))
