"""First set / first batch / first version: eligibility rules (``catalogue.yaml``) and the
insurance-compensation arithmetic. Pure functions on plain values (a product as a mapping).

Eligibility: every rule of the product's kind is checked on one field; a rule passes, fails,
or is *missing* (the field is absent or null). The decision is ``eligible`` (all pass),
``not_eligible`` (any fails) or ``incomplete`` (none fails, some missing). Each rule's
outcome is a message code with the rule id, field, value, operator, threshold, source and
confidence.

Insurance (per year, yuan): ``premium = insured_value * rate``; the subsidised base uses the
capped rate, ``base = insured_value * min(rate, rate_cap)``; ``subsidy = subsidy_share * base``
for at most ``max_years`` of the ``years`` asked; the insurer's liability (when the kind
caps it) is ``min(liability, liability_multiple * contract_value, liability_cap)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reforge.errors import InvalidInput
from reforge.messages import Message
from reforge.settings.yaml_files import safe_load

Op = Literal["is_true", "eq", "le", "ge"]


class Rule(BaseModel):
    """One eligibility rule: ``field`` compared by ``op`` with ``value``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    field: str
    op: Op
    value: float | None = None
    confidence: Literal["A", "B", "C"]
    source: str


class Insurance(BaseModel):
    """Insurance-compensation parameters of a kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rate_cap: float = Field(gt=0, le=1)
    subsidy_share: float = Field(ge=0, le=1)
    max_years: int = Field(ge=1)
    liability_multiple: float | None = Field(default=None, gt=0)
    liability_cap: float | None = Field(default=None, gt=0)
    confidence: Literal["A", "B", "C"]
    source: str


class Kind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    source: str
    rules: list[Rule]
    insurance: Insurance | None = None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    effective: str
    kinds: dict[str, Kind]


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The validated ``catalogue.yaml``."""
    text = resources.files("reforge.appraise").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return Catalogue(**safe_load(text))


def _kind(kind: str) -> Kind:
    cat = load_catalogue()
    if kind not in cat.kinds:
        raise InvalidInput(f"unknown catalogue kind {kind!r}; use one of {', '.join(cat.kinds)}",
                           code="appraise.catalogue.kind", params={"value": str(kind)[:40], "choices": list(cat.kinds)})
    return cat.kinds[kind]


def _check(rule: Rule, v: Any) -> bool:
    if rule.op == "is_true":
        return v is True
    x = float(v)
    t = float(rule.value)  # type: ignore[arg-type]
    return x == t if rule.op == "eq" else x <= t if rule.op == "le" else x >= t


def eligibility(kind: str, product: Mapping[str, Any]) -> dict[str, Any]:
    """``{"kind", "decision", "rules": [{id, outcome, ...}], "reasons": [Message]}`` for a product."""
    k = _kind(kind)
    rows: list[dict[str, Any]] = []
    reasons: list[Message] = []
    for r in k.rules:
        v = product.get(r.field)
        if v is None or (r.op != "is_true" and isinstance(v, bool)):
            outcome = "missing"
        else:
            try:
                outcome = "pass" if _check(r, v) else "fail"
            except (TypeError, ValueError):
                outcome = "missing"
        params = {"rule": r.id, "field": r.field, "value": v if isinstance(v, bool | int | float | str) else None,
                  "op": r.op, "threshold": r.value, "confidence": r.confidence, "source": r.source}
        rows.append({"id": r.id, "outcome": outcome, **params})
        reasons.append(Message(f"appraise.catalogue.{outcome}", params))
    outcomes = {row["outcome"] for row in rows}
    decision = "not_eligible" if "fail" in outcomes else "incomplete" if "missing" in outcomes else "eligible"
    return {"kind": kind, "name": k.name, "source": k.source, "decision": decision, "rules": rows, "reasons": reasons}


def insurance(kind: str, insured_value: float, rate: float, years: int = 1, contract_value: float | None = None,
              liability: float | None = None) -> dict[str, Any]:
    """The premium, the subsidy and the capped liability of a product's insurance (yuan)."""
    k = _kind(kind)
    ins = k.insurance
    if ins is None:
        raise InvalidInput(f"{kind} has no insurance compensation scheme", code="appraise.insurance.none",
                           params={"kind": kind})
    for name, v, hi in (("insured_value", insured_value, math.inf), ("rate", rate, 1.0),
                        ("contract_value", contract_value, math.inf), ("liability", liability, math.inf)):
        if v is None and name in ("contract_value", "liability"):
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not 0 <= v <= hi:
            raise InvalidInput(f"{name} must be a finite number from 0 to {hi}", code="appraise.insurance.bad_value",
                               params={"name": name})
    if not isinstance(years, int) or years < 1:
        raise InvalidInput("years must be a whole number >= 1", code="appraise.insurance.bad_value",
                           params={"name": "years"})
    premium = insured_value * rate
    base = insured_value * min(rate, ins.rate_cap)
    subsidy = ins.subsidy_share * base
    covered = min(years, ins.max_years)
    notes: list[Message] = []
    if rate > ins.rate_cap:
        notes.append(Message("appraise.insurance.rate_capped", {"rate": rate, "cap": ins.rate_cap}))
    if years > ins.max_years:
        notes.append(Message("appraise.insurance.years_capped", {"years": years, "max": ins.max_years}))
    allowed = liability
    caps = []
    if ins.liability_multiple is not None and contract_value is not None:
        caps.append(ins.liability_multiple * contract_value)
    if ins.liability_cap is not None:
        caps.append(ins.liability_cap)
    if liability is not None and caps and liability > min(caps):
        allowed = min(caps)
        notes.append(Message("appraise.insurance.liability_capped", {"asked": liability, "cap": allowed}))
    total_subsidy = subsidy * covered
    return {"kind": kind, "premium_per_year": premium, "subsidised_base_per_year": base,
            "subsidy_per_year": subsidy, "years_subsidised": covered, "total_premium": premium * years,
            "total_subsidy": total_subsidy, "enterprise_pays": premium * years - total_subsidy,
            "liability": allowed, "rate_cap": ins.rate_cap, "subsidy_share": ins.subsidy_share,
            "max_years": ins.max_years, "confidence": ins.confidence, "source": ins.source, "notes": notes}
