"""Screening, step 5: near-misses - firms failing exactly one condition and hit by no veto.

:func:`near_miss_screening` keeps those rows of a screening frame, closest first (by the
relative gap of the failed condition); :func:`near_miss_table` flattens them into one
row per firm with what to change. Pure pandas on the reduced result.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reforge.firms.screen.compile import TierPlan
from reforge.firms.screen.result import Screening
from reforge.firms.screen.values import _fmt

NEAR_MISS_COLUMNS = ["uscc", "year", "condition", "label", "value", "threshold", "gap", "relative_gap", "improve"]


def _failed_conditions(frame: pd.DataFrame, plan: TierPlan) -> pd.Series:
    cols = [f"c_{c.id}" for c in plan.conditions]
    return sum((frame[c].astype("boolean") == False).fillna(False).astype(int) for c in cols)  # noqa: E712


def _veto_hit(frame: pd.DataFrame, plan: TierPlan) -> pd.Series:
    out = pd.Series(False, index=frame.index)
    for v in plan.rules.vetoes:
        out |= frame[f"v_{v.id}"].astype("boolean").fillna(False).astype(bool)
    return out


def _fails_and_vetoes(frame: pd.DataFrame, plans: dict[str, TierPlan]) -> tuple[pd.Series, pd.Series]:
    """Per row: the number of failed conditions and whether a veto hits, under the row's rule set."""
    nf = pd.Series(0, index=frame.index)
    vh = pd.Series(False, index=frame.index)
    for rid, plan in plans.items():
        sub = frame["rules"] == rid
        nf[sub] = _failed_conditions(frame[sub], plan)
        vh[sub] = _veto_hit(frame[sub], plan)
    return nf, vh


def _near_mask(frame: pd.DataFrame, plans: dict[str, TierPlan]) -> pd.Series:
    nf, vh = _fails_and_vetoes(frame, plans)
    return (frame["outcome"] == "fail") & (nf == 1) & ~vh


def shortlist_mask(frame: pd.DataFrame, plans: dict[str, TierPlan]) -> pd.Series:
    """Rows a page lists: passing firms, and failing firms hit by no veto with at most one failed
    condition (a superset of the near-misses, whose exact test needs the explained entry)."""
    nf, vh = _fails_and_vetoes(frame, plans)
    return (frame["outcome"] == "pass") | ((frame["outcome"] == "fail") & (nf <= 1) & ~vh)


def _relative_gap(f: dict[str, Any]) -> float:
    """How far a failed condition is from its threshold, relative to it (1 for yes/no conditions)."""
    thr, gap = f["threshold"], f["gap"]
    if isinstance(gap, (int, float)) and isinstance(thr, (int, float)) and not isinstance(thr, bool) and thr:
        return abs(gap) / abs(thr)
    return 1.0


def near_miss_screening(tier: str, year: int | None, df: pd.DataFrame, plans: dict[str, TierPlan]) -> Screening:
    """The near-miss rows of the screening frame ``df``, closest first (ties by uscc)."""
    df = df[_near_mask(df, plans)].reset_index(drop=True)
    s = Screening(tier, year, df, plans, "near-miss")
    rel = [max((_relative_gap(f) for f in e["failed"]), default=1.0) for e in s.entries()]
    order = sorted(range(len(rel)), key=lambda i: (rel[i], str(df["uscc"].iloc[i])))
    return Screening(tier, s.year, df.iloc[order].reset_index(drop=True), plans, "near-miss",
                     [s.entries()[i] for i in order])


def near_miss_table(s: Screening) -> pd.DataFrame:
    """One row per near-miss firm of ``s``: its worst failed condition and what to change.

    Columns: uscc, year, condition, label, value, threshold, gap, relative_gap
    (gap / |threshold|; 1 for yes/no conditions), improve (what to change).
    """
    rows = []
    for e, r in zip(s.entries(), s.frame.to_dict("records"), strict=True):
        plan = s.plans[r["rules"]]
        labels = {c.id: c.label for c in plan.conditions}
        worst = None
        for f in e["failed"]:
            rel = _relative_gap(f)
            if worst is None or rel > worst[1]:
                worst = (f, rel)
        if worst is None:
            continue
        f, rel = worst
        cid = f["condition"].split(".")[0]
        if isinstance(f["gap"], (int, float)):
            improve = f"change {f['condition']} by {_fmt(f['gap'])} to reach {_fmt(f['threshold'])}"
        else:
            improve = f"meet: {labels.get(cid, cid)}"
        rows.append({"uscc": e["uscc"], "year": int(r["year"]), "condition": f["condition"],
                     "label": labels.get(cid, cid), "value": f["value"], "threshold": f["threshold"],
                     "gap": f["gap"], "relative_gap": rel, "improve": improve})
    out = pd.DataFrame(rows, columns=NEAR_MISS_COLUMNS)
    return out.sort_values(["relative_gap", "uscc"], kind="stable").reset_index(drop=True)
