"""Put a CSV or Parquet file on an engine as a queryable table (the I/O edge of ``policy did``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from reforge.engine import DuckDBEngine, Engine
from reforge.errors import ReforgeError


def register_file(engine: Engine, path: str | Path, name: str) -> None:
    """Register ``path`` (``.csv``/``.tsv``/``.parquet``/``.pq``) under ``name``.

    DuckDB reads the file lazily through a view; other engines get it through Arrow.
    """
    p = Path(path)
    if not p.exists():
        raise ReforgeError(f"file {p} does not exist")
    suf = p.suffix.lower()
    if suf not in (".csv", ".tsv", ".txt", ".parquet", ".pq"):
        raise ReforgeError(f"unsupported file type {suf!r}: use CSV or Parquet")
    lit = str(p.resolve()).replace("'", "''")
    if isinstance(engine, DuckDBEngine):
        reader = f"read_parquet('{lit}')" if suf in (".parquet", ".pq") else f"read_csv_auto('{lit}', header=true)"
        try:
            engine.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {reader}")
        except Exception as e:  # noqa: BLE001 - report a parse error as a user error
            raise ReforgeError(f"cannot read {p}: {str(e).splitlines()[0]}") from None
        engine._temps.add(name)
        return
    try:
        table = pq.read_table(p) if suf in (".parquet", ".pq") else pacsv.read_csv(
            p, parse_options=pacsv.ParseOptions(delimiter="\t" if suf == ".tsv" else ","))
    except Exception as e:  # noqa: BLE001
        raise ReforgeError(f"cannot read {p}: {str(e).splitlines()[0]}") from None
    engine.register(name, table)
