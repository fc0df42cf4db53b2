"""Create, verify and restore a backup folder.

A backup is DuckDB's ``EXPORT DATABASE`` (``schema.sql``, ``load.sql`` and one
Parquet file per table) plus ``manifest.json``: per table its row count and an
order-independent checksum (the sum of DuckDB's 64-bit ``hash`` of each row,
as a HUGEINT, so duplicate rows count), and the SHA-256 of every file.

The export reads the file read-only inside one transaction, so it sees one
consistent snapshot and can run while ``reforge serve`` holds the file
(when the server is not in the middle of a write). A restore builds the new
database under a temporary name, recomputes every table's count and checksum,
and moves the file into place only when all of them match: a failed restore
leaves the target untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError

MANIFEST = "manifest.json"
FORMAT = 1
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class TableCheck:
    """Row count and checksum of one table."""

    rows: int
    checksum: str


@dataclass
class BackupManifest:
    """What a backup holds and how to check it."""

    format: int
    created_at: str  # ISO 8601, UTC
    source: str
    duckdb_version: str
    schema_version: int | None
    tables: dict[str, TableCheck] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 hex

    def to_dict(self) -> dict:
        """JSON-safe form (the ``manifest.json`` content)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> BackupManifest:
        """Parse ``manifest.json`` content."""
        tables = {k: TableCheck(**v) for k, v in d.get("tables", {}).items()}
        return cls(format=d["format"], created_at=d["created_at"], source=d["source"],
                   duckdb_version=d["duckdb_version"], schema_version=d.get("schema_version"),
                   tables=tables, files=dict(d.get("files", {})))


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ReforgeError(f"unexpected table name {name!r} in the database")
    return f'"{name}"'


def _sql_path(p: Path) -> str:
    """A path as a SQL constant (EXPORT / IMPORT DATABASE take no bound parameters)."""
    return literal(str(p))


def table_checks(e: DuckDBEngine) -> dict[str, TableCheck]:
    """Row count and checksum of every stored table of ``e``."""
    out: dict[str, TableCheck] = {}
    for name in e.tables():
        q = _ident(name)
        t = e.fetch_arrow(f"SELECT COUNT(*) AS n, COALESCE(SUM(hash(t)::HUGEINT), 0)::VARCHAR AS c "
                          f"FROM {q} AS t")
        out[name] = TableCheck(rows=int(t.column(0)[0].as_py()), checksum=str(t.column(1)[0].as_py()))
    return out


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def create_backup(db: str | Path, out_dir: str | Path) -> BackupManifest:
    """Write a backup of database file ``db`` into the new folder ``out_dir``."""
    import duckdb

    from reforge.schema import schema_version

    db, out = Path(db), Path(out_dir)
    if not db.exists():
        raise ReforgeError(f"database {db} does not exist")
    if out.exists() and any(out.iterdir()):
        raise ReforgeError(f"backup folder {out} exists and is not empty; choose a new folder")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        with DuckDBEngine(db, read_only=True) as e:
            with e.transaction():  # one snapshot for the checks and the export
                checks = table_checks(e)
                e.execute(f"EXPORT DATABASE {_sql_path(tmp)} (FORMAT parquet)")
                version = schema_version(e)
        files = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        man = BackupManifest(format=FORMAT, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                             source=str(db.resolve()), duckdb_version=duckdb.__version__,
                             schema_version=version, tables=checks, files=files)
        (tmp / MANIFEST).write_text(json.dumps(man.to_dict(), indent=1, ensure_ascii=False),
                                    encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return man


def verify_backup(backup_dir: str | Path) -> BackupManifest:
    """Check that every file of the backup is present and unchanged (SHA-256)."""
    b = Path(backup_dir)
    mf = b / MANIFEST
    if not mf.exists():
        raise ReforgeError(f"{b} is not a Reforge backup (no {MANIFEST})")
    try:
        man = BackupManifest.from_dict(json.loads(mf.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as ex:
        raise ReforgeError(f"{mf} is damaged: {ex}") from None
    if man.format != FORMAT:
        raise ReforgeError(f"{b}: backup format {man.format} is not supported (expected {FORMAT})")
    for rel, digest in man.files.items():
        p = b / rel
        if not p.is_file():
            raise ReforgeError(f"backup {b} is incomplete: {rel} is missing")
        if _sha256(p) != digest:
            raise ReforgeError(f"backup {b} is damaged: {rel} does not match its checksum")
    return man


def restore_backup(backup_dir: str | Path, db: str | Path, force: bool = False) -> BackupManifest:
    """Restore ``backup_dir`` into database file ``db``.

    The file is built beside ``db`` under a temporary name; every table's row
    count and checksum must equal the manifest's before it replaces ``db``.
    An existing ``db`` is replaced only with ``force`` (and never while another
    process holds it open).
    """
    import duckdb

    man = verify_backup(backup_dir)
    target = Path(db)
    if target.exists() and not force:
        raise ReforgeError(f"database {target} exists; restore into a new file or pass force")
    if target.exists():  # refuse while a server or another process holds it
        try:
            duckdb.connect(str(target)).close()
        except duckdb.IOException:
            raise ReforgeError(f"database {target} is in use by another process; stop it first") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".restoring")
    for p in (building, Path(str(building) + ".wal")):
        p.unlink(missing_ok=True)
    try:
        with DuckDBEngine(building) as e:
            e.execute(f"IMPORT DATABASE {_sql_path(Path(backup_dir))}")
            got = table_checks(e)
        bad = [t for t, c in man.tables.items() if got.get(t) != c]
        extra = sorted(set(got) - set(man.tables))
        if bad or extra:
            detail = ", ".join(
                f"{t} (rows {man.tables[t].rows} -> {got[t].rows if t in got else 'missing'})" for t in bad)
            raise ReforgeError(f"restore check failed; {target} left unchanged: "
                               f"{detail or 'unexpected tables ' + ', '.join(extra)}")
        Path(str(target) + ".wal").unlink(missing_ok=True)  # a stale log must not replay onto the new file
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
    return man
