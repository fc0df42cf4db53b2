"""SQL of the appraise capability (DuckDB dialect, bound parameters only).

Reads ``experts``, ``appraisals``, ``appraisal_scores``, ``appraisal_judgments`` and
``supply_links``; writes ``appraisal_judgments``. Columns added after a database was made
(``experts.role``, ``experts.uscc``) are added by ``schema.ensure_schema``; a database
opened read-only without them reads them as NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from reforge.engine.base import Engine
from reforge.errors import DataMissing, NotFound

EXPERT_COLUMNS = ("expert_id", "name", "field", "institution_id", "weight", "role", "uscc")


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _need(engine: Engine, table: str) -> None:
    if not engine.table_exists(table):
        raise DataMissing(f"the database has no {table} table; import it first",
                          code="appraise.data.no_table", params={"table": table})


def experts(engine: Engine) -> pd.DataFrame:
    """All experts with role and employer (missing optional columns read as NULL)."""
    _need(engine, "experts")
    have = set(engine.columns("experts"))
    cols = ", ".join(c if c in have else f"NULL AS {c}" for c in EXPERT_COLUMNS)
    df = engine.fetch_df(f"SELECT {cols} FROM experts ORDER BY expert_id")
    df["weight"] = pd.to_numeric(df["weight"], errors="coerce").fillna(1.0)
    return df


def appraisal(engine: Engine, appraisal_id: str) -> dict[str, object]:
    """One appraisal as a dict, or NotFound."""
    _need(engine, "appraisals")
    df = engine.fetch_df("SELECT appraisal_id, uscc, kind, title, item_id, year FROM appraisals "
                         "WHERE appraisal_id = ?", [appraisal_id])
    if df.empty:
        raise NotFound(f"appraisal {appraisal_id!r} not found", code="appraise.not_found",
                       params={"appraisal_id": str(appraisal_id)[:80]})
    return {k: (None if pd.isna(v) else v) for k, v in df.iloc[0].to_dict().items()}


def appraisals(engine: Engine, ids: Sequence[str] | None = None, kind: str | None = None,
               year: int | None = None, uscc: str | None = None, region: str | None = None) -> pd.DataFrame:
    """Appraisals filtered by ids, kind, year and applicant (all bound); ``region`` (GB/T 2260
    code): applicants in that region or below."""
    _need(engine, "appraisals")
    where, params = ["TRUE"], []
    if ids is not None:
        if not ids:
            return pd.DataFrame(columns=["appraisal_id", "uscc", "kind", "title", "item_id", "year"])
        where.append(f"appraisal_id IN ({_marks(len(ids))})")
        params += list(ids)
    for col, v in (("kind", kind), ("year", year), ("uscc", uscc)):
        if v is not None:
            where.append(f"{col} = ?")
            params.append(v)
    if region is not None:  # the checked six-digit code is inlined: the query keeps its ? markers
        from reforge.region import region_condition
        where.append(f"uscc IN (SELECT e.uscc FROM enterprises e WHERE {region_condition(region)})")
    return engine.fetch_df("SELECT appraisal_id, uscc, kind, title, item_id, year FROM appraisals WHERE "
                           + " AND ".join(where) + " ORDER BY appraisal_id", params)


def scores(engine: Engine, ids: Sequence[str]) -> pd.DataFrame:
    """Expert scores (appraisal_id, expert_id, criterion, score) of the given appraisals."""
    _need(engine, "appraisal_scores")
    if not ids:
        return pd.DataFrame(columns=["appraisal_id", "expert_id", "criterion", "score"])
    return engine.fetch_df("SELECT appraisal_id, expert_id, criterion, score FROM appraisal_scores "
                           f"WHERE appraisal_id IN ({_marks(len(ids))}) ORDER BY 1, 2, 3", list(ids))


def judgments(engine: Engine, ids: Sequence[str]) -> pd.DataFrame:
    """Pairwise judgments (appraisal_id, expert_id, criterion_a, criterion_b, value)."""
    cols = ["appraisal_id", "expert_id", "criterion_a", "criterion_b", "value"]
    if not ids or not engine.table_exists("appraisal_judgments"):
        return pd.DataFrame(columns=cols)
    return engine.fetch_df(f"SELECT {', '.join(cols)} FROM appraisal_judgments "
                           f"WHERE appraisal_id IN ({_marks(len(ids))}) ORDER BY 1, 2, 3, 4", list(ids))


def write_judgments(engine: Engine, appraisal_id: str, expert_id: str,
                    rows: Sequence[tuple[str, str, float]]) -> None:
    """Replace one expert's judgments on one appraisal (one transaction)."""
    with engine.transaction():
        engine.execute("DELETE FROM appraisal_judgments WHERE appraisal_id = ? AND expert_id = ?",
                       [appraisal_id, expert_id])
        for a, b, v in rows:
            engine.execute("INSERT INTO appraisal_judgments VALUES (?, ?, ?, ?, ?, CAST(now() AS TIMESTAMP))",
                           [appraisal_id, expert_id, a, b, float(v)])


def trade_partners(engine: Engine, uscc: str) -> pd.DataFrame:
    """Enterprises that supplied to or bought from ``uscc`` in any year: (partner, relation)."""
    if not engine.table_exists("supply_links"):
        return pd.DataFrame(columns=["partner", "relation"])
    return engine.fetch_df(
        "SELECT DISTINCT supplier_id AS partner, 'supplier' AS relation FROM supply_links "
        "WHERE buyer_uscc = ? AND supplier_type = 'enterprise' "
        "UNION SELECT DISTINCT buyer_uscc AS partner, 'buyer' AS relation FROM supply_links "
        "WHERE supplier_id = ? AND supplier_type = 'enterprise' ORDER BY 1, 2", [uscc, uscc])

