"""Link prediction of next year's enterprise-institution collaborations, out of time, on noisy
demo provinces; and the planted "good credit leads" effect in the data and in the lead choice.

For each seed (realism noise on) and each year t in 2021-2024, every (producer, institution)
pair gets features known at t and the label "they collaborate in t + 1". Scores compared:

* ``proposal`` - the link score the consortium proposals rank institutions by (params.yaml
  link weights: field strength, past collaborations, same province);
* ``logistic`` - a logistic regression on the same four features (strength, common fields,
  past collaborations capped at 3, same province) trained on year t - 1 -> t, applied to t -> t + 1;
* baselines ``common_fields`` (number of common fields only) and ``past_only`` (past
  collaborations only).

Metrics: AUC (ties count half) and precision@10 per institution (mean over institutions with a
collaboration in t + 1). Then the share of collaborations an enterprise leads per latest tax
rating (planted: A 0.75, B 0.5, other 0.25), and the tax rating of the leads the proposals choose
against that of all eligible lead candidates.

usage: python bench/research_links.py [SEEDS] [N_FIRMS]   (default 3,7,11 and 3,000 firms)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from reforge.demo.generate import PLANTED, build_tables
from reforge.engine import DuckDBEngine
from reforge.research import collaboration_network, link_frame, link_scores, propose_partners
from reforge.research.network import auc, precision_at
from reforge.schema.tables import get_table

YEARS = (2021, 2022, 2023, 2024)


def _engine(t: dict[str, pd.DataFrame]) -> DuckDBEngine:
    e = DuckDBEngine(":memory:")
    for k, v in t.items():  # as in a database: every schema column present
        v = v.copy()
        for c in get_table(k).columns:
            if c.name not in v.columns:
                v[c.name] = None
        e.register(k, v)
    return e


def _features(df: pd.DataFrame) -> np.ndarray:
    return np.column_stack([df["strength"], df["common"], np.minimum(df["past"], 3), df["region"]]).astype(float)


def main(seeds: list[int], n_firms: int) -> None:
    from sklearn.linear_model import LogisticRegression
    rows, lead_rows, choice_rows = [], [], []
    for seed in seeds:
        t0 = time.perf_counter()
        e = _engine(build_tables(n_firms=n_firms, seed=seed, realism=True))
        frames = {y: link_frame(e, y) for y in (YEARS[0] - 1, *YEARS)}
        for y in YEARS:
            df, prev = frames[y], frames[y - 1]
            scores = link_scores(df)
            model = LogisticRegression(max_iter=1000).fit(_features(prev), prev["y"])
            scores["logistic"] = model.predict_proba(_features(df))[:, 1]
            for name, s in scores.items():
                rows.append({"seed": seed, "year": y, "score": name, "auc": auc(df["y"].to_numpy(), s),
                             "p_at_10": precision_at(df, s, 10), "positives": int(df["y"].sum())})
        net = collaboration_network(e)
        lr = net.lead_rate_by_rating.assign(seed=seed)
        lead_rows.append(lr)
        res = propose_partners(e, as_of="2025-12-31", include_demands=False)
        for p in res.proposals:
            if p["lead"] is None:
                continue
            choice_rows.append({"seed": seed, "chosen": p["lead"]["detail"]["grade"]})
        cands = e.fetch_df("""
WITH t AS (SELECT uscc, value, ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY recorded_on DESC, record_id DESC) rn
           FROM credit_records WHERE kind = 'tax_rating')
SELECT value FROM t WHERE rn = 1 AND value IN ('A', 'B')""")
        choice_rows += [{"seed": seed, "eligible": v} for v in cands["value"]]
        e.close()
        print(f"seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    r = pd.DataFrame(rows)
    print(f"Link prediction, train to t, predict t+1 (years {YEARS[0]}-{YEARS[-1]}), seeds {seeds}, "
          f"{n_firms} firms, realism on")
    g = r.groupby("score")[["auc", "p_at_10"]].agg(["mean", "std"]).round(3)
    print(g.to_string())
    print("\nper seed (mean over years):")
    print(r.groupby(["seed", "score"])[["auc", "p_at_10"]].mean().round(3).unstack("score").to_string())
    lr = pd.concat(lead_rows)
    lr["group"] = lr["rating"].where(lr["rating"].isin(["A", "B"]), "other")
    est = lr.groupby("group")[["led", "collaborations"]].sum()
    est["lead_rate"] = (est["led"] / est["collaborations"]).round(3)
    est["planted"] = [PLANTED["research"]["lead_probability_by_tax_rating"][k] for k in est.index]
    print("\nGood credit leads: share of collaborations the enterprise leads, by its latest tax rating")
    print(est.to_string())
    ch = pd.DataFrame(choice_rows)
    chosen = ch["chosen"].dropna().value_counts(normalize=True).round(3)
    elig = ch["eligible"].dropna().value_counts(normalize=True).round(3)
    print("\nLead choice: tax rating of proposed leads vs all firms rated at or above the floor (B)")
    print(pd.DataFrame({"proposed_leads": chosen, "rated_A_or_B": elig}).fillna(0).to_string())


if __name__ == "__main__":
    seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [3, 7, 11]
    main(seeds, int(sys.argv[2]) if len(sys.argv) > 2 else 3000)
