"""Chains: list, map, bottlenecks, disruption simulation, generic technologies, item detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, model_validator

from reforge.api import services as sv
from reforge.api.deps import Analyst, Engine, region_scope
from reforge.api.models.base import plain
from reforge.api.models.chains import (
    BottlenecksModel,
    ChainModel,
    GenericModel,
    ItemModel,
    MapModel,
    SimulationModel,
)
from reforge.messages import Message

router = APIRouter(tags=["chains"])
ChainId = Annotated[str, "chain id"]


def _chain(engine: Engine, chain_id: str) -> None:
    if not sv.chain_exists(engine, chain_id):
        raise HTTPException(404, Message("api.not_found.chain", {"chain": chain_id}, f"chain {chain_id} not found"))


@router.get("/chains", response_model=list[ChainModel], response_model_exclude_unset=True)
def chains(user: Analyst, engine: Engine) -> list[dict]:
    """``[{chain_id, name, name_zh, description, items, links}]``."""
    return plain(sv.list_chains(engine))


@router.get("/chains/generic", response_model=GenericModel, response_model_exclude_unset=True)
def generic(user: Analyst, engine: Engine, top: Annotated[int | None, Query(ge=1, le=500)] = None):
    """Generic technologies shared by several chains, ranked."""
    return plain(sv.generic_technologies(engine, top, region_scope(user)))


@router.get("/chains/{chain_id}/map", response_model=MapModel, response_model_exclude_unset=True)
def chain_map(chain_id: str, user: Analyst, engine: Engine, year: int | None = None) -> dict:
    """Nodes and edges of the chain (with labels of ``year``, default the latest well-covered link year).
    For a region-bound account the labels come from its region's firms' purchases (``scope``)."""
    _chain(engine, chain_id)
    return plain(sv.chain_map(engine, chain_id, year, region_scope(user)))


@router.get("/chains/{chain_id}/bottlenecks", response_model=BottlenecksModel, response_model_exclude_unset=True)
def bottlenecks(chain_id: str, user: Analyst, engine: Engine, year: int | None = None) -> dict:
    """Per-item metrics, labels and reasons in ``year`` (default: the latest well-covered link year).
    For a region-bound account the metrics come from the purchases of its region's firms (producer
    counts and best domestic technology level stay national) and ``scope`` names the region."""
    _chain(engine, chain_id)
    return plain(sv.bottlenecks(engine, chain_id, year, region_scope(user)))


class Scenario(BaseModel):
    """What to remove. At least one of the ``remove_*`` fields is required."""

    remove_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$",
                                       description="ISO 3166-1 alpha-2 country of foreign suppliers")
    remove_firm: str | None = Field(default=None, min_length=1, max_length=64,
                                    description="USCC or foreign supplier id")
    remove_region: str | None = Field(default=None, pattern=r"^\d{6}$", description="GB/T 2260 code")
    remove_item: str | None = Field(default=None, min_length=1, max_length=64)
    loss_threshold: float = Field(default=0.5, ge=0, lt=1,
                                  description="a buyer is disrupted when the lost share of an item's "
                                              "purchases is greater than this (0 <= t < 1; at 1 nobody "
                                              "could be)")

    @model_validator(mode="after")
    def _one(self) -> Scenario:
        if not any((self.remove_country, self.remove_firm, self.remove_region, self.remove_item)):
            raise ValueError("give at least one of remove_country, remove_firm, remove_region, remove_item")
        return self


@router.post("/chains/{chain_id}/simulate", response_model=SimulationModel, response_model_exclude_unset=True)
def simulate(chain_id: str, body: Scenario, user: Analyst, engine: Engine) -> dict:
    """Disrupted firms and lost value when the scenario's suppliers disappear."""
    _chain(engine, chain_id)
    return plain(sv.simulate(engine, chain_id, region_scope(user), **body.model_dump()))


@router.get("/items/{item_id}", response_model=ItemModel, response_model_exclude_unset=True)
def item(item_id: str, user: Analyst, engine: Engine) -> dict:
    """Item detail: names, chains, domestic and foreign suppliers."""
    d = sv.item_detail(engine, item_id)
    if d is None:
        raise HTTPException(404, Message("api.not_found.item", {"item": item_id}, f"item {item_id} not found"))
    return plain(d)
