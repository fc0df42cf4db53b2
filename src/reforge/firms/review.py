"""Three-year review: designated firms whose status expires in a year, re-screened.

The rule set is the one the notice in force that year names for reviews
(``review_rules``: the 2026 measures keep the 2022 standard for firms reviewed in
2026 [B]); conditions marked ``at_review: false`` are skipped. Data year = ``year - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError
from reforge.firms.rules_model import TIERS, RuleSet, load_rules, rules_for_year
from reforge.firms.screen import _check_year, prepare_features, screen
from reforge.firms.validity import expiry_sql


def review_rules(year: int) -> RuleSet:
    """The rule set applied to reviews in ``year``."""
    r = rules_for_year(year)
    return load_rules(r.review_rules) if r.review_rules else r


def expiring_sql(year: int, columns: set[str] | None = None) -> str:
    """Gradient designations expiring in ``year`` (not revoked)."""
    cols = columns if columns is not None else {"batch", "status"}
    kinds = ", ".join(literal(t) for t in TIERS)
    batch = "CAST(batch AS INTEGER)" if "batch" in cols else "CAST(NULL AS INTEGER)"
    status = " AND COALESCE(status, '') <> 'revoked'" if "status" in cols else ""
    raw = "CAST(expires_on AS DATE)" if "expires_on" in cols or columns is None else "CAST(NULL AS DATE)"
    exp = expiry_sql("kind", "CAST(granted_on AS DATE)", raw)  # default validity when expires_on is NULL
    return (f"SELECT uscc, kind, batch, granted_on, expires_on FROM ("
            f"SELECT uscc, kind, {batch} AS batch, CAST(granted_on AS DATE) AS granted_on, "
            f"{exp} AS expires_on FROM designations WHERE kind IN ({kinds}){status}) d "
            f"WHERE YEAR(expires_on) = {int(year)} ORDER BY uscc, kind, granted_on")


@dataclass
class Review:
    """Expiring designations with their re-screening outcome and the conditions they would now fail."""

    year: int
    rules: str
    frame: pd.DataFrame
    entries: list[dict[str, Any]]

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"year", "rules", "firms": [{"uscc", "kind", "batch", "granted_on", "expires_on", "outcome", ...}]}``."""
        return {"year": self.year, "rules": self.rules, "firms": self.entries}


def review(engine: Engine, year: int, rules: str | None = None, province: str | None = None,
           kind: str | None = None) -> Review:
    """Re-screen every gradient designation expiring in ``year`` (of the tier ``kind`` only, when
    given: the same rows as the whole review filtered to it)."""
    if not engine.table_exists("designations"):
        raise ReforgeError("table designations is missing; nothing to review")
    _check_year(engine, int(year))
    rs = load_rules(rules) if rules else review_rules(int(year))
    exp = engine.fetch_df(expiring_sql(int(year), set(engine.columns("designations"))))
    if kind is not None:
        exp = exp[exp["kind"] == kind].reset_index(drop=True)
    entries: list[dict[str, Any]] = []
    rows = []
    if len(exp):
        # the expiring firms' features only: the review reads no other firm's rows
        feats = prepare_features(engine, [int(year)], among="SELECT uscc FROM (" + expiring_sql(
            int(year), set(engine.columns("designations"))) + ") x"
            + ("" if kind is None else f" WHERE kind = {literal(kind)}"))
        try:
            for kind in [t for t in TIERS if t in set(exp["kind"])]:
                s = screen(engine, kind, int(year), rules=rs, province=province, features=feats, review=True)
                s = s.subset(s.frame["uscc"].isin(exp.loc[exp["kind"] == kind, "uscc"]))  # explain these only
                by = {e["uscc"]: e for e in s.entries()}
                for _, d in exp[exp["kind"] == kind].iterrows():
                    e = by.get(d["uscc"])
                    if e is None:
                        if province:
                            continue
                        e = {"uscc": d["uscc"], "outcome": "insufficient_data", "score": None, "points": {},
                             "reasons": [f"no figures for {int(year) - 1}"], "failed": [],
                             "missing": [f"enterprise_years ({int(year) - 1})"]}
                    ent = {"uscc": d["uscc"], "kind": kind, "batch": None if pd.isna(d["batch"]) else int(d["batch"]),
                           "granted_on": str(pd.Timestamp(d["granted_on"]).date()),
                           "expires_on": str(pd.Timestamp(d["expires_on"]).date()),
                           **{k: v for k, v in e.items() if k != "uscc"}}
                    entries.append(ent)
                    rows.append({"uscc": ent["uscc"], "kind": kind, "batch": ent["batch"],
                                 "granted_on": ent["granted_on"], "expires_on": ent["expires_on"],
                                 "outcome": ent["outcome"], "score": ent["score"],
                                 "would_fail": "; ".join(f["condition"] for f in ent["failed"]),
                                 "missing": "; ".join(ent["missing"])})
        finally:
            engine.drop(feats)
    cols = ["uscc", "kind", "batch", "granted_on", "expires_on", "outcome", "score", "would_fail", "missing"]
    frame = pd.DataFrame(rows, columns=cols)
    order = frame.sort_values(["kind", "uscc"], kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    entries = [entries[i] for i in order]
    return Review(int(year), rs.id, frame, entries)
