"""Single points of failure: for every firm, what its removal alone would disrupt.

Not N simulations. Two exact reductions:

1. *Candidate pruning (one pass).* A cascade needs a first victim, and in round 1
   only the removed firm is down, so a firm can disrupt anybody only if it alone
   supplies more than ``threshold`` of some buyer's purchases of some item (a
   *critical link*). Firms without a critical link disrupt nobody: count 0, no
   simulation. One pass over the (integer-coded) links finds the candidates.
2. *All scenarios in one loop.* The candidates' cascades run together in
   ``cascade.run_cascade`` (every table keyed by ``seed``); each round joins only
   the links of the firms disrupted in the previous round (semi-naive), and a
   scenario that stopped spreading leaves the working tables, so the work is
   proportional to the total size of the cascades, not N x the network.

The results equal one full simulation per firm (checked against brute force in the
tests; for the "any input suffices" reading the cascade of a node is exactly its
dominator-tree subtree, checked against networkx on the Willems chains).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from reforge.chain.cascade import code_links, run_cascade
from reforge.chain.graph import require_tables
from reforge.chain.metrics import resolve_year
from reforge.chain.simulate import SIM_TABLES, _rec, _validate_threshold, links_sql
from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError


@dataclass
class SinglePoints:
    """Ranked single points of failure (only firms whose removal disrupts someone)."""

    rows: pd.DataFrame            # firm_id, disrupted_count, lost_value, depth (+ name, firm_type)
    firms_checked: int
    candidates: int
    rounds: int
    chain_id: str | None = None
    year: int | None = None
    loss_threshold: float = 0.5
    timings: dict[str, float] = field(default_factory=dict)  # wall s: build_s, propagate_s (not in JSON)

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def to_dict(self) -> dict:
        """JSON-safe: the run's parameters and counts, and the ranked ``firms``."""
        return {"chain_id": self.chain_id, "year": self.year, "loss_threshold": self.loss_threshold,
                "firms_checked": self.firms_checked, "candidates": self.candidates, "rounds": self.rounds,
                "firms": [_rec(r) for r in self.rows.to_dict(orient="records")]}


def spof_on_links(engine: Engine, links: str, firms_sql: str | None, threshold: float, scratch: list[str],
                  on_round: Callable[[int, int], None] | None = None,
                  unique_links: bool = False,
                  timings: dict[str, float] | None = None, with_names: bool = False,
                  limit: int | None = None, quiet_too: bool = False) -> tuple[pd.DataFrame, int, int, int]:
    """Core: cascades of every firm of ``firms_sql`` (column ``id``; None = every supplier of
    ``links``) over ``links``.

    Returns (frame firm_id/disrupted_count/lost_value/depth sorted by count desc,
    firms checked, candidates, rounds). ``lost_value`` is the value (CNY) of all
    links out of the removed firm and the firms it disrupts. ``unique_links``: see
    ``cascade.run_cascade`` (one row per supplier, buyer and item). ``timings`` (when given)
    receives wall seconds: ``build_s`` (integer-coded graph with purchase totals, what
    building a graph object is elsewhere) and ``propagate_s`` (the cascades and the ranking).
    ``with_names`` adds name, firm_type (enterprise / foreign) and country from
    ``enterprises`` and ``foreign_suppliers``; ``limit`` keeps the top rows only.
    ``quiet_too`` also returns the checked firms that disrupt nobody (count 0, depth 0, lost
    value = their own supply value).
    """
    thr = float(threshold)
    t_start = time.perf_counter()
    firms = None
    if firms_sql is not None:
        firms = engine.temp_name("spof_firms")
        scratch.append(firms)
        engine.materialize(firms, f"SELECT DISTINCT CAST(id AS VARCHAR) AS id FROM ({firms_sql}) f "
                                  f"WHERE id IS NOT NULL")
    t0 = time.perf_counter()
    coded = code_links(engine, links, scratch, unique_links=unique_links, count_suppliers=firms_sql is None)
    t1 = time.perf_counter()
    res = run_cascade(engine, links, None, thr, scratch, keep_down_rows=False, critical_among=firms,
                      critical_all=firms is None, unique_links=unique_links, map_back=False,
                      coded=coded, on_round=on_round)
    n_firms = res.n_suppliers if firms is None else engine.count(firms)
    n_cand = res.n_seeds
    # everything on integer codes; only the ranked seeds are mapped back to ids
    names_cols = names_join = ""
    if with_names:
        names_cols = (", COALESCE(e.name, f.name) AS name, CASE WHEN e.uscc IS NOT NULL THEN 'enterprise' "
                      "WHEN f.supplier_id IS NOT NULL THEN 'foreign' END AS firm_type, f.country")
        names_join = ("\nLEFT JOIN enterprises e ON e.uscc = x.id "
                      "LEFT JOIN foreign_suppliers f ON f.supplier_id = x.id")
    if quiet_too:  # every checked firm: suppliers of the links, or of the firms table
        cols = ("x.id AS firm_id, COALESCE(p.disrupted_count, 0) AS disrupted_count, "
                "COALESCE(p.lost_value, x.out_value) AS lost_value, COALESCE(p.depth, 0) AS depth")
        source = f"FROM {res.ids} x LEFT JOIN per p ON p.seed = x.n" + (
            "" if firms is None else f" JOIN {firms} c ON c.id = x.id")
        where = "\nWHERE x.sup = 1"
    else:
        cols = "x.id AS firm_id, p.disrupted_count, p.lost_value, p.depth"
        source, where = f"FROM per p JOIN {res.ids} x ON x.n = p.seed", ""
    df = engine.fetch_df(f"""
WITH per AS (
  SELECT d.seed,
         CAST(SUM(CASE WHEN d.rnd > 0 THEN 1 ELSE 0 END) AS BIGINT) AS disrupted_count,
         CAST(SUM(COALESCE(o.out_value, 0)) AS DOUBLE) AS lost_value,
         CAST(MAX(d.rnd) AS BIGINT) AS depth
  FROM {res.down_codes} d LEFT JOIN {res.ids} o ON o.n = d.id
  GROUP BY d.seed
  HAVING SUM(CASE WHEN d.rnd > 0 THEN 1 ELSE 0 END) > 0
)
SELECT {cols}{names_cols}
{source}{names_join}{where}
ORDER BY disrupted_count DESC, lost_value DESC, firm_id{f" LIMIT {int(limit)}" if limit else ""}""")
    if timings is not None:
        timings.update(build_s=t1 - t0, propagate_s=time.perf_counter() - t_start - (t1 - t0))
    return df, n_firms, n_cand, res.rounds


def single_points_of_failure(engine: Engine, chain_id: str | None = None, year: int | None = None,
                             loss_threshold: float = 0.5, top: int | None = None,
                             on_round: Callable[[int, int], None] | None = None) -> SinglePoints:
    """Rank firms by how many firms their removal alone would disrupt (whole network cascade).

    Firms checked: the suppliers of the chain's items in the year (all suppliers when
    ``chain_id`` is None). Firms that disrupt nobody are left out of the ranking.
    """
    thr = _validate_threshold(loss_threshold)
    require_tables(engine, SIM_TABLES)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ReforgeError(f"top must be a positive integer, got {top!r}")
    y = resolve_year(engine, year)
    if chain_id is not None:
        if not engine.table_exists("chain_items"):
            raise ReforgeError("table chain_items is missing")
        if not engine.fetch_scalar("SELECT COUNT(*) FROM chain_items WHERE chain_id = ?", [chain_id]):
            raise ReforgeError(f"unknown chain {chain_id!r} (no items in chain_items)",
                               code="chain.unknown_chain", params={"chain": str(chain_id)[:80]})
    with engine.scratch() as scratch:
        links = f"({links_sql(y)})"  # a subquery: scanned a few times, never copied
        firms_sql: str | None = None  # None: every supplier
        if chain_id is not None:  # kept as text for intermediate tables: the (known) id as a constant
            firms_sql = (f"SELECT l.supplier_id AS id FROM ({links_sql(y)}) l JOIN chain_items ci "
                         f"ON ci.item_id = l.item_id WHERE ci.chain_id = {literal(chain_id)}")
        timings: dict[str, float] = {}
        df, n_firms, n_cand, rounds = spof_on_links(engine, links, firms_sql, thr, scratch, on_round,
                                                      unique_links=True, timings=timings,  # the table's key
                                                      with_names=True, limit=top)  # ranked in SQL
    df.insert(0, "rank", range(1, len(df) + 1))
    return SinglePoints(df.reset_index(drop=True), n_firms, n_cand, rounds, chain_id, y, thr, timings)
