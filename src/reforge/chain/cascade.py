"""Threshold cascade over a supply network, as a Python loop of set-based SQL steps.

Semantics (issue 3): removed producers stop supplying. A buyer is *disrupted* when,
for at least one item it buys, the share of that item's purchase value coming from
removed or disrupted suppliers (or from links of a removed item) is greater than
``threshold``. A disrupted firm stops supplying everything. Repeat to a fixed point.

Many scenarios run at once: every table carries a ``seed`` column naming the
scenario, so single points of failure for thousands of firms are one loop, not one
loop per firm. Evaluation is semi-naive: each round only the links of the firms
disrupted in the previous round are joined, and lost value accumulates per
(seed, buyer, item). Ids are mapped to dense BIGINT codes first (integer joins), and
each link carries its (buyer, item) purchase total, so no round re-joins the totals.

Input relations (names of tables/views on the engine):
* ``links(supplier_id, buyer_id, item_id, value)`` - value in CNY, >= 0;
* ``seeds(seed, id)`` - the firms removed in each scenario;
* ``dead0(seed, buyer_id, item_id, lost)`` - optional initial lost value (removed items).

Exactness (issue 14): every value enters the cascade as integer cents
(``ROUND(value * 100)``, BIGINT), so sums are exact and independent of the order an
engine adds in; the threshold is read as an exact decimal fraction ``num / den``
(``threshold_fraction``) and a share is compared as ``lost * den > num * total`` in
DECIMAL(38, 0). A buyer losing exactly 50 % is therefore not disrupted at 0.5, on
DuckDB and on Spark alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from reforge.engine import Engine
from reforge.errors import ReforgeError

MAX_DEN = 10**9      # thresholds are exact decimals with up to 9 places
MAX_VALUE = 1e15     # CNY; one firm's supply above this is rejected (cents must fit BIGINT sums)


def threshold_fraction(threshold: float) -> Fraction:
    """The threshold as an exact fraction: its shortest decimal form (0.3 -> 3/10, not the
    binary double), limited to denominators of at most ``MAX_DEN``."""
    return Fraction(repr(float(threshold))).limit_denominator(MAX_DEN)


def cents(expr: str) -> str:
    """SQL: a CNY amount as integer cents (BIGINT)."""
    return f"CAST(ROUND({expr} * 100) AS BIGINT)"


def share_exceeds(lost: str, total: str, threshold: float) -> str:
    """SQL condition ``lost / total > threshold``, decided exactly on integer amounts
    (``lost * den > num * total`` in DECIMAL(38, 0)); false when ``total`` is 0."""
    f = threshold_fraction(threshold)
    return (f"({total} > 0 AND CAST({lost} AS DECIMAL(38, 0)) * {f.denominator} "
            f"> CAST({total} AS DECIMAL(38, 0)) * {f.numerator})")


@dataclass
class CascadeTables:
    """Names of the result tables (dropped with the engine's scratch list)."""

    down: str    # seed, id, rnd (0 = removed, k = disrupted in round k)
    acc: str     # seed, buyer_id, item_id, lost, total (lost purchase value at the fixed point, cents)
    rounds: int  # rounds that disrupted at least one firm (max over seeds)
    n_seeds: int  # scenarios run
    ids: str = ""         # id (VARCHAR) -> n (BIGINT code)
    links: str = ""       # integer links: s, b, i, v, t (cents; t = the (buyer, item) purchase total)
    down_codes: str = ""  # seed, id, rnd with BIGINT codes (seed = the removed firm's code in critical mode)
    n_suppliers: int = 0  # distinct suppliers of ``links`` (critical_all mode only)


@dataclass
class CodedLinks:
    """The supply graph in integer form - the analogue of building a graph object.

    ``ids``: id (VARCHAR) -> n (BIGINT), sup (1 = supplies something), out_value (CNY
    supplied in all); ``items``: item_id -> n; ``links``: s, b, i, v, t
    (codes, value in integer cents, and t = the buyer's total purchases of the item, cents).
    ``n_suppliers``: distinct suppliers (when asked for, else None).
    """

    ids: str
    items: str
    links: str
    n_suppliers: int | None = None


def code_links(engine: Engine, links: str, scratch: list[str], unique_links: bool = False,
               extra_ids: str | None = None, count_suppliers: bool = False) -> CodedLinks:
    """Map ``links(supplier_id, buyer_id, item_id, value)`` to dense BIGINT codes and give
    each link its (buyer, item) purchase total, as tables on the engine (named in ``scratch``).
    Link values and totals are integer cents; ``out_value`` stays CNY (DOUBLE, reporting only).

    ``unique_links=True`` promises at most one row per (supplier, buyer, item) and skips
    summing duplicates. ``extra_ids``: a query with column ``id`` whose ids get codes too
    (removed firms that supply nobody). Deterministic: codes follow the sort order of ids.
    """
    def tmp(stem: str, sql: str) -> str:
        name = engine.temp_name(stem)
        scratch.append(name)
        engine.materialize(name, sql)
        return name

    extra = (f"UNION ALL SELECT id, 0 AS sup, CAST(0 AS DOUBLE) AS ov FROM ({extra_ids}) x"
             if extra_ids else "")
    # one grouping gives the codes, who supplies and each firm's supply value (no second
    # pass over the links for either)
    ids = tmp("cas_ids", f"""
SELECT id, CAST(ROW_NUMBER() OVER (ORDER BY id) AS BIGINT) AS n, MAX(sup) AS sup, SUM(ov) AS out_value FROM (
  SELECT supplier_id AS id, 1 AS sup, CAST(value AS DOUBLE) AS ov FROM {links}
  UNION ALL SELECT buyer_id AS id, 0 AS sup, CAST(0 AS DOUBLE) AS ov FROM {links} {extra}
) u WHERE id IS NOT NULL GROUP BY id""")
    if float(engine.fetch_scalar(f"SELECT MAX(out_value) FROM {ids}") or 0.0) > MAX_VALUE:
        raise ReforgeError(f"a supplier's links are worth more than {MAX_VALUE:.0e} CNY; check the values")
    itm = tmp("cas_items", f"SELECT item_id, CAST(ROW_NUMBER() OVER (ORDER BY item_id) AS BIGINT) AS n "
                           f"FROM (SELECT DISTINCT item_id FROM {links}) u")
    # integer links (duplicates of (supplier, buyer, item) summed unless unique), then each
    # link gets its (buyer, item) total: a GROUP BY joined back (cheaper than a window here)
    coded = f"""SELECT si.n AS s, bi.n AS b, it.n AS i, {'' if unique_links else 'SUM('}{cents('CAST(l.value AS DOUBLE)')}{
        '' if unique_links else ')'} AS v
  FROM {links} l
  JOIN {ids} si ON si.id = l.supplier_id
  JOIN {ids} bi ON bi.id = l.buyer_id
  JOIN {itm} it ON it.item_id = l.item_id{'' if unique_links else ' GROUP BY si.n, bi.n, it.n'}"""
    raw = tmp("cas_raw", coded)
    tt = tmp("cas_tot", f"SELECT b, i, CAST(SUM(v) AS BIGINT) AS t FROM {raw} GROUP BY b, i")
    lk = tmp("cas_links", f"SELECT r.s, r.b, r.i, r.v, tt.t FROM {raw} r JOIN {tt} tt ON tt.b = r.b AND tt.i = r.i")
    for old in (raw, tt):
        engine.drop(old)
    n_sup = int(engine.fetch_scalar(f"SELECT SUM(sup) FROM {ids}") or 0) if count_suppliers else None
    return CodedLinks(ids, itm, lk, n_sup)


def run_cascade(engine: Engine, links: str, seeds: str | None, threshold: float, scratch: list[str],
                dead0: str | None = None, max_rounds: int = 1000, keep_down_rows: bool = True,
                critical_among: str | None = None, critical_all: bool = False, unique_links: bool = False,
                map_back: bool = True, coded: CodedLinks | None = None,
                on_round: Callable[[int, int], None] | None = None) -> CascadeTables:
    """Run all scenarios of ``seeds`` to the fixed point; return the result table names.

    ``critical_among`` (a table with column ``id``) replaces ``seeds`` by one scenario per
    firm of that table that has a *critical link* (alone more than ``threshold`` of some
    buyer's purchases of an item): the only firms whose removal can disrupt anybody.
    ``critical_all=True`` does the same over every supplier of ``links`` (no id table).

    ``unique_links=True`` promises that ``links`` has at most one row per (supplier, buyer,
    item) - true of one year of ``supply_links``, whose key it is - and skips summing
    duplicates (a GROUP BY over every link). ``map_back=False`` skips mapping the codes
    back to ids (``down``/``acc`` are then empty names; use ``down_codes``/``ids``).

    ``coded``: the graph from ``code_links`` when the caller built it already (critical
    modes only); otherwise it is built here.

    ``keep_down_rows=False`` drops accumulated losses of buyers already down (they can
    change nothing), which keeps ``acc`` small when there are many scenarios; keep them
    (the default) to report the items through which each buyer was disrupted.
    ``on_round(k, n_new)`` is called after each round (for progress bars).

    A scenario with no new disruption in a round has reached its fixed point: its
    accumulated losses leave ``acc`` (so late rounds only carry the scenarios still
    spreading). The returned ``acc`` is therefore complete only for scenarios active in
    the last round - always the case for a single scenario.
    """
    thr = float(threshold)

    def tmp(stem: str, sql: str) -> str:
        name = engine.temp_name(stem)
        scratch.append(name)
        engine.materialize(name, sql)
        return name

    if coded is None:
        extra = f"SELECT CAST(id AS VARCHAR) AS id FROM {seeds}" if seeds else None
        coded = code_links(engine, links, scratch, unique_links=unique_links, extra_ids=extra,
                           count_suppliers=critical_all)
    elif seeds:
        raise ValueError("a prebuilt coded graph serves the critical modes only (no seeds)")
    ids, itm, lk = coded.ids, coded.items, coded.links
    n_sup = coded.n_suppliers or 0
    critical = bool(critical_among) or critical_all
    if critical:
        sd = ids  # scenario n = the removed firm's code
        if critical_all:
            among = ""
        else:
            among = f"JOIN {ids} x ON x.n = l.s JOIN {critical_among} c ON c.id = x.id"
        down = tmp("cas_down", f"""
SELECT DISTINCT l.s AS seed, l.s AS id, CAST(0 AS BIGINT) AS rnd
FROM {lk} l {among}
WHERE {share_exceeds('l.v', 'l.t', thr)}""")
    else:
        assert seeds is not None, "give seeds or critical_among"
        seed_src = f"SELECT DISTINCT CAST(seed AS VARCHAR) AS seed FROM {seeds}"
        if dead0:
            seed_src += f" UNION SELECT CAST(seed AS VARCHAR) AS seed FROM {dead0}"
        sd = tmp("cas_seedmap", f"SELECT seed AS id, CAST(ROW_NUMBER() OVER (ORDER BY seed) AS BIGINT) AS n "
                                f"FROM ({seed_src}) u")
        down = tmp("cas_down", f"""
SELECT DISTINCT m.n AS seed, x.n AS id, CAST(0 AS BIGINT) AS rnd
FROM {seeds} s JOIN {sd} m ON m.id = CAST(s.seed AS VARCHAR) JOIN {ids} x ON x.id = CAST(s.id AS VARCHAR)""")
    n_seeds = int(engine.fetch_scalar(f"SELECT COUNT(DISTINCT seed) FROM {down}") or 0)
    init = ""
    if dead0:
        init = f"""SELECT m.n AS seed, bi.n AS b, it.n AS i, {cents('CAST(d.lost AS DOUBLE)')} AS lost, t.t
  FROM {dead0} d JOIN {sd} m ON m.id = CAST(d.seed AS VARCHAR)
  JOIN {ids} bi ON bi.id = d.buyer_id JOIN {itm} it ON it.item_id = d.item_id
  JOIN (SELECT b, i, MAX(t) AS t FROM {lk} GROUP BY b, i) t ON t.b = bi.n AND t.i = it.n
  UNION ALL """
    acc: str | None = None
    # critical modes: one removed firm per scenario and one link row per (s, b, i), so round 1
    # needs no accumulated table: its victims are the buyers of the seeds' critical links, and
    # the seeds' own links enter the accumulation straight from the link table (first_acc)
    first_acc = f"SELECT l.s AS seed, l.b, l.i, l.v AS lost, l.t FROM {lk} l WHERE l.s IN (SELECT seed FROM {{new}})"
    if not critical:
        acc = tmp("cas_acc", f"""
SELECT seed, b, i, CAST(SUM(lost) AS BIGINT) AS lost, MAX(t) AS t FROM (
  {init}SELECT f.seed, l.b, l.i, l.v AS lost, l.t FROM {down} f JOIN {lk} l ON l.s = f.id
) u GROUP BY seed, b, i""")
    prune = ("" if keep_down_rows else
             "LEFT JOIN {down} dd ON dd.seed = u.seed AND dd.id = u.b WHERE dd.id IS NULL")
    rounds = 0
    for k in range(1, max_rounds + 1):
        if acc is None:
            new = tmp("cas_new", f"""
SELECT DISTINCT l.s AS seed, l.b AS id, CAST({k} AS BIGINT) AS rnd FROM {lk} l
WHERE l.s IN (SELECT seed FROM {down}) AND l.b <> l.s AND {share_exceeds('l.v', 'l.t', thr)}""")
        else:
            new = tmp("cas_new", f"""
SELECT DISTINCT a.seed, a.b AS id, CAST({k} AS BIGINT) AS rnd
FROM {acc} a LEFT JOIN {down} d ON d.seed = a.seed AND d.id = a.b
WHERE d.id IS NULL AND {share_exceeds('a.lost', 'a.t', thr)}""")
        n_new = engine.count(new)
        if on_round:
            on_round(k, n_new)
        if n_new == 0:
            break
        rounds = k
        down2 = tmp("cas_down", f"SELECT seed, id, rnd FROM {down} UNION ALL SELECT seed, id, rnd FROM {new}")
        prev = (first_acc.format(new=new) if acc is None else
                f"SELECT a.seed, a.b, a.i, a.lost, a.t FROM {acc} a "
                f"JOIN (SELECT DISTINCT seed FROM {new}) q ON q.seed = a.seed")
        acc2 = tmp("cas_acc", f"""
SELECT u.seed, u.b, u.i, CAST(SUM(u.lost) AS BIGINT) AS lost, MAX(u.t) AS t FROM (
  {prev}
  UNION ALL
  SELECT n.seed, l.b, l.i, l.v AS lost, l.t
  FROM {new} n JOIN {lk} l ON l.s = n.id
) u {prune.format(down=down2)} GROUP BY u.seed, u.b, u.i""")
        for old in (down, acc, new):
            if old:
                engine.drop(old)
        down, acc = down2, acc2
    if acc is None:  # no round disrupted anybody: the seeds' links are all that was lost
        acc = tmp("cas_acc", f"SELECT l.s AS seed, l.b, l.i, l.v AS lost, l.t FROM {lk} l "
                             f"WHERE l.s IN (SELECT seed FROM {down})")
    if not map_back:
        return CascadeTables(down="", acc="", rounds=rounds, n_seeds=n_seeds, ids=ids, links=lk,
                             down_codes=down, n_suppliers=n_sup)
    down_s = tmp("cas_down_ids", f"""
SELECT m.id AS seed, x.id, d.rnd FROM {down} d JOIN {sd} m ON m.n = d.seed JOIN {ids} x ON x.n = d.id""")
    acc_s = tmp("cas_acc_ids", f"""
SELECT m.id AS seed, x.id AS buyer_id, it.item_id, a.lost, a.t AS total
FROM {acc} a JOIN {sd} m ON m.n = a.seed JOIN {ids} x ON x.n = a.b JOIN {itm} it ON it.n = a.i""")
    return CascadeTables(down=down_s, acc=acc_s, rounds=rounds, n_seeds=n_seeds, ids=ids, links=lk,
                         down_codes=down, n_suppliers=n_sup)
