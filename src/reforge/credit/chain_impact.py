"""The chain disruption impact of every firm per year, stored once and joined by the credit features.

``disruption_impact`` of firm *u* in year *t* = the number of firms disrupted if *u* alone
stopped supplying: the threshold cascade of ``reforge.chain`` (``chain.spof.spof_on_links``)
over the supply links of year *t*, loss threshold 0.5 (a buyer is disrupted when more than
half of its purchases of some item come from removed or disrupted suppliers; disrupted firms
stop supplying; until nothing changes). The cascade is not re-implemented here.

It is a derived table, not part of the scoring query:

- ``refresh_impacts`` (called by ``credit train``; needs a writable DuckDB) computes the
  rows of every link year whose stored rows in ``chain_impacts`` are missing or stale and
  replaces them in one transaction. Stale = the year's ``links_fingerprint`` (number of
  links and total value in whole cents) differs from the current ``supply_links``.
- ``impact_source`` (used by ``panel``, ``score``, the report) never writes: it joins the
  stored rows of fresh years and computes the other link years into a temporary table.
  The cascade runs on the same engine, DuckDB (read-only is fine: temporary tables only)
  or Spark; the result is the same integer count from the same code.

Every supplier of a link year gets a row (0 when it disrupts nobody), so "computed, nobody
disrupts anyone" and "not computed" differ. Years without supply links have no rows and
the feature is NULL there (missing bin).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from reforge.chain.simulate import links_sql
from reforge.chain.spof import spof_on_links
from reforge.engine import Engine
from reforge.errors import ReforgeError

LOSS_THRESHOLD = 0.5  # the chain library's default (issue 3)
TABLE = "chain_impacts"
_COLS = ("year", "firm_id", "loss_threshold", "disrupted_count", "lost_value", "depth",
         "links_fingerprint", "computed_at")


def link_fingerprints(engine: Engine, year_from: int, year_to: int) -> dict[int, str]:
    """``{year: "<links>:<sum of value in whole cents>"}`` for the years with supply links.

    Exact on every engine: the cents are floored per link and summed as DECIMAL."""
    df = engine.fetch_df(
        "SELECT CAST(year AS BIGINT) AS year, COUNT(*) AS n, "
        "CAST(SUM(CAST(FLOOR(value * 100) AS DECIMAL(38, 0))) AS VARCHAR) AS cents "
        f"FROM supply_links WHERE year BETWEEN {int(year_from)} AND {int(year_to)} "
        "GROUP BY year ORDER BY year")
    return {int(r.year): f"{int(r.n)}:{_int_text(r.cents)}" for r in df.itertuples(index=False)}


def _int_text(v) -> str:
    s = "0" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()
    return s.split(".")[0] if "." in s else s  # "123" on DuckDB; Spark may print "123" or "123.0"


def _stored_fingerprints(engine: Engine, year_from: int, year_to: int, thr: float) -> dict[int, str | None]:
    """``{year: fingerprint}`` of the stored rows (None when a year's rows disagree)."""
    if not engine.table_exists(TABLE):
        return {}
    df = engine.fetch_df(
        f"SELECT CAST(year AS BIGINT) AS year, MIN(links_fingerprint) AS lo, MAX(links_fingerprint) AS hi "
        f"FROM {TABLE} WHERE loss_threshold = {thr!r} AND year BETWEEN {int(year_from)} AND {int(year_to)} "
        "GROUP BY year")
    return {int(r.year): (r.lo if r.lo == r.hi else None) for r in df.itertuples(index=False)}


def impact_status(engine: Engine, year_from: int, year_to: int,
                  loss_threshold: float = LOSS_THRESHOLD) -> dict[str, list[int]]:
    """Link years split into ``fresh`` (stored rows match supply_links) and ``missing_or_stale``;
    ``orphaned``: years with stored rows but no supply links any more."""
    return _status(engine, year_from, year_to, float(loss_threshold))[0]


def _status(engine: Engine, year_from: int, year_to: int, thr: float) -> tuple[dict[str, list[int]], dict[int, str]]:
    fps = link_fingerprints(engine, year_from, year_to)
    stored = _stored_fingerprints(engine, year_from, year_to, thr)
    fresh = [y for y, fp in fps.items() if stored.get(y) == fp]
    return ({"fresh": fresh, "missing_or_stale": [y for y in fps if y not in fresh],
             "orphaned": sorted(y for y in stored if y not in fps)}, fps)


def compute_impacts(engine: Engine, years: list[int], loss_threshold: float = LOSS_THRESHOLD) -> pd.DataFrame:
    """Rows of ``chain_impacts`` (without fingerprint and time) for the years: one per supplier.

    Runs ``spof_on_links`` on the engine itself (DuckDB or Spark)."""
    years = sorted({int(y) for y in years})
    if not years:
        return _frame([])
    return _compute_on(engine, years, float(loss_threshold))


def _compute_on(engine: Engine, years: list[int], thr: float) -> pd.DataFrame:
    parts = []
    for y in years:
        with engine.scratch() as scratch:
            # supply_links has one row per (supplier, buyer, item, year): its key
            df = spof_on_links(engine, f"({links_sql(y)})", None, thr, scratch, unique_links=True,
                               quiet_too=True)[0]  # every supplier, 0 when it disrupts nobody
        parts.append(pd.DataFrame({
            "year": y, "firm_id": df["firm_id"].astype(str),
            "disrupted_count": df["disrupted_count"].astype("int64"),
            "lost_value": df["lost_value"].astype(float), "depth": df["depth"].astype("int64")}))
    return _frame(parts)


def _frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"year": pd.Series([], dtype="int64"), "firm_id": pd.Series([], dtype=object),
                             "disrupted_count": pd.Series([], dtype="int64"),
                             "lost_value": pd.Series([], dtype=float), "depth": pd.Series([], dtype="int64")})
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    return out.sort_values(["year", "firm_id"], ignore_index=True)


def refresh_impacts(engine: Engine, year_from: int | None = None, year_to: int | None = None,
                    loss_threshold: float = LOSS_THRESHOLD, force: bool = False) -> list[int]:
    """Store ``chain_impacts`` rows for every link year in the range whose rows are missing or
    stale (all link years with ``force``), and drop rows of years that no longer have links.

    All or nothing: one transaction. Needs a DuckDB engine opened for writing. Returns the
    years recomputed (ascending)."""
    from reforge.schema.ddl import create_table_sql
    from reforge.schema.tables import get_table
    if not engine.stores:
        raise ReforgeError("storing chain impacts needs a DuckDB database opened for writing",
                           code="engine.read_only", params={"what": "chain_impacts"})
    thr = float(loss_threshold)
    if year_from is None or year_to is None:
        lo, hi = engine.fetch_df("SELECT MIN(year) AS lo, MAX(year) AS hi FROM supply_links").iloc[0]
        if pd.isna(lo):
            return []
        year_from = int(lo) if year_from is None else year_from
        year_to = int(hi) if year_to is None else year_to
    engine.execute(create_table_sql(get_table(TABLE)))
    with engine.transaction():  # fingerprint, cascade and write on one snapshot
        st, fps = _status(engine, year_from, year_to, thr)
        todo = sorted(fps) if force else st["missing_or_stale"]
        clear = sorted(set(todo) | set(st["orphaned"]))
        if clear:
            df = compute_impacts(engine, todo, thr)
            df.insert(2, "loss_threshold", thr)
            df["links_fingerprint"] = df["year"].map(fps)
            df["computed_at"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
            engine.execute(f"DELETE FROM {TABLE} WHERE loss_threshold = {thr!r} "
                           f"AND year IN ({', '.join(str(y) for y in clear)})")
            if len(df):
                tmp = engine.temp_name("chain_impacts_new")
                engine.register(tmp, df[list(_COLS)])
                try:
                    engine.execute(f"INSERT INTO {TABLE} ({', '.join(_COLS)}) SELECT {', '.join(_COLS)} FROM {tmp}")
                finally:
                    engine.drop(tmp)
    return todo


def impact_source(engine: Engine, year_from: int, year_to: int, scratch: list[str],
                  loss_threshold: float = LOSS_THRESHOLD) -> tuple[str | None, list[int]]:
    """A relation ``(uscc, year, disruption_impact)`` for the link years of the range, and those
    years (see ``features.feature_sql``). Stored rows are used where fresh; other link years are
    computed into a temporary table (listed in ``scratch``). Never writes to the database."""
    thr = float(loss_threshold)
    st = _status(engine, year_from, year_to, thr)[0]
    years = sorted(st["fresh"] + st["missing_or_stale"])
    if not years:
        return None, []
    parts = []
    if st["fresh"]:
        parts.append(f"SELECT firm_id AS uscc, CAST(year AS BIGINT) AS year, "
                     f"CAST(disrupted_count AS DOUBLE) AS disruption_impact FROM {TABLE} "
                     f"WHERE loss_threshold = {thr!r} AND year IN ({', '.join(str(y) for y in st['fresh'])})")
    if st["missing_or_stale"]:
        df = compute_impacts(engine, st["missing_or_stale"], thr)
        tmp = engine.temp_name("credit_impact")
        scratch.append(tmp)
        engine.register(tmp, pd.DataFrame({"uscc": df["firm_id"].astype(str), "year": df["year"].astype("int64"),
                                           "disruption_impact": df["disrupted_count"].astype(float)}))
        parts.append(f"SELECT uscc, year, disruption_impact FROM {tmp}")
    return "(" + " UNION ALL ".join(parts) + ")", years
