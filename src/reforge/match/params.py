"""Matching parameters as data: ``weights.yaml`` validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from reforge.schema.tables import CREDIT_KINDS, DESIGNATION_KINDS

PARTS: tuple[str, ...] = ("text", "item_fit", "level", "capacity", "credit", "region", "designation", "relation")
"""The score parts, in the order they are shown."""

_FILE = Path(__file__).with_name("weights.yaml")


class ItemFit(BaseModel):
    """Item-fit part by how the candidate is tied to the demanded item."""

    capability: float = Field(ge=0, le=1)
    offer: float = Field(ge=0, le=1)
    main_product: float = Field(ge=0, le=1)
    neighbour: float = Field(0.4, ge=0, le=1)

    @model_validator(mode="after")
    def _below_exact(self) -> ItemFit:
        if self.neighbour >= min(self.capability, self.offer, self.main_product):
            raise ValueError("item_fit.neighbour must be below every exact fit")
        return self


GROUP_PARTS: tuple[str, ...] = ("capability", "credit", "relation")
"""The parts of a pre-research group's score."""


def _default_group_weights() -> dict[str, float]:
    return {"capability": 0.5, "credit": 0.3, "relation": 0.2}


class Scale(BaseModel):
    """When the demand-producer pairs exceed ``pairs``, each demand's candidates are its ``top``
    best BM25 matches, found in SQL ``batch`` demands at a time (``reforge.match.shortlist``)."""

    pairs: int = Field(500_000, ge=0)
    top: int = Field(20, ge=1, le=1000)
    batch: int = Field(5000, ge=1)
    common: float = Field(0.5, gt=0, le=1)
    """A query term in more than this share of its item's documents does not generate
    candidates: its part of the score is computed once per set of such terms (the result stays
    exact)."""


class MatchParams(BaseModel):
    """Weights of the score parts (sum 1) and the kinds that filter or earn points."""

    version: int
    weights: dict[str, float]
    item_fit: ItemFit
    dishonesty_kinds: list[str]
    designation_kinds: list[str]
    groups: dict[str, float] = Field(default_factory=_default_group_weights)
    scale: Scale = Field(default_factory=Scale)
    tax_ratings: list[str] = Field(default_factory=lambda: ["A", "B", "M", "C", "D"])
    """The tax credit ratings, best first (CRITERIA.md); the credit part falls evenly from 1 to 0."""
    gap_below: float = Field(0.5, ge=0, le=1)
    """An item whose matching degree is below this is a gap matching cannot close (chain page)."""

    @model_validator(mode="after")
    def _check(self) -> MatchParams:
        if set(self.weights) != set(PARTS):
            raise ValueError(f"weights must name exactly {PARTS}")
        if any(w < 0 for w in self.weights.values()) or abs(sum(self.weights.values()) - 1) > 1e-9:
            raise ValueError("weights must be non-negative and sum to 1")
        g = self.groups
        if set(g) != set(GROUP_PARTS) or any(v < 0 for v in g.values()) or abs(sum(g.values()) - 1) > 1e-9:
            raise ValueError(f"groups must weigh exactly {GROUP_PARTS}, non-negative, summing to 1")
        if not set(self.dishonesty_kinds) <= set(CREDIT_KINDS):
            raise ValueError("unknown credit kind in dishonesty_kinds")
        if not set(self.designation_kinds) <= set(DESIGNATION_KINDS):
            raise ValueError("unknown designation kind in designation_kinds")
        return self

    def credit_part(self, rating: object) -> float | None:
        """The credit part of a tax credit rating: 1 for the best, 0 for the worst, evenly
        between; None for no or an unknown rating (the caller's neutral 0.5)."""
        r = str(rating).strip().upper() if isinstance(rating, str) else None
        if r not in self.tax_ratings:
            return None
        n = len(self.tax_ratings)
        return 1.0 if n == 1 else 1 - self.tax_ratings.index(r) / (n - 1)


@lru_cache(maxsize=1)
def default_params() -> MatchParams:
    """The shipped ``weights.yaml``."""
    from reforge.settings.yaml_files import safe_load
    return MatchParams.model_validate(safe_load(_FILE.read_text(encoding="utf-8")))


__all__ = ["GROUP_PARTS", "PARTS", "ItemFit", "MatchParams", "Scale", "default_params"]
