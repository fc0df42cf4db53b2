"""Rule sets as data: pydantic models of ``rules/*.yaml`` and ``provinces/*.yaml``, and loading.

A rule set (one official notice) holds tiers; a tier holds hard ``conditions`` and
optionally a ``points`` table. A condition passes when all its ``all`` leaves hold,
or any of its ``alternatives`` (each a list of leaves) holds; ``when`` restricts it
to firms it applies to. A leaf compares a metric (``reforge.firms.metrics.METRICS``,
or ``score`` / ``score.<block>``) with a threshold; values on a boundary take the
higher band (``>=`` / ``<=`` compare with a tolerance of 1e-9).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reforge.engine.sqlbuild import is_ident
from reforge.errors import ReforgeError
from reforge.firms.metrics import METRICS
from reforge.schema.tables import CREDIT_KINDS
from reforge.settings.yaml_files import safe_load

RULES_DIR = Path(__file__).resolve().parent / "rules"
PROVINCES_DIR = Path(__file__).resolve().parent / "provinces"
TIERS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion")
Confidence = Literal["A", "B", "C", "A/B", "B/C"]
Op = Literal[">=", "<=", ">", "<", "is_true", "is_false"]


def _check_id(v: str) -> str:
    """A rule id or block name, which becomes part of a column name of the screening query."""
    if not is_ident(v):
        raise ValueError(f"id {v[:40]!r} must be letters, digits and _ only (not starting with a digit)")
    return v


def _check_metric(m: str) -> str:
    if m == "score" or m.startswith("score.") or m in METRICS:
        return m
    raise ValueError(f"unknown metric {m!r}; known: {', '.join(sorted(METRICS))}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(Strict):
    """One comparison: ``metric op threshold``."""

    metric: str
    op: Op = ">="
    threshold: float | None = None

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        return _check_metric(v)

    @model_validator(mode="after")
    def _thr(self) -> Leaf:
        if self.op in (">=", "<=", ">", "<") and self.threshold is None:
            raise ValueError(f"leaf on {self.metric} with op {self.op} needs a threshold")
        return self


class Condition(Strict):
    """A hard condition of a tier (or a veto-free pass rule like 'score >= 60 or a direct route')."""

    id: str
    label: str
    block: str = ""
    all: list[Leaf]
    alternatives: list[list[Leaf]] = Field(default_factory=list)
    when: list[Leaf] = Field(default_factory=list)
    source: str
    confidence: Confidence
    note: str = ""
    enabled: bool = True
    at_review: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @property
    def unverified(self) -> bool:
        """True for [C] criteria (not confirmed by two sources)."""
        return "C" in self.confidence


class Band(Strict):
    """``min``: value >= min gets ``points``; ``max``: value <= max gets ``points`` (first match wins)."""

    min: float | None = None
    max: float | None = None
    points: float

    @model_validator(mode="after")
    def _one(self) -> Band:
        if (self.min is None) == (self.max is None):
            raise ValueError("a band needs exactly one of min or max")
        return self


class Indicator(Strict):
    """One row of a points table.

    kind ``bands``: points of the first matching band; with several ``metrics`` the
    highest of their points (e.g. 'R&D >= 5m or >= 10%'). kind ``count``: ``per_item``
    per unit of the metric, capped at ``max_points``. kind ``provincial``: from the
    province files.
    """

    id: str
    label: str
    block: str
    kind: Literal["bands", "count", "provincial"] = "bands"
    metrics: list[str] = Field(default_factory=list)
    bands: dict[str, list[Band]] = Field(default_factory=dict)
    otherwise: float = 0
    per_item: float = 0
    max_points: float
    source: str
    confidence: Confidence
    note: str = ""

    @field_validator("id", "block")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, v: list[str]) -> list[str]:
        for m in v:
            _check_metric(m)
        return v

    @model_validator(mode="after")
    def _shape(self) -> Indicator:
        if self.kind == "bands":
            if not self.metrics or set(self.bands) != set(self.metrics):
                raise ValueError(f"indicator {self.id}: bands need one band list per metric")
        if self.kind == "count" and (len(self.metrics) != 1 or self.per_item <= 0):
            raise ValueError(f"indicator {self.id}: count needs one metric and per_item > 0")
        return self

    @property
    def unverified(self) -> bool:
        return "C" in self.confidence


class Veto(Strict):
    """A credit record that excludes a firm from every tier."""

    id: str
    label: str
    credit_kind: str
    mode: Literal["active", "window"]
    years: int = 3
    source: str
    confidence: Confidence

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("credit_kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in CREDIT_KINDS:
            raise ValueError(f"unknown credit kind {v!r}; known: {', '.join(CREDIT_KINDS)}")
        return v


class Tier(Strict):
    label: str
    inherit: str | None = None
    points: list[Indicator] = Field(default_factory=list)
    points_from: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    note: str = ""


class RuleSet(Strict):
    id: str
    name: str
    document: str
    effective: date
    source: str
    confidence: Confidence
    review_rules: str | None = None
    vetoes: list[Veto]
    tiers: dict[str, Tier]
    notes: list[str] = Field(default_factory=list)
    # years a designation granted under this rule set stays valid when the data give no
    # expires_on (kind -> years; a kind not listed, or null, never expires by default)
    designation_validity_years: dict[str, int | None] = Field(default_factory=dict)

    @field_validator("designation_validity_years")
    @classmethod
    def _validity(cls, v: dict[str, int | None]) -> dict[str, int | None]:
        from reforge.schema.tables import DESIGNATION_KINDS
        bad = set(v) - set(DESIGNATION_KINDS)
        if bad:
            raise ValueError(f"unknown designation kinds {sorted(bad)}")
        if any(y is not None and not 1 <= y <= 50 for y in v.values()):
            raise ValueError("designation validity must be 1-50 years (or null)")
        return v

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: dict[str, Tier]) -> dict[str, Tier]:
        bad = set(v) - set(TIERS)
        if bad:
            raise ValueError(f"unknown tiers {sorted(bad)}; known: {', '.join(TIERS)}")
        return v

    def tier(self, name: str) -> Tier:
        """The tier, with ``inherit`` resolved to the other rule set's tier."""
        if name not in TIERS:
            raise ReforgeError(f"unknown tier {name!r}; use one of {', '.join(TIERS)}")
        t = self.tiers.get(name)
        if t is None:
            raise ReforgeError(f"rule set {self.id} has no tier {name}")
        if t.inherit:
            return load_rules(t.inherit).tier(name)
        return t

    def points_of(self, name: str) -> list[Indicator]:
        """Points table of a tier (following ``points_from``)."""
        t = self.tier(name)
        if not t.points_from:
            return t.points
        other, _, rid = t.points_from.partition("@")
        return (load_rules(rid) if rid else self).points_of(other)


class ProvincialItem(Strict):
    id: str
    label: str
    points: float
    metric: str | None = None
    industry_prefixes: list[str] = Field(default_factory=list)

    @field_validator("metric")
    @classmethod
    def _m(cls, v: str | None) -> str | None:
        return _check_metric(v) if v else v

    @field_validator("industry_prefixes")
    @classmethod
    def _prefixes(cls, v: list[str]) -> list[str]:
        for p in v:
            if not (p.isascii() and p.isalnum()):
                raise ValueError(f"industry prefix {p[:20]!r} must be letters and digits only")
        return v

    @model_validator(mode="after")
    def _one(self) -> ProvincialItem:
        if (self.metric is None) == (not self.industry_prefixes):
            raise ValueError(f"provincial item {self.id}: give exactly one of metric or industry_prefixes")
        return self


class Province(Strict):
    """Provincial indicators (SRDI 2022 indicator #9): items summed, capped at ``max_points``."""

    code: str
    name: str
    source: str
    confidence: Confidence
    max_points: float = 15
    items: list[ProvincialItem]


def _read_yaml(path: Path) -> dict:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ReforgeError(f"{path}: invalid YAML: {e}") from None


@lru_cache(maxsize=32)
def _load_file(path: str) -> RuleSet:
    p = Path(path)
    try:
        return RuleSet.model_validate(_read_yaml(p))
    except ValueError as e:
        raise ReforgeError(f"{p.name}: invalid rule set: {str(e).splitlines()[0]} — {e}") from None


def available_rules() -> list[RuleSet]:
    """All rule sets shipped in ``rules/``, oldest first."""
    out = [_load_file(str(p)) for p in sorted(RULES_DIR.glob("*.yaml"))]
    return sorted(out, key=lambda r: r.effective)


def load_rules(name_or_date: str | int | date | Path | None = None) -> RuleSet:
    """A rule set by id (``"2022"``, ``"2026"``), by YAML path, or the one in force on a date.

    An int year means the rule set in force at the end of that year. Before the
    first rule set's effective date the first rule set is used.
    """
    if isinstance(name_or_date, Path) or (isinstance(name_or_date, str) and name_or_date.endswith((".yaml", ".yml"))):
        p = Path(name_or_date)
        if not p.exists():
            raise ReforgeError(f"rule file {p} does not exist")
        return _load_file(str(p.resolve()))
    sets = available_rules()
    if name_or_date is None:
        return sets[-1]
    if isinstance(name_or_date, str) and not name_or_date.isdigit():
        try:
            name_or_date = date.fromisoformat(name_or_date)
        except ValueError:
            raise ReforgeError(f"unknown rule set {name_or_date!r}; known: "
                               f"{', '.join(r.id for r in sets)} or a date YYYY-MM-DD") from None
    if isinstance(name_or_date, str):
        for r in sets:
            if r.id == name_or_date:
                return r
        raise ReforgeError(f"unknown rule set {name_or_date!r}; known: {', '.join(r.id for r in sets)}")
    on = name_or_date if isinstance(name_or_date, date) else date(int(name_or_date), 12, 31)
    chosen = sets[0]
    for r in sets:
        if r.effective <= on:
            chosen = r
    return chosen


def rules_for_year(year: int) -> RuleSet:
    """The rule set in force in screening year ``year`` (at its end)."""
    return load_rules(int(year))


@lru_cache(maxsize=4)
def load_provinces(folder: str | None = None) -> dict[str, Province]:
    """Province files keyed by GB/T 2260 code; ``default`` applies to the others."""
    d = Path(folder) if folder else PROVINCES_DIR
    out: dict[str, Province] = {}
    for p in sorted(d.glob("*.yaml")):
        try:
            prov = Province.model_validate(_read_yaml(p))
        except ValueError as e:
            raise ReforgeError(f"{p.name}: invalid province file: {e}") from None
        out[prov.code] = prov
    if "default" not in out:
        raise ReforgeError(f"{d}: no default.yaml province file")
    return out
