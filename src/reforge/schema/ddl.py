"""Create and migrate the database schema (DuckDB)."""

from __future__ import annotations

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.schema.tables import TABLES, Column, Table

SCHEMA_VERSION = 1

# version -> statements that bring a database from version-1 to version.
# Version 1 is created from TABLES directly; later versions append here.
MIGRATIONS: dict[int, list[str]] = {}

# Idempotent statements run after additive column changes: they fill new columns of rows
# written by an older reforge (each touches only rows where the new column is still NULL).
BACKFILLS: list[str] = [
    "UPDATE users SET user_id = CAST(uuid() AS VARCHAR) WHERE user_id IS NULL",
    "UPDATE api_tokens SET user_id = (SELECT u.user_id FROM users u WHERE u.username = api_tokens.username) "
    "WHERE user_id IS NULL",
]


def create_table_sql(t: Table) -> str:
    """CREATE TABLE statement with NOT NULL and PRIMARY KEY."""
    cols = []
    for c in t.columns:
        cols.append(f"{c.name} {c.type}{' NOT NULL' if c.required or c.name in t.key else ''}")
    if t.enforce_key:
        cols.append(f"PRIMARY KEY ({', '.join(t.key)})")
    return f"CREATE TABLE IF NOT EXISTS {t.name} (\n  " + ",\n  ".join(cols) + "\n)"


def schema_version(engine: DuckDBEngine) -> int | None:
    """The stored schema version, or None for a database without the schema."""
    if not engine.table_exists("schema_meta"):
        return None
    v = engine.fetch_scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
    return int(v) if v is not None else None


def ensure_schema(engine: DuckDBEngine) -> int:
    """Create missing tables and apply pending migrations in one transaction; return the version."""
    current = schema_version(engine)
    if current is not None and current == SCHEMA_VERSION and not _missing(engine):
        return current
    if engine.read_only:
        from reforge.errors import ReforgeError
        raise ReforgeError(f"database {engine.path} has schema version {current}, this reforge needs "
                           f"{SCHEMA_VERSION}; open it once for writing (e.g. `reforge import`) to migrate")
    with engine.transaction():
        engine.execute("CREATE TABLE IF NOT EXISTS schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        if current is None:
            for t in TABLES:
                engine.execute(create_table_sql(t))
        else:
            for v in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS.get(v, []):
                    engine.execute(stmt)
            for t in TABLES:  # tables added without a migration statement
                engine.execute(create_table_sql(t))
        for table, col in _missing(engine):  # additive column changes migrate themselves
            if col is not None:
                engine.execute(f"ALTER TABLE {table} ADD COLUMN {col.name} {col.type}")
        for stmt in BACKFILLS:
            engine.execute(stmt)
        engine.execute("INSERT OR REPLACE INTO schema_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    return SCHEMA_VERSION


def _missing(engine: DuckDBEngine) -> list[tuple[str, Column | None]]:
    """(table, column) pairs defined in TABLES but absent from the database;
    (table, None) for a table that is missing altogether."""
    have: dict[str, set[str]] = {}
    for t, c in engine.fetch_rows(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"):
        have.setdefault(t, set()).add(c)
    out: list[tuple[str, Column | None]] = []
    for t in TABLES:
        if t.name not in have:
            out.append((t.name, None))
        else:
            out += [(t.name, c) for c in t.columns if c.name not in have[t.name]]
    return out
