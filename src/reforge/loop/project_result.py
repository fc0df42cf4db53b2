"""Result types of the tackling-project views: the portfolio and the item board, each with
``to_frame()``, ``to_dict()``, ``summary(lang)`` and a pydantic model (the API's ``response_model``)."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from reforge.messages import Message, render


class MessageModel(BaseModel):
    """A message as code + params beside its English text."""

    code: str
    params: dict[str, Any]
    text: str


def plain(v: Any) -> Any:
    """JSON-ready value: numpy scalars unwrapped, NaN/NaT to None, dates as ISO text, messages as dicts."""
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as JSON-ready dicts."""
    return [{k: plain(v) for k, v in r.items()} for r in df.to_dict("records")]


# --- portfolio ---------------------------------------------------------------------------
class CoverageModel(BaseModel):
    chain_id: str
    chain_name: str | None
    chain_name_zh: str | None
    item_id: str
    name: str | None
    name_zh: str | None
    foundation: str | None
    label: str
    priority: float | None
    n_projects: int
    n_active: int
    project_ids: list[str]
    covered: bool


class BudgetModel(BaseModel):
    chain_id: str | None
    chain_name: str | None
    chain_name_zh: str | None
    foundation: str | None
    source: str
    amount: float


class OverdueModel(BaseModel):
    project_id: str
    project_title: str | None
    project_title_en: str | None
    lead_uscc: str | None
    lead_name: str | None
    milestone_id: str
    title: str | None
    due_on: str | None
    done_on: str | None
    status: str | None
    days_overdue: int


class LeadModel(BaseModel):
    uscc: str
    name: str | None
    name_en: str | None
    project_ids: list[str]
    grade: str | None
    grade_prev: str | None
    weakening: bool
    warning: str | None
    reasons: list[MessageModel]


class ProjectModel(BaseModel):
    project_id: str
    title: str | None
    title_en: str | None
    lead_uscc: str | None
    lead_name: str | None
    lead_name_en: str | None
    department: str | None
    programme: str | None
    start_on: str | None
    end_on: str | None
    status: str | None
    items: list[str]
    n_partners: int
    budget: float | None


class PortfolioModel(BaseModel):
    as_of: str
    year: int | None
    credit_year: int | None
    projects: list[ProjectModel]
    coverage: list[CoverageModel]
    uncovered: list[str]
    budget: list[BudgetModel]
    budget_by_source: dict[str, float]
    overdue: list[OverdueModel]
    leads: list[LeadModel]
    notes: list[MessageModel]
    region: str | None = Field(None, description="GB/T 2260 region whose projects these are (a region-bound account)")


@dataclass
class PortfolioResult:
    """Projects, coverage of blank/chokepoint items, budget by chain/foundation/source, overdue
    milestones on ``as_of`` and leads with weakening credit or warnings (see ``loop.projects``)."""

    as_of: str
    year: int | None
    credit_year: int | None = None
    projects: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    budget: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)  # reasons: Messages
    notes: list[Message] = field(default_factory=list)
    region: str | None = None  # GB/T 2260 code of a region's view (issue 19)

    @property
    def uncovered(self) -> list[str]:
        """Blank/chokepoint items (unique ids, coverage order) that no project targets."""
        seen: list[str] = []
        for c in self.coverage:
            if not c["covered"] and c["item_id"] not in seen:
                seen.append(c["item_id"])
        return seen

    @property
    def budget_by_source(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for b in self.budget:
            out[b["source"]] = out.get(b["source"], 0.0) + float(b["amount"])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "year": self.year, "credit_year": self.credit_year,
                "projects": [plain(p) for p in self.projects], "coverage": [plain(c) for c in self.coverage],
                "uncovered": self.uncovered, "budget": [plain(b) for b in self.budget],
                "budget_by_source": self.budget_by_source, "overdue": [plain(o) for o in self.overdue],
                "leads": [plain(x) for x in self.leads], "notes": [n.to_dict() for n in self.notes],
                "region": self.region}

    def model(self) -> PortfolioModel:
        return PortfolioModel(**self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per coverage item, budget cell, overdue milestone and flagged lead (``part``)."""
        rows = [{"part": "coverage", "chain_id": c["chain_id"], "id": c["item_id"], "label": c["label"],
                 "value": c["n_projects"], "detail": ",".join(c["project_ids"])} for c in self.coverage]
        rows += [{"part": "budget", "chain_id": b["chain_id"], "id": b["foundation"], "label": b["source"],
                  "value": b["amount"], "detail": ""} for b in self.budget]
        rows += [{"part": "overdue", "chain_id": None, "id": o["project_id"], "label": o["milestone_id"],
                  "value": o["days_overdue"], "detail": str(plain(o["due_on"]))} for o in self.overdue]
        rows += [{"part": "lead", "chain_id": None, "id": x["uscc"], "label": x["warning"] or "",
                  "value": None, "detail": f"{x['grade_prev'] or '-'}->{x['grade'] or '-'}"} for x in self.leads]
        return pd.DataFrame(rows, columns=["part", "chain_id", "id", "label", "value", "detail"])

    def summary(self, lang: str | None = None) -> str:
        lines = [render("loop.projects.summary", {"n": len(self.projects), "as_of": self.as_of,
                                                  "gaps": len({c['item_id'] for c in self.coverage}),
                                                  "uncovered": len(self.uncovered)}, lang)]
        for c in self.coverage:
            mark = ",".join(c["project_ids"]) if c["covered"] else render("loop.projects.nobody", {}, lang)
            lines.append(f"  {c['chain_id']} {c['item_id']} ({render('loop.projects.label.' + c['label'], {}, lang)}): {mark}")
        lines.append(render("loop.projects.budget_head", {}, lang))
        for s, v in self.budget_by_source.items():
            lines.append(f"  {render('loop.projects.source.' + s, {}, lang)}: {v:,.0f}")
        lines.append(render("loop.projects.overdue_head", {"n": len(self.overdue), "as_of": self.as_of}, lang))
        for o in self.overdue:
            lines.append(f"  {o['project_id']} {o['milestone_id']} {o['title']} ({plain(o['due_on'])}, "
                         f"{o['days_overdue']} d)")
        lines.append(render("loop.projects.leads_head", {"n": len(self.leads)}, lang))
        for x in self.leads:
            lines.append(f"  {x['uscc']} {x['name'] or ''}: " + "; ".join(m.render(lang) for m in x["reasons"]))
        lines += [f"  {n.render(lang)}" for n in self.notes]
        return "\n".join(lines)


# --- board -------------------------------------------------------------------------------
class StepModel(BaseModel):
    key: str
    filled: bool
    link: str | None
    rows: list[dict[str, Any]]
    missing: MessageModel | None
    action: MessageModel | None
    notes: list[MessageModel]


class BoardModel(BaseModel):
    item_id: str
    name: str | None
    name_zh: str | None
    foundation: str | None
    as_of: str
    year: int | None
    steps: list[StepModel]
    region: str | None = Field(None, description="GB/T 2260 region of the view (a region-bound account)")


STEP_KEYS = ("why", "makers", "matching", "consortium", "projects", "appraisals", "adoption", "trend")


@dataclass
class Step:
    """One step of the board: rows when filled; else what is missing and which action fills it."""

    key: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    missing: Message | None = None
    action: Message | None = None
    link: str | None = None
    notes: list[Message] = field(default_factory=list)

    @property
    def filled(self) -> bool:
        return bool(self.rows) and self.missing is None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "filled": self.filled, "link": self.link, "rows": [plain(r) for r in self.rows],
                "missing": None if self.missing is None else self.missing.to_dict(),
                "action": None if self.action is None else self.action.to_dict(),
                "notes": [n.to_dict() for n in self.notes]}


@dataclass
class BoardResult:
    """One item read top to bottom, from why it is choked to its label trend (``loop.board``)."""

    item_id: str
    name: str | None
    name_zh: str | None
    foundation: str | None
    as_of: str
    year: int | None
    steps: list[Step]
    region: str | None = None

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "name": self.name, "name_zh": self.name_zh, "foundation": self.foundation,
                "as_of": self.as_of, "year": self.year, "steps": [s.to_dict() for s in self.steps],
                "region": self.region}

    def model(self) -> BoardModel:
        return BoardModel(**self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per step: filled, number of rows, missing and action (English)."""
        return pd.DataFrame([{"step": s.key, "filled": s.filled, "rows": len(s.rows),
                              "missing": str(s.missing) if s.missing else "",
                              "action": str(s.action) if s.action else ""} for s in self.steps])

    def summary(self, lang: str | None = None) -> str:
        nm = (self.name_zh if lang == "zh" else self.name) or self.item_id
        lines = [render("loop.board.head", {"item": self.item_id, "name": nm, "as_of": self.as_of}, lang)]
        for i, s in enumerate(self.steps, 1):
            title = render(f"loop.board.step.{s.key}", {}, lang)
            if s.filled:
                lines.append(f"{i}. {title}: " + render("loop.board.rows", {"n": len(s.rows)}, lang))
                for r in s.rows[:8]:
                    lines.append("   " + ", ".join(f"{k}={_short(v, lang)}" for k, v in _localised(r, lang).items()
                                                   if not isinstance(v, list | dict)))
            else:
                lines.append(f"{i}. {title}: " + (s.missing.render(lang) if s.missing else ""))
                if s.action is not None:
                    lines.append("   → " + s.action.render(lang))
            lines += ["   " + n.render(lang) for n in s.notes]
        return "\n".join(lines)


def _localised(row: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """The row with ``x_zh`` shown as ``x`` in Chinese (``x_en`` in English), the other variants dropped."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k.endswith("_zh") or k.endswith("_en"):
            continue
        zh, en = row.get(f"{k}_zh"), row.get(f"{k}_en")
        out[k] = (zh or v) if lang == "zh" else (en or v)
    return out


def _short(v: Any, lang: str | None) -> str:
    if isinstance(v, Message):
        return v.render(lang)
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(plain(v))
