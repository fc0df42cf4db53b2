"""Matching parameters as data: ``weights.yaml`` validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from reforge.schema.tables import CREDIT_KINDS, DESIGNATION_KINDS

PARTS: tuple[str, ...] = ("text", "item_fit", "level", "capacity", "region", "designation", "relation")
"""The score parts, in the order they are shown."""

_FILE = Path(__file__).with_name("weights.yaml")


class ItemFit(BaseModel):
    """Item-fit part by how the candidate is tied to the demanded item."""

    capability: float = Field(ge=0, le=1)
    offer: float = Field(ge=0, le=1)
    main_product: float = Field(ge=0, le=1)


class MatchParams(BaseModel):
    """Weights of the score parts (sum 1) and the kinds that filter or earn points."""

    version: int
    weights: dict[str, float]
    item_fit: ItemFit
    dishonesty_kinds: list[str]
    designation_kinds: list[str]

    @model_validator(mode="after")
    def _check(self) -> MatchParams:
        if set(self.weights) != set(PARTS):
            raise ValueError(f"weights must name exactly {PARTS}")
        if any(w < 0 for w in self.weights.values()) or abs(sum(self.weights.values()) - 1) > 1e-9:
            raise ValueError("weights must be non-negative and sum to 1")
        if not set(self.dishonesty_kinds) <= set(CREDIT_KINDS):
            raise ValueError("unknown credit kind in dishonesty_kinds")
        if not set(self.designation_kinds) <= set(DESIGNATION_KINDS):
            raise ValueError("unknown designation kind in designation_kinds")
        return self


@lru_cache(maxsize=1)
def default_params() -> MatchParams:
    """The shipped ``weights.yaml``."""
    import yaml
    return MatchParams.model_validate(yaml.safe_load(_FILE.read_text(encoding="utf-8")))


__all__ = ["PARTS", "ItemFit", "MatchParams", "default_params"]
