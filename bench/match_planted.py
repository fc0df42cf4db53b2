"""Planted supplier-demand pairs on demo provinces: is the true supplier ranked first, and is
each decoy excluded with its reason code? Per seed, with and without realism noise, per text
mode (words = jieba BM25, ngrams = character-bigram BM25, both).

With ``--shortlist`` each run goes through the scale path too (``reforge.match.shortlist``: the
20 best BM25 matches per demand, found in SQL, are its only candidates), as on a database with
more than ``scale.pairs`` demand-producer pairs.

usage: python bench/match_planted.py [SEEDS] [--shortlist]   (default 3,7,11; 2,000 firms each)
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from reforge.demo.generate import build_tables
from reforge.demo.matching import planted_truth
from reforge.engine import DuckDBEngine
from reforge.match import match_demands
from reforge.schema.tables import get_table

DECOYS = (("full", "match.exclude.no_capacity"), ("low", "match.exclude.level_below"),
          ("bad", "match.exclude.dishonest"))


def main(seeds: list[int], n_firms: int = 2000, shortlist: bool = False) -> None:
    from reforge.match import default_params
    p = default_params()
    paths = [("all", p)]
    if shortlist:
        paths.append(("shortlist", p.model_copy(update={"scale": p.scale.model_copy(update={"pairs": 0})})))
    for seed in seeds:
        for realism in (False, True):
            t = build_tables(n_firms=n_firms, seed=seed, realism=realism)
            plan = planted_truth(t)
            e = DuckDBEngine(":memory:")
            for k, v in t.items():  # as in a database: every schema column present
                v = v.copy()
                for col in get_table(k).names:
                    if col not in v:
                        v[col] = None
                e.register(k, v)
            for (path, params), mode in ((x, m) for x in paths for m in ("words", "ngrams", "both")):
                t0 = time.perf_counter()
                c = match_demands(e, list(plan.demand_id), as_of="2026-01-15", mode=mode, params=params).candidates
                top1 = top5 = 0
                dec = {k: 0 for k, _ in DECOYS}
                below = {k: 0 for k, _ in DECOYS}
                for p in plan.itertuples():
                    g = c[c.demand_id == p.demand_id].set_index("producer_id")
                    r = g.loc[p.true_id, "rank"] if p.true_id in g.index else None
                    top1 += r == 1
                    top5 += r is not None and r == r and r <= 5
                    for kind, code in DECOYS:
                        fid = getattr(p, f"{kind}_id")
                        dec[kind] += fid in g.index and code in {m.code for m in g.loc[fid, "reasons"]}
                        # below the true supplier: excluded, not a candidate, or ranked after it
                        rd = g.loc[fid, "rank"] if fid in g.index else None
                        below[kind] += bool(pd.isna(rd) or (not pd.isna(r) and rd > r))
                n = len(plan)
                print(f"seed={seed} realism={realism} candidates={path} mode={mode} n={n} true@1={top1 / n:.2f} "
                      f"true@5={top5 / n:.2f} decoys excluded with their code: "
                      + " ".join(f"{k}={v}/{n}" for k, v in dec.items())
                      + " decoys below the true supplier: " + " ".join(f"{k}={v}/{n}" for k, v in below.items())
                      + f" time={time.perf_counter() - t0:.1f}s", flush=True)
            e.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main([int(s) for s in (args[0] if args else "3,7,11").split(",")], shortlist="--shortlist" in sys.argv)
