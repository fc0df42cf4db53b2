"""Result types of the appraise capability: ``to_frame()``, ``to_dict()``, ``summary()`` and a
pydantic model each (what the API declares as ``response_model``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from reforge.appraise.group import GroupWeights
from reforge.messages import Message


class MessageModel(BaseModel):
    """A message as code + params beside its English text."""

    code: str
    params: dict[str, Any]
    text: str


def _msg(m: Message) -> dict[str, Any]:
    return {"code": m.code, "params": _plain(m.params), "text": str(m)}


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if hasattr(v, "item") and not isinstance(v, str):
        return v.item()
    return v


def _opt(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


# --- criterion weights ------------------------------------------------------------------
class ExpertWeightModel(BaseModel):
    expert_id: str
    role: str | None
    voice: float
    cr: float
    cr_after: float | None
    status: str
    priorities: dict[str, float]


class WeightsModel(BaseModel):
    appraisal_ids: list[str]
    method: str
    criteria: list[str]
    weights: dict[str, float]
    group_cr: float | None
    role_weights: dict[str, float]
    experts: list[ExpertWeightModel]
    discourse: dict[str, dict[str, float]]
    notes: list[MessageModel]


@dataclass
class WeightsResult:
    """Group criterion weights of one or more appraisals (AHP over the panel's judgments)."""

    appraisal_ids: list[str]
    group: GroupWeights
    role_weights: dict[str, float]
    discourse: dict[str, dict[str, float]] = field(default_factory=dict)  # role -> change, share, voice

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: weight."""
        return pd.DataFrame({"criterion": self.group.criteria, "weight": self.group.weights})

    def to_dict(self) -> dict[str, Any]:
        g = self.group
        return {"appraisal_ids": list(self.appraisal_ids), "method": g.method, "criteria": list(g.criteria),
                "weights": {c: float(w) for c, w in zip(g.criteria, g.weights, strict=True)},
                "group_cr": g.group_cr, "role_weights": dict(self.role_weights),
                "experts": [{"expert_id": o.expert_id, "role": o.role, "voice": o.voice, "cr": o.cr,
                             "cr_after": o.cr_after, "status": o.status,
                             "priorities": {c: float(p) for c, p in zip(g.criteria, o.priorities, strict=True)}}
                            for o in g.experts],
                "discourse": {r: dict(v) for r, v in self.discourse.items()},
                "notes": [_msg(n) for n in g.notes]}

    def model(self) -> WeightsModel:
        return WeightsModel(**self.to_dict())

    def summary(self) -> str:
        g = self.group
        lines = [f"criterion weights ({g.method.upper()}, {sum(o.status != 'excluded' for o in g.experts)} of "
                 f"{len(g.experts)} experts used)"]
        lines += [f"  {c}: {w:.4f}" for c, w in zip(g.criteria, g.weights, strict=True)]
        lines += [f"  discourse share of {r}: {v['share']:.1%} (voice {v['voice']:.1%})"
                  for r, v in self.discourse.items()]
        lines += [f"  note: {n}" for n in g.notes]
        return "\n".join(lines)


# --- ranking ----------------------------------------------------------------------------
class RankedModel(BaseModel):
    appraisal_id: str
    title: str | None
    uscc: str | None
    score: float
    rank: int
    criteria: dict[str, float]


class RankingModel(BaseModel):
    method: str
    weighting: str
    criteria: list[str]
    weights: dict[str, float]
    items: list[RankedModel]
    kendall_w: float | None
    n_raters: int
    sensitivity: dict[str, Any]
    notes: list[MessageModel]


@dataclass
class RankingResult:
    """Appraisals ranked on their voice-weighted mean expert scores per criterion."""

    method: str
    weighting: str
    criteria: list[str]
    weights: np.ndarray
    table: pd.DataFrame   # appraisal_id, title, uscc, score, rank (best first)
    matrix: pd.DataFrame  # the decision matrix: index appraisal_id, one column per criterion
    notes: list[Message] = field(default_factory=list)
    kendall_w: float | None = None  # agreement of the experts who scored every appraisal
    n_raters: int = 0
    sensitivity: dict[str, Any] = field(default_factory=dict)  # switch points, top_kept, mean_spearman

    def to_frame(self) -> pd.DataFrame:
        """The ranking with the decision matrix's columns beside it."""
        return self.table.merge(self.matrix, left_on="appraisal_id", right_index=True, how="left")

    def to_dict(self) -> dict[str, Any]:
        items = []
        for r in self.table.to_dict("records"):
            row = self.matrix.loc[r["appraisal_id"]]
            items.append({"appraisal_id": r["appraisal_id"], "title": _opt(r["title"]), "uscc": _opt(r["uscc"]),
                          "score": float(r["score"]), "rank": int(r["rank"]),
                          "criteria": {c: float(row[c]) for c in self.criteria}})
        return {"method": self.method, "weighting": self.weighting, "criteria": list(self.criteria),
                "weights": {c: float(w) for c, w in zip(self.criteria, self.weights, strict=True)},
                "items": items, "kendall_w": self.kendall_w, "n_raters": self.n_raters,
                "sensitivity": self.sensitivity,
                "notes": [_msg(n) for n in self.notes]}

    def model(self) -> RankingModel:
        return RankingModel(**self.to_dict())

    def summary(self) -> str:
        lines = [f"ranking by {self.method} with {self.weighting} weights "
                 f"({', '.join(f'{c} {w:.3f}' for c, w in zip(self.criteria, self.weights, strict=True))})"]
        lines += [f"  {int(r.rank):>3}  {r.appraisal_id}  {r.score:.4f}  {r.title}" for r in self.table.itertuples()]
        if self.kendall_w is not None:
            lines.append(f"  agreement: Kendall's W {self.kendall_w:.3f} over {self.n_raters} experts")
        if self.sensitivity:
            lines.append(f"  stability: top kept in {self.sensitivity['top_kept']:.0%} of weight draws")
            for p in self.sensitivity["switch_points"]:
                lines.append(f"  {p['criterion']} (weight {p['weight']:.3f}): top changes below {p['below']} / "
                             f"above {p['above']}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- panel ------------------------------------------------------------------------------
class SeatModel(BaseModel):
    expert_id: str
    name: str
    role: str | None
    field: str | None
    voice: float
    selected: bool
    reasons: list[MessageModel]


class PanelModel(BaseModel):
    appraisal_id: str
    applicant: str | None
    fields: list[str]
    size: int
    members: list[SeatModel]
    others: list[SeatModel]
    notes: list[MessageModel]


@dataclass
class PanelResult:
    """A proposed panel for one appraisal: members, everyone else, and why."""

    appraisal_id: str
    applicant: str | None
    fields: list[str]
    size: int
    seats: list[Any]  # panel.Seat, members first
    notes: list[Message] = field(default_factory=list)

    @property
    def members(self) -> list[Any]:
        return [s for s in self.seats if s.selected]

    def _seat(self, s: Any) -> dict[str, Any]:
        return {"expert_id": s.expert_id, "name": s.name, "role": s.role, "field": s.field, "voice": s.voice,
                "selected": s.selected, "reasons": [_msg(m) for m in s.reasons]}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{**self._seat(s), "reasons": "; ".join(str(m) for m in s.reasons),
                              "codes": ",".join(m.code for m in s.reasons)} for s in self.seats])

    def to_dict(self) -> dict[str, Any]:
        return {"appraisal_id": self.appraisal_id, "applicant": self.applicant, "fields": list(self.fields),
                "size": self.size, "members": [self._seat(s) for s in self.seats if s.selected],
                "others": [self._seat(s) for s in self.seats if not s.selected],
                "notes": [_msg(n) for n in self.notes]}

    def model(self) -> PanelModel:
        return PanelModel(**self.to_dict())

    def summary(self) -> str:
        lines = [f"panel for {self.appraisal_id}: {len(self.members)} of {self.size} seats"]
        for s in self.seats:
            mark = "IN " if s.selected else "out"
            lines.append(f"  {mark} {s.expert_id} {s.name} ({s.role or '-'}, {s.field or '-'}): "
                         + "; ".join(str(m) for m in s.reasons))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)
