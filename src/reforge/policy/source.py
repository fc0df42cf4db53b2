"""Put a CSV or Parquet file on an engine as a queryable table (the I/O edge of ``policy did``).

No pandas round trip: DuckDB reads the file itself; other engines get it through Arrow.
"""

from __future__ import annotations

from pathlib import Path

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError

_CSV = (".csv", ".tsv", ".txt")
_PARQUET = (".parquet", ".pq")


def register_file(engine: Engine, path: str | Path, name: str) -> None:
    """Register ``path`` (``.csv``/``.tsv``/``.txt``/``.parquet``/``.pq``) under ``name``.

    DuckDB: a CSV is parsed once into a temporary table (the estimator scans its input
    several times, and a view would re-parse the text each time), without keeping the file's
    row order (the DiD is order-free; the bootstrap sorts by unit); a Parquet file, which is
    cheap to rescan column by column, stays a view. Other engines get an Arrow table.
    ``name`` must be a plain identifier chosen by the caller.
    """
    p = Path(path)
    if not p.exists():
        raise ReforgeError(f"file {p} does not exist")
    suf = p.suffix.lower()
    if suf not in _CSV + _PARQUET:
        raise ReforgeError(f"unsupported file type {suf!r}: use CSV or Parquet")
    if not name.isidentifier():
        raise ReforgeError(f"invalid table name {name!r}")
    if engine.name == "duckdb":
        try:
            if suf in _PARQUET:  # views cannot take bound parameters: quote the path as a literal
                engine.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "
                               f"read_parquet({literal(str(p.resolve()))})")
            else:   # rows in any order (the estimator is order-free): DuckDB loads it in parallel
                engine.execute("SET preserve_insertion_order = false")
                try:
                    engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                                   "SELECT * FROM read_csv_auto(?, header = true)", [str(p.resolve())])
                finally:
                    engine.execute("RESET preserve_insertion_order")
        except Exception as e:  # noqa: BLE001 - report a parse error as a user error
            raise ReforgeError(f"cannot read {p}: {str(e).splitlines()[0]}") from None
        engine._temps.add(name)  # dropped with the engine's other intermediate tables
        return
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    try:
        table = pq.read_table(p) if suf in _PARQUET else pacsv.read_csv(
            p, parse_options=pacsv.ParseOptions(delimiter="\t" if suf == ".tsv" else ","))
    except Exception as e:  # noqa: BLE001
        raise ReforgeError(f"cannot read {p}: {str(e).splitlines()[0]}") from None
    engine.register(name, table)
