"""Credit: scores and grades of all firms (analysts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reforge.api import services as sv
from reforge.api.deps import Analyst, Engine

router = APIRouter(tags=["credit"])


@router.get("/credit/scores")
def scores(user: Analyst, engine: Engine, year: Annotated[int | None, Query(ge=1990, le=2100)] = None):
    """Scores, grades and reasons for every firm in ``year`` (default: latest)."""
    return sv.credit_scores(engine, year)
