"""Joint-research parameters as data: ``params.yaml`` validated by pydantic."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from reforge.schema.tables import CREDIT_KINDS, DESIGNATION_KINDS

PARTS: tuple[str, ...] = ("lead_fit", "lead_credit", "lead_tier", "institutions", "past_collaboration",
                          "platform", "adopters")
"""The consortium score parts, in the order they are shown."""

_FILE = Path(__file__).with_name("params.yaml")


class CreditFloor(BaseModel):
    """Lowest acceptable grade of a lead, per grade source."""

    tax_rating: str
    scorecard: str


class LinkWeights(BaseModel):
    """Weights of the institution-choice (link) score."""

    strength: float = Field(ge=0)
    past: float = Field(ge=0)
    region: float = Field(ge=0)


class ResearchParams(BaseModel):
    """Consortium weights (sum 1), credit floor, exclusion and tier kinds, link weights."""

    version: int
    weights: dict[str, float]
    credit_floor: CreditFloor
    tax_ratings: list[str]
    exclusion_kinds: list[str]
    tier_kinds: list[str]
    link_weights: LinkWeights
    institutions_per_consortium: int = Field(ge=1, le=20)
    adopters_per_consortium: int = Field(ge=1, le=50)
    thin_share: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> ResearchParams:
        if set(self.weights) != set(PARTS):
            raise ValueError(f"weights must name exactly {PARTS}")
        if any(w < 0 for w in self.weights.values()) or abs(sum(self.weights.values()) - 1) > 1e-9:
            raise ValueError("weights must be non-negative and sum to 1")
        if not set(self.exclusion_kinds) <= set(CREDIT_KINDS):
            raise ValueError("unknown credit kind in exclusion_kinds")
        if not set(self.tier_kinds) <= set(DESIGNATION_KINDS):
            raise ValueError("unknown designation kind in tier_kinds")
        if self.credit_floor.tax_rating not in self.tax_ratings:
            raise ValueError("credit_floor.tax_rating must be one of tax_ratings")
        return self


@lru_cache(maxsize=1)
def default_params() -> ResearchParams:
    """The shipped ``params.yaml``."""
    from reforge.settings.yaml_files import safe_load
    return ResearchParams.model_validate(safe_load(_FILE.read_text(encoding="utf-8")))


__all__ = ["PARTS", "CreditFloor", "LinkWeights", "ResearchParams", "default_params"]
