"""Outcome evaluation of tackling projects on demo provinces with and without the planted effect.

For each seed, the demo tables (``N`` firms) are built twice: as planted (domestic share +0.10 and
technology gap -1 from the effect year, ``reforge.demo.projects``) and with the effect switched off
(the same projects, no change to purchases or levels). ``reforge.loop.outcome.project_outcome``
(lag 3) is run on both; the script prints, per outcome, how often the 95 % band covers the planted
effect and how often it covers 0 on the province without an effect.

``python bench/loop_outcome_null.py [n_seeds] [n_firms]`` (defaults 20 and 500).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import reforge.demo.projects as plants
from reforge.demo.generate import build_tables
from reforge.engine import DuckDBEngine
from reforge.loop.outcome import project_outcome

TABLES = ("items", "chain_items", "supply_links", "capabilities", "projects", "project_items")
TRUTH = {"domestic_share": plants.EFFECT_SHARE, "tech_gap": -float(plants.EFFECT_LEVEL)}


def estimates(seed: int, n: int, effect: bool, folder: Path) -> dict[str, tuple]:
    """(att, ci_low, ci_high, band kind) per outcome on one demo province."""
    share, level = plants.EFFECT_SHARE, plants.EFFECT_LEVEL
    if not effect:
        plants.EFFECT_SHARE, plants.EFFECT_LEVEL = 0.0, 0
    try:
        t = build_tables(n, seed)
    finally:
        plants.EFFECT_SHARE, plants.EFFECT_LEVEL = share, level
    path = folder / f"s{seed}_{int(effect)}.duckdb"
    out = {}
    with DuckDBEngine(path) as e:
        for name in TABLES:
            e.register("src_frame", t[name])
            e.execute(f"CREATE TABLE {name} AS SELECT * FROM src_frame")
            e.drop("src_frame")
        for o in TRUTH:
            r = project_outcome(e, o, lag=plants.LAG)
            lo, hi = r.ci
            out[o] = (r.att, lo, hi, r.band) if r.estimable else (None, None, None, None)
    path.unlink()
    return out


def main(n_seeds: int = 20, n: int = 500) -> None:
    hits = {(o, eff): 0 for o in TRUTH for eff in (True, False)}
    made = dict.fromkeys(hits, 0)
    with tempfile.TemporaryDirectory() as d:
        for seed in range(1, n_seeds + 1):
            for eff in (True, False):
                est = estimates(seed, n, eff, Path(d))
                for o, (att, lo, hi, band) in est.items():
                    if att is None:
                        continue
                    made[(o, eff)] += 1
                    target = TRUTH[o] if eff else 0.0
                    hits[(o, eff)] += int(lo <= target <= hi)
                    print(f"seed {seed:2d} {'effect' if eff else 'null  '} {o:15s} att {att:+.4f} "
                          f"[{lo:+.4f}, {hi:+.4f}] {band}", flush=True)
    for (o, eff), h in hits.items():
        target = TRUTH[o] if eff else 0.0
        print(f"{o:15s} {'with effect' if eff else 'no effect  '}: band covers {target:+.2f} in {h} of "
              f"{made[(o, eff)]} estimable seeds")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
