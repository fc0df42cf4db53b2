"""Schema creation, keys, versions and additive migrations."""

import duckdb
import pytest

from reforge.engine import DuckDBEngine
from reforge.schema import SCHEMA_VERSION, TABLES, ensure_schema, schema_version


def test_fresh_database_gets_every_table_with_keys(tmp_path):
    with DuckDBEngine(tmp_path / "s.duckdb") as e:
        assert schema_version(e) is None
        assert ensure_schema(e) == SCHEMA_VERSION
        assert set(t.name for t in TABLES) <= set(e.tables())
        e.execute("INSERT INTO chains VALUES ('c', 'C', '链', NULL)")
        with pytest.raises(duckdb.ConstraintException):
            e.execute("INSERT INTO chains VALUES ('c', 'C2', '链2', NULL)")
        with pytest.raises(duckdb.ConstraintException):
            e.execute("INSERT INTO chains VALUES (NULL, 'C3', '链3', NULL)")


def test_old_database_is_migrated_additively(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE chains (chain_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL)")
    con.execute("INSERT INTO chains VALUES ('robot', 'Robots')")
    con.close()
    with DuckDBEngine(path, read_only=True) as e:
        from reforge.errors import ReforgeError
        with pytest.raises(ReforgeError, match="open it once for writing"):
            ensure_schema(e)
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        assert e.columns("chains") == ["chain_id", "name", "name_zh", "description"]
        assert e.fetch_scalar("SELECT name FROM chains") == "Robots"  # data kept
        assert e.table_exists("enterprise_years")
