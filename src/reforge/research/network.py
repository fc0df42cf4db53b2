"""Collaboration network (enterprise-institution) and link prediction of next year's collaborations.

:func:`collaboration_network` per year: collaborations, active institutions, the concentration on a
few institutions (HHI of collaborations over institutions; the top-3 share), the bridging firms
(most distinct fields), the needed items with no collaboration at all, and how often an
enterprise leads by its latest tax rating (the "good credit leads" check).

:func:`link_frame` builds, for a year ``t``, every (producer enterprise, institution) pair with
features known at ``t`` - ``strength`` (the institution's best field strength on the firm's
capability items), ``common`` (number of such common fields), ``past`` (collaborations up to
``t``), ``region`` (same province) - and the label ``y`` (they collaborate in ``t + 1``).
:func:`link_scores` gives the proposals' link score (``params.yaml`` link weights) and the two
baselines; :func:`evaluate_links` measures AUC and precision@10 (per institution) out of time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.engine import Engine
from reforge.messages import Localized, Message
from reforge.research import sql as q
from reforge.research.common import check_tables, check_year
from reforge.research.need import item_labels, need_by_field
from reforge.research.params import ResearchParams, default_params
from reforge.research.result import NetworkResult


def collaboration_network(engine: Engine, labels: pd.DataFrame | None = None, top: int = 10) -> NetworkResult:
    """Per-year network summary, bridging firms, needed items without collaboration, lead rate by rating."""
    check_tables(engine, ["collaborations", "enterprises"])
    per = engine.fetch_df(q.network_year_sql())
    rows = []
    for y, g in per.groupby("year"):
        n = g["collaborations"].astype(float)
        s = n / n.sum()
        rows.append({"year": int(y), "collaborations": int(n.sum()), "institutions": len(g),
                     "hhi": float((s ** 2).sum()), "top3_share": float(s.sort_values(ascending=False).head(3).sum())})
    years = pd.DataFrame(rows, columns=["year", "collaborations", "institutions", "hhi", "top3_share"])
    br = engine.fetch_df(q.bridges_sql())
    if len(br):
        last = br[br["year"] == br["year"].max()]
        names = engine.fetch_df("SELECT uscc, name FROM enterprises")
        br = last.merge(names, on="uscc", how="left").sort_values(
            ["fields", "institutions", "uscc"], ascending=[False, False, True]).head(top)
    labels = item_labels(engine) if labels is None else labels
    need = need_by_field(labels)
    done = set(engine.fetch_df(q.collaborated_items_sql())["item_id"])
    nm = labels.drop_duplicates("item_id").set_index("item_id") if len(labels) else None
    without = pd.DataFrame([{"item_id": r.field, "name": None if nm is None else nm.at[r.field, "name"],
                             "name_zh": None if nm is None else nm.at[r.field, "name_zh"], "label": r.label}
                            for r in need.itertuples() if r.field not in done],
                           columns=["item_id", "name", "name_zh", "label"])
    lead = engine.fetch_df("""
WITH tax AS (
  SELECT uscc, value AS rating FROM (
    SELECT uscc, value, ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY recorded_on DESC, record_id DESC) AS rn
    FROM credit_records WHERE kind = 'tax_rating') t WHERE rn = 1)
SELECT COALESCE(t.rating, 'none') AS rating, COUNT(*) AS collaborations,
       SUM(CASE WHEN c.led_by = 'enterprise' THEN 1 ELSE 0 END) AS led
FROM collaborations c LEFT JOIN tax t ON t.uscc = c.uscc
WHERE c.led_by IS NOT NULL GROUP BY COALESCE(t.rating, 'none') ORDER BY rating""") \
        if engine.table_exists("credit_records") else pd.DataFrame(columns=["rating", "collaborations", "led"])
    lead["lead_rate"] = lead["led"] / lead["collaborations"].where(lead["collaborations"] > 0)
    notes = []
    if len(years):
        ly = years.iloc[-1]
        notes.append(Message("research.network.year", {"year": str(int(ly.year)), "n": int(ly.collaborations),
                                                       "institutions": int(ly.institutions),
                                                       "top3": float(ly.top3_share)}))
    notes.append(Message("research.network.without", {"n": len(without), "of": len(need)}))
    for r in without.head(10).itertuples():
        notes.append(Message("research.network.item_without",
                             {"item": Localized({"en": r.name or r.item_id, "zh": r.name_zh})}))
    return NetworkResult(years, br.reset_index(drop=True), without, lead, notes)


def link_frame(engine: Engine, year: int) -> pd.DataFrame:
    """Every (producer, institution) pair with features at ``year`` and label ``y`` in ``year + 1``."""
    year = check_year(year)
    check_tables(engine, ["collaborations", "capabilities", "institutions", "institution_fields", "enterprises"])
    return engine.fetch_df("""
WITH ef AS (SELECT DISTINCT producer_id AS uscc, item_id FROM capabilities WHERE producer_type = 'enterprise'),
firms AS (SELECT DISTINCT e.uscc, e.province_code FROM ef JOIN enterprises e ON e.uscc = ef.uscc),
fit AS (
  SELECT ef.uscc, f.institution_id, MAX(COALESCE(f.strength, 0.5)) AS strength, COUNT(*) AS common
  FROM ef JOIN institution_fields f ON f.field = ef.item_id GROUP BY ef.uscc, f.institution_id),
past AS (SELECT uscc, institution_id, COUNT(*) AS past FROM collaborations WHERE year <= $y
         GROUP BY uscc, institution_id),
nxt AS (SELECT DISTINCT uscc, institution_id FROM collaborations WHERE year = $y + 1)
SELECT f.uscc, i.institution_id, COALESCE(fit.strength, 0) AS strength, COALESCE(fit.common, 0) AS common,
       COALESCE(past.past, 0) AS past,
       CASE WHEN f.province_code = i.province_code THEN 1 ELSE 0 END AS region,
       CASE WHEN nxt.uscc IS NULL THEN 0 ELSE 1 END AS y
FROM firms f CROSS JOIN institutions i
LEFT JOIN fit ON fit.uscc = f.uscc AND fit.institution_id = i.institution_id
LEFT JOIN past ON past.uscc = f.uscc AND past.institution_id = i.institution_id
LEFT JOIN nxt ON nxt.uscc = f.uscc AND nxt.institution_id = i.institution_id
ORDER BY f.uscc, i.institution_id""", {"y": int(year)})


def link_scores(df: pd.DataFrame, params: ResearchParams | None = None) -> dict[str, np.ndarray]:
    """Scores per pair: ``proposal`` (the proposals' link score), ``common_fields``, ``past_only``.
    Ties inside a baseline are broken by nothing (AUC counts them as half)."""
    w = (params or default_params()).link_weights
    return {"proposal": (w.strength * df["strength"] + w.past * np.minimum(df["past"], 3) / 3
                         + w.region * df["region"]).to_numpy(float),
            "common_fields": df["common"].to_numpy(float), "past_only": df["past"].to_numpy(float)}


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC with ties counted as half (Mann-Whitney), NaN without both classes."""
    y = np.asarray(y, dtype=int)
    n1, n0 = int(y.sum()), int(len(y) - y.sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = pd.Series(s).rank(method="average").to_numpy()
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def precision_at(df: pd.DataFrame, s: np.ndarray, k: int = 10) -> float:
    """Mean over institutions with a new-year collaboration of the share of their top-``k``
    enterprises (by score, ties by uscc) that collaborate with them next year."""
    d = df[["uscc", "institution_id", "y"]].assign(s=s)
    vals = []
    for _, g in d.groupby("institution_id"):
        if g["y"].sum() == 0:
            continue
        top = g.sort_values(["s", "uscc"], ascending=[False, True]).head(k)
        vals.append(top["y"].sum() / len(top))
    return float(np.mean(vals)) if vals else float("nan")


def evaluate_links(engine: Engine, year: int, k: int = 10,
                   params: ResearchParams | None = None) -> dict[str, dict[str, float]]:
    """AUC and precision@k of each score for predicting ``year + 1`` from data up to ``year``."""
    df = link_frame(engine, year)
    return {name: {"auc": auc(df["y"].to_numpy(), s), f"precision_at_{k}": precision_at(df, s, k)}
            for name, s in link_scores(df, params).items()}


__all__ = ["auc", "collaboration_network", "evaluate_links", "link_frame", "link_scores", "precision_at"]
