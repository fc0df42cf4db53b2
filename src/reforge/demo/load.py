"""Build the demo province: generate tables, write them as Parquet files, and load
those files through the ordinary all-or-nothing importer."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.ingest import import_tables
from reforge.ingest.problems import ImportResult

Progress = Callable[[str, float], None]


def write_demo_files(n_firms: int, seed: int, out_dir: Path, progress: Progress | None = None,
                     realism: bool = False) -> dict[str, Path]:
    """Generate the demo tables (``realism``: see ``reforge.demo.realism``) and write one Parquet
    file per table into ``out_dir``."""
    from reforge.demo.generate import build_tables
    tick = progress or (lambda _m, _f: None)
    tables = build_tables(n_firms=n_firms, seed=seed,
                          progress=(lambda m, f: tick(f"generating: {m}", 0.5 * f)), realism=realism)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        p = out_dir / f"{name}.parquet"
        df.to_parquet(p, index=False)
        paths[name] = p
    return paths


DEMO_MARKER = "demo"
"""``schema_meta`` key written by ``build_demo``: the database holds the generated demo province."""


def mark_demo(engine: DuckDBEngine, n_firms: int, seed: int) -> None:
    """Record in ``schema_meta`` that ``engine``'s database is a generated demo database."""
    engine.execute("INSERT OR REPLACE INTO schema_meta VALUES (?, ?)",
                   [DEMO_MARKER, f"firms={int(n_firms)} seed={int(seed)}"])


def is_demo_database(engine: DuckDBEngine) -> bool:
    """Whether ``build_demo`` made this database (its ``schema_meta`` marker is present)."""
    if not engine.table_exists("schema_meta"):
        return False
    return bool(engine.fetch_scalar("SELECT COUNT(*) FROM schema_meta WHERE key = ?", [DEMO_MARKER]))


def build_demo(db: str | Path, n_firms: int = 20000, seed: int = 7, files_dir: str | Path | None = None,
               progress: Progress | None = None, realism: bool = False) -> tuple[ImportResult, float]:
    """Generate the demo province and import it into ``db`` (which must hold no data yet).

    Files go to ``files_dir`` (kept) or a temporary folder (removed). Returns the
    import result and the seconds taken. Above ``national.SHARD_FIRMS`` firms the province is
    generated shard by shard into a Parquet warehouse and bulk-loaded (``_build_national``), so
    memory does not grow with the number of firms.
    """
    t0 = time.perf_counter()
    tick = progress or (lambda _m, _f: None)
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    from reforge.demo import national
    if n_firms > national.SHARD_FIRMS:
        return _build_national(db, n_firms, seed, files_dir, tick, realism), time.perf_counter() - t0
    with _work_dir(files_dir) as out:
        paths = write_demo_files(n_firms, seed, out, progress, realism=realism)
        eng = DuckDBEngine(db)
        try:
            _empty_data_tables(eng, db)
            batch = {name: [(str(p), p)] for name, p in paths.items()}
            res = import_tables(eng, batch, mode="append", actor="demo",
                                progress=(lambda m, f: tick(f"importing: {m}", 0.5 + 0.5 * f)))
            if res.ok:
                mark_demo(eng, n_firms, seed)
                eng.execute("CHECKPOINT")
        finally:
            eng.close()
    return res, time.perf_counter() - t0


@contextmanager
def _work_dir(files_dir: str | Path | None) -> Iterator[Path]:
    """``files_dir`` (kept), or a temporary folder removed at the end."""
    if files_dir:
        yield Path(files_dir)
        return
    tmp = tempfile.mkdtemp(prefix="reforge-demo-")
    try:
        yield Path(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _empty_data_tables(eng: DuckDBEngine, db: Path) -> None:
    existing = [t for t in eng.tables() if t not in ("schema_meta", "audit_log") and eng.count(t) > 0]
    if existing:
        raise ReforgeError(f"{db} already holds data ({', '.join(existing[:5])}…); "
                           "use a new --db path or delete the file")


def _build_national(db: Path, n_firms: int, seed: int, files_dir: str | Path | None, tick: Progress,
                    realism: bool) -> ImportResult:
    """A demo of more than ``SHARD_FIRMS`` firms: ``national.write_warehouse`` (kept in ``files_dir``
    or a temporary folder), then ``national.load_warehouse`` in one transaction with an audit row.

    The generated files skip the row-by-row importer (whose checks read a whole file into memory);
    the bulk load keeps its guarantees: all or nothing, keys unique (primary keys) and every
    reference of the schema checked before the commit."""
    from reforge.demo import national
    from reforge.schema import ensure_schema
    from reforge.schema.audit import record
    with DuckDBEngine(db) as eng:   # refused before the long generation, not after
        ensure_schema(eng)
        _empty_data_tables(eng, db)
    with _work_dir(files_dir) as base:
        wh = base if files_dir else base / "warehouse"
        national.write_warehouse(n_firms, seed, wh, realism=realism, shard_firms=national.SHARD_FIRMS,
                                 progress=lambda m, f: tick(f"generating: {m}", 0.8 * f))
        tick("loading", 0.8)
        with DuckDBEngine(db) as eng:
            _empty_data_tables(eng, db)
            with eng.transaction():   # the rows, their audit row and the demo marker: all or nothing
                counts = national.load_warehouse(eng, wh)
                record(eng, "demo", "import:append", ",".join(counts), sum(counts.values()),
                       {"national": True, "firms": n_firms, "seed": seed})
                mark_demo(eng, n_firms, seed)
            eng.execute("CHECKPOINT")
    tick("done", 1.0)
    return ImportResult(tables=list(counts), mode="append", rows_read=dict(counts), rows_written=dict(counts))
