"""Sectors (input-output tables) and macro indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from reforge.api import services as sv
from reforge.api.deps import Analyst, Engine
from reforge.api.models.analysis import IndicatorModel, IOTableModel, KeySectorsModel
from reforge.api.models.base import plain
from reforge.messages import Message

router = APIRouter(tags=["sectors"])


@router.get("/sectors", response_model=list[IOTableModel], response_model_exclude_unset=True)
def tables(user: Analyst, engine: Engine) -> list[dict]:
    """IO tables available: ``[{table_id, cells, sectors}]``."""
    return plain(sv.io_tables(engine))


@router.get("/sectors/{table_id}/key-sectors", response_model=KeySectorsModel, response_model_exclude_unset=True)
def key_sectors(table_id: str, user: Analyst, engine: Engine):
    """Backward/forward linkages and the key-sector classification."""
    if not engine.fetch_scalar("SELECT COUNT(*) FROM io_tables WHERE table_id = ?", [table_id]):
        raise HTTPException(404, Message("api.not_found.io_table", {"table": table_id},
                                          f"IO table {table_id} not found"))
    return plain(sv.key_sectors(engine, table_id))


@router.get("/indicators", response_model=list[IndicatorModel], response_model_exclude_unset=True)
def indicators(user: Analyst, engine: Engine,
               region: Annotated[str | None, Query(max_length=12)] = None,
               indicator: Annotated[str | None, Query(max_length=80)] = None) -> list[dict]:
    """Macro indicators ``[{region_code, indicator, year, value, unit, source}]``."""
    return plain(sv.indicators(engine, region, indicator))
