"""Result types of joint research: personnel flows, consortium proposals, platforms, the network.

Each follows the capability protocol: ``to_frame()`` (pandas), ``to_dict()`` (JSON-ready,
messages as ``{"code", "params", "text"}``), ``summary(lang)`` (a few lines), and a pydantic model
the API declares as ``response_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel

from reforge.messages import Message, render


class ReasonModel(BaseModel):
    """A coded message: ``text`` is English, ``code`` + ``params`` render in any language."""

    code: str
    params: dict[str, Any]
    text: str


def coded(m: Message) -> dict:
    """A message as ``{"code", "params", "text"}``."""
    return m.to_dict()


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if (not isinstance(v, list | dict) and pd.isna(v)) else v) for k, v in r.items()}
            for r in df.to_dict("records")]


# --- personnel flows -----------------------------------------------------------------------

class TypeFlowModel(BaseModel):
    year: int
    from_type: str
    to_type: str
    moves: int
    full_moves: int


class FieldFlowModel(BaseModel):
    year: int
    field: str
    moves: int
    in_moves: int
    out_moves: int


class TwoWayModel(BaseModel):
    year: int
    in_moves: int
    out_moves: int
    balance: float | None
    two_way: float | None


class ThinFieldModel(BaseModel):
    field: str
    name: str | None
    name_zh: str | None
    label: str
    need: float
    moves: int
    thin: bool
    reason: ReasonModel


class FlowModel(BaseModel):
    """R&D personnel flows: the type matrix, field flows, the two-way index, thin fields."""

    year: int | None
    inside: list[str]
    types: list[TypeFlowModel]
    fields: list[FieldFlowModel]
    two_way: list[TwoWayModel]
    need: list[ThinFieldModel]
    thin_threshold: float | None


@dataclass
class FlowResult:
    """Flows of R&D people between organisation types and fields (see ``reforge.research.flows``)."""

    year: int | None
    inside: list[str]
    types: pd.DataFrame
    fields: pd.DataFrame
    two_way: pd.DataFrame
    need: pd.DataFrame
    thin_threshold: float | None

    def matrix(self, year: int | None = None) -> pd.DataFrame:
        """from_type x to_type moves (rows: from), summed over years or for one year."""
        t = self.types if year is None else self.types[self.types["year"] == year]
        return t.pivot_table(index="from_type", columns="to_type", values="moves", aggfunc="sum", fill_value=0)

    def to_frame(self) -> pd.DataFrame:
        return self.types.copy()

    def to_dict(self) -> dict:
        need = self.need.copy()
        need["reason"] = [coded(m) for m in need["reason"]]
        return {"year": self.year, "inside": list(self.inside), "types": _records(self.types),
                "fields": _records(self.fields), "two_way": _records(self.two_way), "need": _records(need),
                "thin_threshold": self.thin_threshold}

    def summary(self, lang: str | None = None) -> list[str]:
        out = [render("research.flows.summary", {"moves": int(self.types["moves"].sum()),
                                                 "years": len(self.two_way)}, lang)]
        for r in self.two_way.itertuples():
            out.append(render("research.flows.two_way", {"year": str(int(r.year)), "inflow": int(r.in_moves),
                                                         "outflow": int(r.out_moves),
                                                         "index": None if pd.isna(r.two_way) else float(r.two_way)},
                              lang))
        thin = self.need[self.need["thin"]] if len(self.need) else self.need
        for r in thin.head(10).itertuples():
            out.append(r.reason.render(lang))
        return out


# --- consortium proposals ------------------------------------------------------------------

class MemberModel(BaseModel):
    id: str
    name: str | None
    role: str
    detail: dict[str, Any]


class PartModel(BaseModel):
    part: str
    value: float
    weight: float
    points: float
    reason: ReasonModel


class ProposalModel(BaseModel):
    target: str
    source: str
    item_id: str
    item_name: str | None
    item_name_zh: str | None
    label: str | None
    demand_id: str | None
    score: float | None
    lead: MemberModel | None
    institutions: list[MemberModel]
    platform: MemberModel | None
    adopters: list[MemberModel]
    parts: list[PartModel]
    excluded: list[MemberModel]
    status: ReasonModel


def proposals_with(proposals: list[dict], usccs: set[str], redact: bool = False) -> list[dict]:
    """The proposals (as held or as in ``to_dict``) where one of ``usccs`` is the lead or an adopter,
    with only their exclusion records (a region's view, issue 19: partners from other regions stay);
    ``redact`` also withholds the lead's credit grade when the lead is not one of them."""
    out = []
    for p in proposals:
        ids = {m["id"] for m in ([p["lead"]] if p["lead"] else []) + p["adopters"]}
        if not ids & usccs:
            continue
        q = dict(p)
        if redact and p["lead"] and p["lead"]["id"] not in usccs:
            q["lead"] = dict(p["lead"], detail={k: v for k, v in p["lead"]["detail"].items() if k != "grade"})
            q["parts"] = [x for x in p["parts"] if x["part"] != "lead_credit"]
        q["excluded"] = [m for m in p["excluded"] if m["id"] in usccs]
        out.append(q)
    return out


class PartnersModel(BaseModel):
    """Consortium proposals per target item / R&D demand."""

    as_of: str
    grade_source: str
    credit_floor: str
    weights: dict[str, float]
    proposals: list[ProposalModel]


@dataclass
class PartnersResult:
    """One proposal per target (a blank/chokepoint/weak item, or an ``rd`` demand)."""

    as_of: str
    grade_source: str
    credit_floor: str
    weights: dict[str, float]
    proposals: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        made: dict[int, dict] = {}  # tens of thousands of exclusions share a few dozen reasons

        def reason(m: Message) -> dict:
            d = made.get(id(m))   # the messages live as long as this call: their ids are theirs
            if d is None:
                d = made[id(m)] = coded(m)
            return d

        def conv(p: dict) -> dict:
            q = dict(p)
            q["status"] = coded(p["status"])
            q["parts"] = [dict(x, reason=coded(x["reason"])) for x in p["parts"]]
            q["excluded"] = [dict(x, detail={k: (reason(v) if isinstance(v, Message) else v)
                                             for k, v in x["detail"].items()}) for x in p["excluded"]]
            return q
        return {"as_of": self.as_of, "grade_source": self.grade_source, "credit_floor": self.credit_floor,
                "weights": dict(self.weights), "proposals": [conv(p) for p in self.proposals]}

    def for_firm(self, uscc: str | None) -> PartnersResult:
        """Only the proposals where ``uscc`` is the lead or an adopter, with the other firms' credit
        grades and exclusion records withheld: what an enterprise account may see."""
        return self.for_firms({uscc} if uscc else set(), redact=True)

    def for_firms(self, usccs: set[str], redact: bool = False) -> PartnersResult:
        """Only the proposals where one of ``usccs`` is the lead or an adopter (see
        :func:`proposals_with`)."""
        return PartnersResult(self.as_of, self.grade_source, self.credit_floor, dict(self.weights),
                              proposals_with(self.proposals, usccs, redact))

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for p in self.proposals:
            rows.append({"target": p["target"], "item_id": p["item_id"], "label": p["label"],
                         "demand_id": p["demand_id"], "score": p["score"],
                         "lead": p["lead"]["id"] if p["lead"] else None,
                         "lead_name": p["lead"]["name"] if p["lead"] else None,
                         "institutions": "; ".join(m["id"] for m in p["institutions"]),
                         "platform": p["platform"]["id"] if p["platform"] else None,
                         "adopters": "; ".join(m["id"] for m in p["adopters"]),
                         "excluded": len(p["excluded"]), "status": p["status"].code})
        return pd.DataFrame(rows, columns=["target", "item_id", "label", "demand_id", "score", "lead", "lead_name",
                                           "institutions", "platform", "adopters", "excluded", "status"])

    def summary(self, lang: str | None = None) -> list[str]:
        ok = [p for p in self.proposals if p["lead"] is not None]
        out = [render("research.partners.summary", {"n": len(self.proposals), "led": len(ok),
                                                    "floor": self.credit_floor}, lang)]
        for p in sorted(ok, key=lambda p: -p["score"])[:10]:
            out.append(p["status"].render(lang))
        return out


# --- platforms -----------------------------------------------------------------------------

class PlatformsModel(BaseModel):
    """Platform usage by enterprise size, fields served vs needed, generic technologies uncovered."""

    platforms: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    sme_share_of_users: float | None
    sme_share_of_firms: float | None
    coverage_by_size: dict[str, float | None]
    needed_fields: list[dict[str, Any]]
    generic_uncovered: list[dict[str, Any]]
    notes: list[ReasonModel]


@dataclass
class PlatformsResult:
    platforms: pd.DataFrame
    usage: pd.DataFrame
    sme_share_of_users: float | None
    sme_share_of_firms: float | None
    coverage_by_size: dict[str, float | None]
    needed_fields: pd.DataFrame
    generic_uncovered: list[dict]
    notes: list[Message]

    def to_frame(self) -> pd.DataFrame:
        return self.platforms.copy()

    def to_dict(self) -> dict:
        return {"platforms": _records(self.platforms), "usage": _records(self.usage),
                "sme_share_of_users": self.sme_share_of_users, "sme_share_of_firms": self.sme_share_of_firms,
                "coverage_by_size": dict(self.coverage_by_size), "needed_fields": _records(self.needed_fields),
                "generic_uncovered": list(self.generic_uncovered), "notes": [coded(m) for m in self.notes]}

    def summary(self, lang: str | None = None) -> list[str]:
        return [m.render(lang) for m in self.notes]


# --- network -------------------------------------------------------------------------------

class NetworkModel(BaseModel):
    """Collaboration network per year: concentration, bridges, items without collaboration."""

    years: list[dict[str, Any]]
    bridges: list[dict[str, Any]]
    items_without: list[dict[str, Any]]
    lead_rate_by_rating: list[dict[str, Any]]
    notes: list[ReasonModel]


@dataclass
class NetworkResult:
    years: pd.DataFrame
    bridges: pd.DataFrame
    items_without: pd.DataFrame
    lead_rate_by_rating: pd.DataFrame
    notes: list[Message]

    def to_frame(self) -> pd.DataFrame:
        return self.years.copy()

    def to_dict(self) -> dict:
        return {"years": _records(self.years), "bridges": _records(self.bridges),
                "items_without": _records(self.items_without),
                "lead_rate_by_rating": _records(self.lead_rate_by_rating), "notes": [coded(m) for m in self.notes]}

    def summary(self, lang: str | None = None) -> list[str]:
        return [m.render(lang) for m in self.notes]
