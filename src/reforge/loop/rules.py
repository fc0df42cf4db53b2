"""Leader rules (``leaders.yaml``): part weights, candidate and tree limits, designation kinds.

Defaults live in ``leaders.yaml`` next to this module; callers override single keys (a dict),
validated by pydantic: unknown keys and out-of-range values are coded errors."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reforge.errors import InvalidInput
from reforge.settings.yaml_files import safe_load

PARTS = ("output_share", "purchase_share", "domestic_suppliers", "tree_depth", "tree_size")
KINDS = ("srdi_sme", "little_giant")


class Weights(BaseModel):
    """Weight of each score part (>= 0, not all 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    output_share: float = Field(ge=0)
    purchase_share: float = Field(ge=0)
    domestic_suppliers: float = Field(ge=0)
    tree_depth: float = Field(ge=0)
    tree_size: float = Field(ge=0)


class LeaderRules(BaseModel):
    """Validated content of ``leaders.yaml`` (see the comments there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: Weights
    candidates: int = Field(ge=1, le=500)
    max_depth: int = Field(ge=1, le=8)
    top: int = Field(ge=1, le=100)
    designations: tuple[str, ...]

    def weight_sum(self) -> float:
        return sum(getattr(self.weights, p) for p in PARTS)


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    text = resources.files("reforge.loop").joinpath("leaders.yaml").read_text(encoding="utf-8")
    return safe_load(text)


def load_rules(overrides: dict | LeaderRules | None = None) -> LeaderRules:
    """The rules: ``leaders.yaml`` with ``overrides`` applied (nested ``weights`` merged)."""
    if isinstance(overrides, LeaderRules):
        return overrides
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _defaults().items()}
    for k, v in (overrides or {}).items():
        if k == "weights" and isinstance(v, dict):
            data["weights"] = {**data["weights"], **v}
        else:
            data[k] = v
    try:
        r = LeaderRules(**data)
    except (ValidationError, TypeError) as exc:
        raise InvalidInput(f"invalid leader rules: {exc}", code="loop.rules.invalid",
                           params={"detail": str(exc).splitlines()[0][:200]}) from None
    if r.weight_sum() <= 0:
        raise InvalidInput("invalid leader rules: all weights are 0", code="loop.rules.invalid",
                           params={"detail": "all weights are 0"})
    bad = [k for k in r.designations if k not in KINDS]
    if bad:
        raise InvalidInput(f"invalid leader rules: unknown designation kind {bad[0]!r}", code="loop.rules.invalid",
                           params={"detail": f"unknown designation kind {bad[0][:40]}"})
    return r
