"""Result types of matching: ranked candidates per demand, and the matching degree.

Both follow the capability protocol: ``to_frame()`` (pandas), ``to_dict()`` (JSON-ready,
reasons as ``{"code", "params", "text"}``), ``summary()`` (a few lines), and a pydantic
model (:class:`MatchModel`, :class:`DegreeModel`) that the API declares as ``response_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from reforge.messages import Message, render


class ReasonModel(BaseModel):
    """A coded reason: ``text`` is English, ``code`` + ``params`` render in any language."""

    code: str
    params: dict[str, Any]
    text: str


class CandidateModel(BaseModel):
    """One candidate supplier of a demand; ``rank`` is None for an excluded one."""

    producer_id: str
    producer_name: str | None
    rank: int | None
    score: float | None
    parts: dict[str, float]
    tech_level: int | None
    spare_capacity: float | None
    province_code: str | None
    via_item: str | None = None
    near: bool = False
    fit: ReasonModel | None = None
    reasons: list[ReasonModel]
    tax_rating: str | None = None
    """The latest tax credit rating recorded by ``as_of`` (the credit part's source)."""


class DemandMatchModel(BaseModel):
    """A demand with its ranked candidates and the excluded ones with their reasons."""

    demand_id: str
    buyer: str
    item_id: str | None
    kind: str
    value: float | None
    matched: bool
    status: ReasonModel
    candidates: list[CandidateModel]
    excluded: list[CandidateModel]
    item_from_text: bool = False
    """The demand was recorded without an item: ``item_id`` is the one proposed from its words."""


class MatchModel(BaseModel):
    """Ranked suppliers for each demand."""

    as_of: str
    mode: str
    weights: dict[str, float]
    demands: list[DemandMatchModel]
    shortlist: int | None = None
    """At scale: the candidates of each demand are its this many best text matches (null: all)."""


class DegreeRowModel(BaseModel):
    """Matching degree of one item (or one chain's item, or one chain)."""

    chain_id: str | None = None
    item_id: str | None = None
    n_demands: int
    n_matchable: int
    demand_value: float
    matchable_value: float
    degree: float | None


class DegreeModel(BaseModel):
    """Share of demand value that has at least one qualified domestic candidate."""

    as_of: str
    items: list[DegreeRowModel]
    chains: list[DegreeRowModel]
    region: str | None = Field(None, description="GB/T 2260 region whose firms' demands these are")


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def _reason(m: Message) -> dict[str, Any]:
    return m.to_dict()


@dataclass
class MatchResult:
    """Candidates of each demand. ``candidates`` has one row per (demand, candidate) with the
    score parts, ``score`` (weighted sum, None when excluded), ``rank`` (1 = best, None when
    excluded) and ``reasons`` (a list of :class:`Message`); ``demands`` one row per demand
    with ``matched`` and ``status`` (a :class:`Message`)."""

    candidates: pd.DataFrame
    demands: pd.DataFrame
    as_of: str
    mode: str
    weights: dict[str, float]
    parts: tuple[str, ...] = field(default=())
    shortlist: int | None = None  # at scale: candidates = each demand's this many best text matches

    def to_frame(self) -> pd.DataFrame:
        """The candidate rows (reasons as their codes joined by ``;``)."""
        df = self.candidates.copy()
        df["reasons"] = [";".join(m.code for m in r) for r in df["reasons"]]
        df["fit"] = [m.code for m in df["fit"]]
        return df

    def for_demand(self, demand_id: str) -> pd.DataFrame:
        """The candidate rows of one demand, qualified ones by rank, then the excluded."""
        df = self.candidates[self.candidates["demand_id"] == demand_id]
        return df.sort_values(["rank", "producer_id"], na_position="last")

    def _candidate(self, r: pd.Series) -> dict[str, Any]:
        return {"producer_id": r.producer_id, "producer_name": _num(r.producer_name),
                "rank": None if pd.isna(r["rank"]) else int(r["rank"]),
                "score": _num(r.score), "parts": {p: float(r[p]) for p in self.parts},
                "tech_level": None if pd.isna(r.tech_level) else int(r.tech_level),
                "spare_capacity": _num(r.spare_capacity), "province_code": _num(r.producer_province),
                "via_item": _num(r.via_item), "near": bool(r.near), "fit": _reason(r.fit),
                "reasons": [_reason(m) for m in r.reasons], "tax_rating": _num(r.tax_rating)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per demand, ranked candidates and excluded ones with reason codes."""
        out = []
        groups = {k: g for k, g in self.candidates.groupby("demand_id", sort=False)}
        for d in self.demands.itertuples(index=False):
            g = groups.get(d.demand_id)
            rows = [] if g is None else [self._candidate(r) for _, r in
                                         g.sort_values(["rank", "producer_id"], na_position="last").iterrows()]
            out.append({"demand_id": d.demand_id, "buyer": d.uscc, "item_id": _num(d.item_id), "kind": d.kind,
                        "value": _num(d.value), "matched": bool(d.matched), "status": _reason(d.status),
                        "candidates": [c for c in rows if c["rank"] is not None],
                        "excluded": [c for c in rows if c["rank"] is None],
                        "item_from_text": bool(getattr(d, "item_from_text", False))})
        return {"as_of": self.as_of, "mode": self.mode, "weights": dict(self.weights), "demands": out,
                "shortlist": self.shortlist}

    def model(self) -> MatchModel:
        """The pydantic model of :meth:`to_dict`."""
        return MatchModel.model_validate(self.to_dict())

    def summary(self, lang: str | None = None) -> list[str]:
        """A few lines: demands matched, and each unmatched demand's reason."""
        n = len(self.demands)
        k = int(self.demands["matched"].sum()) if n else 0
        lines = [render("match.summary", {"n": n, "matched": k}, lang)]
        if self.shortlist is not None:
            lines.append(render("match.shortlist.note", {"top": self.shortlist}, lang))
        for d in self.demands.itertuples(index=False):
            if not d.matched:
                lines.append(f"{d.demand_id}: {d.status.render(lang)}")
        return lines


@dataclass
class DegreeResult:
    """Matching degree per item and per chain: ``demand_value``, ``matchable_value`` (value of
    demands with at least one qualified domestic candidate) and ``degree`` = their ratio
    (None when the demand value is 0). Values in CNY."""

    items: pd.DataFrame
    chains: pd.DataFrame
    as_of: str
    region: str | None = None  # the demands of this GB/T 2260 region's firms only

    def to_frame(self) -> pd.DataFrame:
        """The per-item rows."""
        return self.items.copy()

    @staticmethod
    def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
        return [{k: _num(v) for k, v in r.items()} for r in df.to_dict("records")]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"as_of", "items", "chains", "region"}``."""
        return {"as_of": self.as_of, "items": self._rows(self.items), "chains": self._rows(self.chains),
                "region": self.region}

    def model(self) -> DegreeModel:
        """The pydantic model of :meth:`to_dict`."""
        return DegreeModel.model_validate(self.to_dict())

    def summary(self, lang: str | None = None) -> list[str]:
        """One line per chain with its degree."""
        return [render("match.degree.line", {"chain": r.chain_id, "degree": _num(r.degree),
                                              "matchable": float(r.matchable_value), "total": float(r.demand_value)},
                       lang) for r in self.chains.itertuples(index=False)]



class FlowModel(BaseModel):
    """Value (CNY per year) of a demand assigned to a producer."""

    demand_id: str
    producer_id: str
    item_id: str | None
    value: float
    score: float


class AssignedDemandModel(BaseModel):
    """A demand's value, the part assigned, and why the rest is not."""

    demand_id: str
    value: float | None
    assigned: float
    unmatched: float
    status: ReasonModel


class AssignModel(BaseModel):
    """The capacity-respecting assignment."""

    as_of: str
    min_score: float
    total_value: float
    assigned_value: float
    flows: list[FlowModel]
    demands: list[AssignedDemandModel]


@dataclass
class AssignResult:
    """A global assignment: ``flows`` (demand_id, producer_id, item_id, value, score), ``demands``
    (demand_id, value, assigned, unmatched, status as a :class:`Message`), ``slots``
    (producer_id, item_id, capacity, used). Values in CNY per year."""

    flows: pd.DataFrame
    demands: pd.DataFrame
    slots: pd.DataFrame
    as_of: str
    min_score: float

    def to_frame(self) -> pd.DataFrame:
        """The flow rows."""
        return self.flows.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: totals, flows, and each demand's assigned and unmatched value with a reason."""
        return {"as_of": self.as_of, "min_score": self.min_score,
                "total_value": float(self.demands["value"].fillna(0).sum()),
                "assigned_value": float(self.flows["value"].sum()) if len(self.flows) else 0.0,
                "flows": [{k: _num(v) for k, v in r.items()} for r in self.flows.to_dict("records")],
                "demands": [{"demand_id": r.demand_id, "value": _num(r.value), "assigned": float(r.assigned),
                             "unmatched": float(r.unmatched), "status": _reason(r.status)}
                            for r in self.demands.itertuples(index=False)]}

    def model(self) -> AssignModel:
        """The pydantic model of :meth:`to_dict`."""
        return AssignModel.model_validate(self.to_dict())

    def summary(self, lang: str | None = None) -> list[str]:
        """Totals, then each demand not fully assigned with its reason."""
        d = self.to_dict()
        lines = [render("match.assign.summary", {"assigned": d["assigned_value"], "total": d["total_value"]}, lang)]
        for r in self.demands.itertuples(index=False):
            if r.unmatched > 0 or r.assigned == 0:
                lines.append(f"{r.demand_id}: {r.status.render(lang)}")
        return lines


class ProposalModel(BaseModel):
    """One proposed class or chain item of a text; ``share`` = score / the text's best score."""

    rank: int
    code: str
    name_zh: str
    name_en: str
    division: str | None = None
    chains: list[str] | None = None
    score: float
    share: float


class ClassifiedTextModel(BaseModel):
    """A text with its proposed GB/T 4754-2017 classes and (with a database) chain items."""

    row: int
    id: str
    text: str | None
    industries: list[ProposalModel]
    items: list[ProposalModel] | None


class ClassifyModel(BaseModel):
    """Proposals for each text."""

    mode: str
    top: int
    texts: list[ClassifiedTextModel]


@dataclass
class ClassifyResult:
    """Proposals per text: ``frame`` has one row per (text, target, rank) with ``target`` =
    ``industry`` or ``item``, ``code`` (class code or item_id), ``name_zh``, ``name_en``,
    ``division`` (classes), ``chains`` (items, ids joined by ``,``), ``score`` (BM25) and
    ``share`` (score / the text's best, in (0, 1])."""

    frame: pd.DataFrame
    texts: list[str | None]
    ids: list[str]
    mode: str
    with_items: bool
    top: int

    def to_frame(self) -> pd.DataFrame:
        """The proposal rows."""
        return self.frame.copy()

    def _proposals(self, g: pd.DataFrame | None) -> list[dict[str, Any]]:
        if g is None:
            return []
        out = []
        for r in g.sort_values("rank").itertuples(index=False):
            d: dict[str, Any] = {"rank": int(r.rank), "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                                 "score": float(r.score), "share": float(r.share)}
            if r.target == "industry":
                d["division"] = r.division
            else:
                d["chains"] = [c for c in str(r.chains).split(",") if c]
            out.append(d)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"mode", "top", "texts": [{row, id, text, industries, items}]}``
        (``items`` is None without a database)."""
        groups = {k: g for k, g in self.frame.groupby(["row", "target"], sort=False)}
        texts = [{"row": i, "id": self.ids[i], "text": t,
                  "industries": self._proposals(groups.get((i, "industry"))),
                  "items": self._proposals(groups.get((i, "item"))) if self.with_items else None}
                 for i, t in enumerate(self.texts)]
        return {"mode": self.mode, "top": self.top, "texts": texts}

    def model(self) -> ClassifyModel:
        """The pydantic model of :meth:`to_dict`."""
        return ClassifyModel.model_validate(self.to_dict())

    def summary(self, lang: str | None = None) -> list[str]:
        """The count, then per text its best class (and best chain item)."""
        zh = (lang or "").startswith("zh")
        lines = [render("match.classify.summary_items" if self.with_items else "match.classify.summary",
                        {"n": len(self.texts)}, lang)]
        best = self.frame[self.frame["rank"] == 1]
        for i, label in enumerate(self.ids):
            b = best[best["row"] == i]
            ind = b[b["target"] == "industry"]
            it = b[b["target"] == "item"]
            if ind.empty and it.empty:
                lines.append(render("match.classify.none", {"id": label}, lang))
                continue
            for part in (ind, it):
                if part.empty:
                    continue
                r = part.iloc[0]
                lines.append(render("match.classify.line" if r.target == "industry" else "match.classify.item_line",
                                    {"id": label, "code": r.code, "name": r.name_zh if zh else r.name_en,
                                     "score": float(r.score)}, lang))
        return lines


class GroupPartModel(BaseModel):
    """One part of a group's score: value (0-1) x weight = points, with its explanation."""

    part: str
    value: float
    weight: float
    points: float
    reason: ReasonModel


class GroupMemberModel(BaseModel):
    """A maker or adopter of a group (``detail`` holds its fit, level, grade or imports)."""

    uscc: str
    name: str | None
    detail: dict[str, Any]


class GroupModel(BaseModel):
    """One upstream maker with the downstream adopters."""

    rank: int
    score: float
    maker: GroupMemberModel
    adopters: list[GroupMemberModel]
    parts: list[GroupPartModel]


class GroupTargetModel(BaseModel):
    """A pre-research target (a ``pre_research`` demand or a blank/chokepoint item) and its groups."""

    target: str
    source: str
    item_id: str
    item_name: str
    item_name_zh: str | None
    label: str | None
    demand_id: str | None
    groups: list[GroupModel]
    excluded: list[dict[str, Any]]
    status: ReasonModel


class GroupsModel(BaseModel):
    """Pre-research groups per target."""

    as_of: str
    weights: dict[str, float]
    credit_floor: str
    targets: list[GroupTargetModel]


def _member(m: dict[str, Any]) -> dict[str, Any]:
    return {"uscc": m["uscc"], "name": _num(m.get("name")),
            "detail": {k: _num(v) for k, v in m.items() if k not in ("uscc", "name")}}


@dataclass
class GroupsResult:
    """Groups per target (see :func:`reforge.match.groups.pre_research_groups`): ``targets`` is a
    list of dicts with ``groups`` (rank, score, maker, adopters, parts with a :class:`Message`
    each), ``excluded`` firms with a reason and a ``status`` message."""

    as_of: str
    weights: dict[str, float]
    credit_floor: str
    targets: list[dict[str, Any]]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: target, item, rank, maker, score, the parts' values, adopters."""
        rows = []
        for t in self.targets:
            for g in t["groups"]:
                vals = {p["part"]: p["value"] for p in g["parts"]}
                rows.append({"target": t["target"], "item_id": t["item_id"], "rank": g["rank"],
                             "maker": g["maker"]["uscc"], "maker_name": g["maker"]["name"], "score": g["score"],
                             **vals, "adopters": ",".join(a["uscc"] for a in g["adopters"])})
        return pd.DataFrame(rows, columns=["target", "item_id", "rank", "maker", "maker_name", "score",
                                           "capability", "credit", "relation", "adopters"])

    def for_firm(self, uscc: str) -> GroupsResult:
        """Only the groups ``uscc`` is in (maker or adopter), without the excluded firms (their
        records are not the firm's business) and targets left without a group."""
        return self.for_firms({uscc}, keep_excluded=False)

    def for_firms(self, usccs: set[str], keep_excluded: bool = True) -> GroupsResult:
        """Only the groups one of ``usccs`` is in (maker or adopter) and targets left with a group;
        of the excluded firms, those among ``usccs`` (a region's view, issue 19), or none."""
        out = []
        for t in self.targets:
            gs = [g for g in t["groups"]
                  if g["maker"]["uscc"] in usccs or any(a["uscc"] in usccs for a in g["adopters"])]
            if gs:
                ex = [x for x in t["excluded"] if x["uscc"] in usccs] if keep_excluded else []
                out.append({**t, "groups": gs, "excluded": ex})
        return GroupsResult(self.as_of, self.weights, self.credit_floor, out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: reasons and statuses as ``{"code", "params", "text"}``."""
        targets = []
        for t in self.targets:
            groups = [{"rank": g["rank"], "score": g["score"], "maker": _member(g["maker"]),
                       "adopters": [_member(a) for a in g["adopters"]],
                       "parts": [{**p, "reason": _reason(p["reason"])} for p in g["parts"]]} for g in t["groups"]]
            targets.append({**{k: t[k] for k in ("target", "source", "item_id", "item_name", "item_name_zh", "label",
                                                 "demand_id")},
                            "groups": groups,
                            "excluded": [{**x, "reason": _reason(x["reason"])} for x in t["excluded"]],
                            "status": _reason(t["status"])})
        return {"as_of": self.as_of, "weights": dict(self.weights), "credit_floor": self.credit_floor,
                "targets": targets}

    def model(self) -> GroupsModel:
        """The pydantic model of :meth:`to_dict`."""
        return GroupsModel.model_validate(self.to_dict())

    def summary(self, lang: str | None = None) -> list[str]:
        """The count, then each target's status and its groups (maker, score, adopters)."""
        lines = [render("match.groups.summary", {"n": len(self.targets)}, lang)]
        for t in self.targets:
            lines.append(f"{t['target']}: {t['status'].render(lang)}")
            for g in t["groups"]:
                lines.append(render("match.groups.line", {
                    "rank": g["rank"], "maker": g["maker"]["name"] or g["maker"]["uscc"], "score": g["score"],
                    "adopters": [a["name"] or a["uscc"] for a in g["adopters"]]}, lang))
        return lines


__all__ = ["GroupsModel", "GroupsResult", "AssignModel", "AssignResult", "CandidateModel", "ClassifyModel", "ClassifyResult", "DegreeModel",
           "DegreeResult", "DegreeRowModel", "DemandMatchModel", "MatchModel", "MatchResult", "ReasonModel"]
