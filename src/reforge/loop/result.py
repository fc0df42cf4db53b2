"""Result types of the loop capability's leaders and label history: ``to_frame()``,
``to_dict()``, ``summary()`` and a pydantic model each (the API's ``response_model``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from reforge.messages import Message


class MessageModel(BaseModel):
    """A message as code + params beside its English text."""

    code: str
    params: dict[str, Any]
    text: str


def msg(m: Message) -> dict[str, Any]:
    """``{"code", "params", "text"}`` of a message."""
    return {"code": m.code, "params": dict(m.params), "text": str(m)}


# --- leaders -----------------------------------------------------------------------------
class FoundationModel(BaseModel):
    domestic_value: float
    foreign_value: float
    domestic_share: float | None


class EcosystemYearModel(BaseModel):
    year: int
    purchase_value: float
    domestic_value: float
    localisation: float | None
    localisation_change: float | None
    by_foundation: dict[str, FoundationModel]
    designated: dict[str, int]
    designated_change: dict[str, int] | None
    single_source: list[str]
    single_source_foreign: list[str]


class LeaderModel(BaseModel):
    rank: int
    uscc: str
    name: str | None
    name_en: str | None
    province_code: str | None
    main_item_id: str | None
    score: float
    parts: dict[str, float]
    output: float
    output_share: float
    purchase_value: float
    purchase_share: float
    domestic_value: float
    domestic_suppliers: int
    foreign_suppliers: int
    items_bought: int
    tree_depth: int
    tree_size: int
    reasons: list[MessageModel]
    ecosystem: list[EcosystemYearModel]


class LeadersModel(BaseModel):
    chain_id: str
    chain_name: str | None
    chain_name_zh: str | None
    year: int
    rules: dict[str, Any]
    leaders: list[LeaderModel]
    notes: list[MessageModel]


_FIELDS = ("rank", "uscc", "name", "name_en", "province_code", "main_item_id", "score", "output", "output_share",
           "purchase_value", "purchase_share", "domestic_value", "domestic_suppliers", "foreign_suppliers",
           "items_bought", "tree_depth", "tree_size")
_PARTS = ("output_share", "purchase_share", "domestic_suppliers", "tree_depth", "tree_size")


@dataclass
class LeadersResult:
    """Ranked leaders of one chain and year; ``ecosystem`` rows (per leader and year) for the top ones."""

    chain: dict
    year: int
    rules: Any
    leaders: list[dict]
    ecosystem: list[dict]
    notes: list[Message] = field(default_factory=list)

    @property
    def chain_id(self) -> str:
        return str(self.chain["chain_id"])

    def ecosystem_of(self, uscc: str) -> list[dict]:
        """The ecosystem rows of one leader (ascending years)."""
        return [{k: v for k, v in r.items() if k != "uscc"} for r in self.ecosystem if r["uscc"] == uscc]

    def only(self, uscc: str | None) -> LeadersResult:
        """The same result with only the rows of firm ``uscc`` (an enterprise's own view)."""
        return self.keep({uscc} if uscc else set())

    def keep(self, usccs: set[str]) -> LeadersResult:
        """The same result with only the rows (and ecosystems) of the firms ``usccs``; ranks unchanged."""
        return LeadersResult(self.chain, self.year, self.rules, [r for r in self.leaders if r["uscc"] in usccs],
                             [r for r in self.ecosystem if r["uscc"] in usccs], list(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """One row per ranked buyer: rank, firm, score, parts (``part_*``, 0-1) and the raw figures."""
        cols = list(_FIELDS) + [f"part_{p}" for p in _PARTS]
        return pd.DataFrame([{c: r.get(c) for c in cols} for r in self.leaders], columns=cols)

    def ecosystem_frame(self) -> pd.DataFrame:
        """One row per leader, year and foundation category (long format)."""
        rows = []
        for r in self.ecosystem:
            for f, v in r["by_foundation"].items():
                rows.append({"uscc": r["uscc"], "year": r["year"], "foundation": f, **v,
                             "localisation": r["localisation"], **{f"designated_{k}": n for k, n in r["designated"].items()},
                             "single_source": len(r["single_source"])})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        leaders = []
        for r in self.leaders:
            d = {c: r.get(c) for c in _FIELDS}
            d["parts"] = {p: float(r.get(f"part_{p}") or 0.0) for p in _PARTS}
            d["reasons"] = [msg(m) for m in r["reasons"]]
            d["ecosystem"] = self.ecosystem_of(r["uscc"])
            leaders.append(d)
        return {"chain_id": self.chain_id, "chain_name": self.chain.get("name"),
                "chain_name_zh": self.chain.get("name_zh"), "year": int(self.year),
                "rules": self.rules.model_dump(), "leaders": leaders, "notes": [msg(n) for n in self.notes]}

    def model(self) -> LeadersModel:
        return LeadersModel(**self.to_dict())

    def messages(self) -> list[Message]:
        return list(self.notes) + [m for r in self.leaders for m in r["reasons"]]

    def summary(self, n: int = 10) -> str:
        lines = [f"leaders of {self.chain_id} in {self.year} ({len(self.leaders)} ranked)"]
        for r in self.leaders[:n]:
            lines.append(f"  {r['rank']:>2}. {r.get('name') or r['uscc']} ({r['uscc']}) score {r['score']:.1f}")
            lines += [f"      {m}" for m in r["reasons"]]
            eco = self.ecosystem_of(r["uscc"])
            if eco:
                e = eco[-1]
                loc = "n/a" if e["localisation"] is None else f"{e['localisation']:.1%}"
                des = ", ".join(f"{k} {v}" for k, v in e["designated"].items())
                lines.append(f"      {e['year']}: localisation {loc}; designated suppliers: {des}; "
                             f"single-source items: {len(e['single_source'])}")
        lines += [f"  note: {m}" for m in self.notes]
        return "\n".join(lines)


# --- label history -------------------------------------------------------------------------
class HistoryItemModel(BaseModel):
    item_id: str
    name: str | None
    name_zh: str | None
    foundation: str | None
    labels: dict[str, str]
    domestic_share: dict[str, float | None]


class TransitionModel(BaseModel):
    item_id: str
    name: str | None
    name_zh: str | None
    from_year: int
    to_year: int
    from_label: str
    to_label: str
    direction: str


class ChangeModel(BaseModel):
    item_id: str
    name: str | None
    name_zh: str | None
    was: str
    now: str


class HistoryModel(BaseModel):
    chain_id: str
    chain_name: str | None
    chain_name_zh: str | None
    years: list[int]
    since: int | None
    stored_years: list[int]
    computed_years: list[int]
    items: list[HistoryItemModel]
    transitions: list[TransitionModel]
    resolved: list[ChangeModel]
    newly_choked: list[ChangeModel]
    region: str | None = Field(None, description="GB/T 2260 region whose firms' purchases label the items")


@dataclass
class HistoryResult:
    """Labels of every item of a chain for every year with supply links, and their changes."""

    chain: dict
    years: list[int]
    rows: pd.DataFrame            # chain_id, year, item_id, label, priority, metrics... (long)
    items: pd.DataFrame           # item_id, name, name_zh, foundation
    transitions: list[dict]
    resolved: list[dict]
    newly_choked: list[dict]
    since: int | None = None
    stored_years: list[int] = field(default_factory=list)
    computed_years: list[int] = field(default_factory=list)
    region: str | None = None  # labels from this GB/T 2260 region's buyers (issue 19)

    @property
    def chain_id(self) -> str:
        return str(self.chain["chain_id"])

    def labels(self) -> dict[str, dict[int, str]]:
        """``{item_id: {year: label}}``."""
        out: dict[str, dict[int, str]] = {}
        for r in self.rows.itertuples(index=False):
            out.setdefault(str(r.item_id), {})[int(r.year)] = str(r.label)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per item and year (long format) with label, priority and the label metrics."""
        return self.rows.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        labels = self.labels()
        share: dict[str, dict[str, float | None]] = {}
        for r in self.rows.itertuples(index=False):
            v = r.domestic_share
            share.setdefault(str(r.item_id), {})[str(int(r.year))] = None if pd.isna(v) else float(v)
        items = [{"item_id": i.item_id, "name": i.name, "name_zh": i.name_zh, "foundation": i.foundation,
                  "labels": {str(y): lab for y, lab in sorted(labels.get(i.item_id, {}).items())},
                  "domestic_share": share.get(i.item_id, {})}
                 for i in self.items.itertuples(index=False)]
        return {"chain_id": self.chain_id, "chain_name": self.chain.get("name"),
                "chain_name_zh": self.chain.get("name_zh"), "years": list(self.years), "since": self.since,
                "stored_years": list(self.stored_years), "computed_years": list(self.computed_years),
                "items": items, "transitions": list(self.transitions), "resolved": list(self.resolved),
                "newly_choked": list(self.newly_choked), "region": self.region}

    def model(self) -> HistoryModel:
        return HistoryModel(**self.to_dict())

    def summary(self) -> str:
        yrs = ", ".join(str(y) for y in self.years) or "none"
        lines = [f"label history of {self.chain_id}: years {yrs}; {len(self.transitions)} transitions"]
        for t in self.transitions:
            lines.append(f"  {t['item_id']}: {t['from_label']} ({t['from_year']}) -> {t['to_label']} "
                         f"({t['to_year']}) [{t['direction']}]")
        if self.since is not None:
            lines.append(f"resolved since {self.since}: {', '.join(r['item_id'] for r in self.resolved) or 'none'}")
            lines.append(f"newly choked since {self.since}: "
                         f"{', '.join(r['item_id'] for r in self.newly_choked) or 'none'}")
        return "\n".join(lines)
