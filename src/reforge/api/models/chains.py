"""Response models of the chain routes (``reforge.chain`` results' ``to_dict()`` shapes)."""

from __future__ import annotations

from typing import Any

from reforge.api.models.base import Coded, Num, Open, Row


class ChainModel(Open):
    """A chain with its size: ``items`` and ``links`` are counts."""

    chain_id: str
    name: str | None = None
    name_zh: str | None = None
    description: str | None = None
    items: int | None = None
    links: int | None = None


class GenericChainModel(Open):
    chain_id: str
    label: str | None = None
    downstream_reach: Num | None = None


class GenericItemModel(Open):
    """An item used by several chains: ``breadth`` chains, ``score`` = sum of reach x label weight."""

    item_id: str
    name: str | None = None
    name_zh: str | None = None
    foundation: str | None = None
    chains: list[GenericChainModel] | None = None
    breadth: int | None = None
    mean_reach: Num | None = None
    weakness: Num | None = None
    score: Num | None = None


class RegionScope(Open):
    """The GB/T 2260 region whose firms' purchases a chain result was computed from (a
    region-bound account); absent for an account that sees the whole database."""

    region: str


class GenericModel(Open):
    """Generic (cross-chain) technologies, best first."""

    min_chains: int | None = None
    items: list[GenericItemModel]
    scope: RegionScope | None = None


class MapNode(Open):
    id: str
    name: str | None = None
    name_zh: str | None = None
    foundation: str | None = None
    label: str | None = None
    reach: Num | None = None
    layer: int | None = None


class MapEdge(Open):
    source: str
    target: str
    share: Num | None = None


class MapModel(Open):
    """Nodes (items with label and reach) and edges (input -> output, value share) of a chain."""

    nodes: list[MapNode]
    edges: list[MapEdge]
    scope: RegionScope | None = None


class BottleneckItem(Open):
    """One item's metrics, label (missing | blank | chokepoint | weak | insufficient_data | sound),
    priority and reasons (texts in the request's language; ``reason_codes`` beside them)."""

    item_id: str
    name: str | None = None
    name_zh: str | None = None
    foundation: str | None = None
    label: str
    reasons: list[str] | None = None
    reason_codes: list[Coded] | None = None
    priority: Num | None = None
    segment: str | None = None
    downstream_reach: Num | None = None
    import_dependence: Num | None = None
    top_country: str | None = None
    top_country_share: Num | None = None
    domestic_share: Num | None = None
    tech_gap: Num | None = None


class BottlenecksModel(Open):
    """``reforge.chain.bottlenecks`` as ``{"chain_id", "thresholds", "items"}``, plus ``scope``
    for a region-bound account."""

    chain_id: str
    thresholds: dict[str, Any] | None = None
    items: list[BottleneckItem]
    scope: RegionScope | None = None


class SimulationChain(Open):
    chain_id: str
    lost_value: Num | None = None
    items_hit: int | None = None
    disrupted_firms: int | None = None
    end_products_affected: list[str] | None = None


class SimulationModel(Open):
    """A disruption scenario's effect: firms cut off, value lost (CNY), by chain and by item."""

    disrupted_firms_count: int
    lost_value: Num | None = None
    disrupted_firms: list[str] | None = None
    rounds: int | None = None
    by_chain: list[SimulationChain] | None = None
    by_item: list[Row] | None = None
    scope_chain: str | None = None
    chain: SimulationChain | None = None
    scope: RegionScope | None = None


class ItemModel(Open):
    """An item with its chains and its domestic and foreign producers (50 each, best first)."""

    item: Row
    chains: list[Row]
    domestic_suppliers: list[Row]
    foreign_suppliers: list[Row]


__all__ = ["BottlenecksModel", "ChainModel", "GenericModel", "ItemModel", "MapModel", "SimulationModel"]
