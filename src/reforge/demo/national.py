"""The national demo: millions of firms written straight to a Parquet warehouse, shard by shard,
in bounded memory (``reforge demo --firms N --to-parquet DIR``; issue 20).

The firms are generated in shards of at most ``SHARD_FIRMS``: shard ``k`` is a demo province of
its size (``generate.build_tables`` with the shard's own seed) whose firms continue the USCC
sequence of the shards before it, so codes stay distinct over the whole country. Of every shard
the firm tables (``FIRM_TABLES``) are kept (of capabilities, its firms' rows); support-event and
credit-record ids get the shard's number. The template (chains, items, foreign suppliers) and the community tables (institutions,
demands and offers, experts and appraisals, projects, indicators, IO tables, …) come from the
first shard and concern its firms. Supply links stay inside a shard (each shard is a closed
regional economy; the labels planted by the atlas hold in every shard, so they hold in the union).

Memory is one shard's tables at a time plus the Parquet writers' buffers: the peak does not
grow with N. Each table is one Parquet file (one row group per shard), typed from the schema,
in the layout of ``reforge export --to parquet``; a Spark engine reads it as its warehouse and
``load_warehouse`` loads it into DuckDB in one transaction. With N <= ``SHARD_FIRMS`` there is
one shard and the tables equal ``build_tables(N, seed)``.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reforge.engine.base import Engine
from reforge.engine.sqlbuild import ident, literal
from reforge.errors import ReforgeError
from reforge.schema.tables import DATA_TABLES, get_table

SHARD_FIRMS = 200_000
"""Firms per shard (about 1.5 GB of tables in memory at this size)."""
MAX_FIRMS = 50_000_000
FIRM_TABLES = ("enterprises", "enterprise_years", "designations", "support_events", "credit_records",
               "defaults", "capabilities", "supply_links")
"""Tables written from every shard; every other table comes from the first shard."""
LATER_SHARDS_ONLY = {"capabilities": ("producer_type", "enterprise")}
"""Rows a later shard contributes: its firms' capabilities (the foreign suppliers' are the first shard's)."""
SHARD_IDS = {"support_events": "event_id", "credit_records": "record_id"}
"""Id columns numbered per shard: ``<id>-<shard>`` from the second shard on."""
ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "DOUBLE": pa.float64(),
               "BOOLEAN": pa.bool_(), "DATE": pa.date32()}

Progress = Callable[[str, float], None]


def shard_sizes(n_firms: int, shard_firms: int = SHARD_FIRMS) -> list[int]:
    """``n_firms`` split into the fewest shards of at most ``shard_firms``, sizes differing by one;
    fewer (and larger) shards when that would leave one under the generator's 500 firms."""
    from reforge.demo.generate import MIN_FIRMS
    k = max(1, min(math.ceil(n_firms / shard_firms), n_firms // MIN_FIRMS))
    base, extra = divmod(n_firms, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def shard_seed(seed: int, k: int) -> int:
    """The seed of shard ``k`` (``seed`` itself for the first)."""
    return int(seed) if k == 0 else int(np.random.SeedSequence([int(seed), k, 20]).generate_state(1)[0])


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a data table, from its schema column types."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in get_table(table).columns])


def to_arrow(table: str, df: pd.DataFrame) -> pa.Table:
    """``df`` as an Arrow table of ``arrow_schema(table)`` (missing columns are NULL; NaN is NULL)."""
    schema = arrow_schema(table)
    cols = []
    for f in schema:
        if f.name in df.columns:
            cols.append(pa.array(df[f.name], from_pandas=True).cast(f.type))
        else:
            cols.append(pa.nulls(len(df), f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def write_warehouse(n_firms: int, seed: int, out_dir: str | Path, *, shard_firms: int = SHARD_FIRMS,
                    realism: bool = False, progress: Progress | None = None) -> dict[str, int]:
    """Generate ``n_firms`` firms and write every data table to ``out_dir/<table>.parquet``.

    Written into a sibling ``.tmp`` folder and renamed at the end, so a reader never sees half a
    warehouse. Returns the rows written per table. Raises ``ReforgeError`` when ``out_dir`` exists
    and is not empty, or ``n_firms`` is out of range (500 to 50,000,000; each shard needs 500).
    """
    from reforge.demo.generate import MIN_FIRMS, build_tables
    if isinstance(n_firms, bool) or not isinstance(n_firms, int | np.integer) \
            or not MIN_FIRMS <= n_firms <= MAX_FIRMS:
        raise ReforgeError(f"firms must be between {MIN_FIRMS} and {MAX_FIRMS:,}, got {n_firms!r}",
                           code="demo.national.firms", params={"min": MIN_FIRMS, "max": MAX_FIRMS,
                                                               "value": str(n_firms)})
    if shard_firms < MIN_FIRMS:
        raise ValueError(f"shard_firms must be at least {MIN_FIRMS}")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReforgeError(f"{out} already exists and is not an empty folder; give a new --to-parquet folder",
                           code="demo.national.exists", params={"path": str(out)})
    tick = progress or (lambda _m, _f: None)
    sizes = shard_sizes(int(n_firms), shard_firms)
    serial_base = None if len(sizes) == 1 else int(np.random.SeedSequence([int(seed), 2260]).generate_state(1)[0]) % 10**8
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    try:
        offset = 0
        for k, size in enumerate(sizes):
            tick(f"shard {k + 1} of {len(sizes)}", k / len(sizes))
            tables = build_tables(size, shard_seed(seed, k), realism=realism, firm_offset=offset,
                                  serial_base=serial_base)
            offset += size
            for name in DATA_TABLES:
                if name not in tables or (k and name not in FIRM_TABLES):
                    continue
                df = tables.pop(name)
                if k and name in LATER_SHARDS_ONLY:
                    col, keep = LATER_SHARDS_ONLY[name]
                    df = df[df[col] == keep]
                if k and name in SHARD_IDS:
                    col = SHARD_IDS[name]
                    df = df.assign(**{col: df[col].astype(str) + f"-{k}"})
                t = to_arrow(name, df)
                del df
                if name not in writers:
                    writers[name] = pq.ParquetWriter(tmp / f"{name}.parquet", t.schema)
                writers[name].write_table(t, row_group_size=max(1, t.num_rows))   # a row group per shard
                rows[name] = rows.get(name, 0) + t.num_rows
            del tables
        for w in writers.values():
            w.close()
        writers.clear()
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        for w in writers.values():
            w.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    tick("done", 1.0)
    return rows


def load_warehouse(engine: Engine, warehouse: str | Path) -> dict[str, int]:
    """Append every ``<table>.parquet`` of ``warehouse`` to the database's (empty) data tables in one
    transaction, DuckDB streaming the files; then check every reference of the schema. Returns rows
    per table. Raises ``ReforgeError`` (nothing written) when a key repeats or a reference dangles."""
    from reforge.ingest.orphans import dangling_references
    wh = Path(warehouse)
    names = [n for n in DATA_TABLES if (wh / f"{n}.parquet").exists()]
    counts: dict[str, int] = {}
    with engine.transaction():
        for n in names:
            cols = ", ".join(ident(c.name, "column") for c in get_table(n).columns)
            engine.execute(f"INSERT INTO {ident(n, 'table')} ({cols}) SELECT {cols} FROM "
                           f"read_parquet({literal(str((wh / f'{n}.parquet').resolve()))})")
            counts[n] = engine.count(n)
        bad = dangling_references(engine, names)
        if bad:
            t, col, target, k = bad[0]
            raise ReforgeError(f"{k} rows of {t}.{col} point at no {target}",
                               code="demo.national.dangling", params={"table": t, "column": col,
                                                                      "target": target, "rows": k})
    return counts
