"""Label thresholds and priority weights of chain items (``thresholds.yaml``).

Defaults live in ``thresholds.yaml`` next to this module; callers override single
keys. Validation is by pydantic: unknown keys and out-of-range values are errors.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reforge.errors import ReforgeError
from reforge.settings.yaml_files import safe_load


class Thresholds(BaseModel):
    """Thresholds (shares 0-1 of purchase value, technology levels 1-5) and priority weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chokepoint_import_dependence: float = Field(ge=0, le=1)
    chokepoint_top_country_share: float = Field(ge=0, le=1)
    chokepoint_downstream_reach: float = Field(ge=0, le=1)
    weak_domestic_share: float = Field(ge=0, le=1)
    weak_tech_gap: float = Field(ge=0, le=4)
    reach_min_criticality: float = Field(ge=0, le=1)
    default_frontier_level: int = Field(ge=1, le=5)
    priority_reach_floor: float = Field(ge=0, le=1)
    priority_import_weight: float = Field(ge=0)
    weight_missing: float = Field(ge=0)
    weight_blank: float = Field(ge=0)
    weight_chokepoint: float = Field(ge=0)
    weight_weak: float = Field(ge=0)
    weight_insufficient_data: float = Field(ge=0)
    weight_sound: float = Field(ge=0)

    def label_weight(self, label: str) -> float:
        """Priority weight of a label."""
        return float(getattr(self, f"weight_{label}"))


@lru_cache(maxsize=1)
def _defaults_raw() -> dict[str, Any]:
    text = resources.files("reforge.chain").joinpath("thresholds.yaml").read_text(encoding="utf-8")
    return dict(safe_load(text))


def defaults_text() -> str:
    """The documented defaults file, verbatim (for ``--explain``)."""
    return resources.files("reforge.chain").joinpath("thresholds.yaml").read_text(encoding="utf-8")


def load_thresholds(overrides: dict[str, Any] | Thresholds | None = None) -> Thresholds:
    """Defaults from YAML updated by ``overrides``; a ReforgeError names a bad key or value."""
    if isinstance(overrides, Thresholds):
        return overrides
    data = dict(_defaults_raw())
    if overrides:
        if not isinstance(overrides, dict):
            raise ReforgeError(f"thresholds must be a mapping of key -> value, got {type(overrides).__name__}")
        unknown = sorted(set(overrides) - set(Thresholds.model_fields))
        if unknown:
            raise ReforgeError(f"unknown threshold {', '.join(unknown)}; known: "
                               f"{', '.join(Thresholds.model_fields)}")
        data.update(overrides)
    try:
        return Thresholds(**data)
    except ValidationError as e:
        err = e.errors()[0]
        raise ReforgeError(f"bad threshold {err['loc'][0]}={err.get('input')!r}: {err['msg']}") from None


def parse_overrides(pairs: list[str] | None) -> dict[str, float]:
    """``["KEY=VALUE", ...]`` from the command line to a dict of floats."""
    out: dict[str, float] = {}
    for p in pairs or []:
        if "=" not in p:
            raise ReforgeError(f"a threshold override needs KEY=VALUE, got {p!r}", code="chain.threshold.pair",
                               params={"value": str(p)[:80]})
        k, v = p.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise ReforgeError(f"threshold {k.strip()} needs a number, got {v!r}", code="chain.threshold.number",
                               params={"key": k.strip()[:40], "value": str(v)[:40]}) from None
    return out
