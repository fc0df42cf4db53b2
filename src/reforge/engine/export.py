"""Write every stored table of a DuckDB database as a Parquet warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.engine.sqlbuild import ident, literal


def export_parquet(engine: DuckDBEngine, out_dir: str | Path) -> dict[str, int]:
    """Export each table to ``out_dir/<table>.parquet``; return rows per table.

    Written to a temporary sibling directory, then swapped in, so a reader
    never sees a half-written warehouse.
    """
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    counts: dict[str, int] = {}
    for t in engine.tables():
        path = tmp / f"{t}.parquet"
        engine.execute(f"COPY (SELECT * FROM {ident(t, 'table')}) TO {literal(str(path))} (FORMAT PARQUET)")
        counts[t] = engine.count(t)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return counts
