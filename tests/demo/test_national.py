"""The national demo (issue 20, point 3): shards written straight to a Parquet warehouse, and the
large DuckDB demo built from it by a bulk load. Sizes are scaled down through ``shard_firms``."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from reforge.demo import national
from reforge.demo.generate import build_tables
from reforge.demo.load import build_demo, is_demo_database
from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.schema import ensure_schema
from reforge.schema.tables import DATA_TABLES, get_table


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """1,500 firms in three shards of 500."""
    out = tmp_path_factory.mktemp("national") / "wh"
    rows = national.write_warehouse(1500, 7, out, shard_firms=500)
    return out, rows


def read(path, table: str) -> pd.DataFrame:
    return pq.read_table(path / f"{table}.parquet").to_pandas()


def test_shard_sizes():
    assert national.shard_sizes(1500, 500) == [500, 500, 500]
    assert national.shard_sizes(1_000_001) == [166_667] * 5 + [166_666]   # at most 200,000 each
    assert national.shard_sizes(2_000_000) == [200_000] * 10
    assert national.shard_sizes(700, 500) == [700]   # never a shard under the generator's 500 firms
    assert national.shard_sizes(1200, 500) == [600, 600]
    assert sum(national.shard_sizes(12_345_678)) == 12_345_678


def test_codes_and_ids_are_distinct_across_shards(wh):
    out, rows = wh
    ent = read(out, "enterprises")
    assert len(ent) == rows["enterprises"] == 1500 and ent.uscc.is_unique
    for table in DATA_TABLES:
        if (out / f"{table}.parquet").exists():
            df = read(out, table)
            key = list(get_table(table).key)
            assert not df.duplicated(key).any(), table
            assert len(df) == rows[table]
    # every shard contributes firms, support events and credit records
    assert read(out, "support_events").event_id.str.endswith(("-1", "-2")).any()
    assert read(out, "credit_records").record_id.str.endswith("-2").any()


def test_types_follow_the_schema(wh):
    out, _ = wh
    for table in ("enterprises", "enterprise_years", "supply_links", "credit_records", "demands"):
        schema = pq.read_schema(out / f"{table}.parquet")
        assert schema == national.arrow_schema(table), table


def test_firm_tables_come_from_every_shard_and_the_rest_from_the_first(wh, tmp_path):
    out, rows = wh
    first = build_tables(500, 7, firm_offset=0, serial_base=_serial_base(7))
    # the first shard's community tables, unchanged
    for table in ("institutions", "demands", "projects", "chains", "items"):
        assert rows[table] == len(first[table]), table
    # the firm tables hold three provinces' worth of rows
    assert rows["enterprise_years"] > 2.5 * len(first["enterprise_years"])
    ent = read(out, "enterprises")
    assert set(first["enterprises"].uscc) < set(ent.uscc)


def _serial_base(seed: int) -> int:
    import numpy as np
    return int(np.random.SeedSequence([seed, 2260]).generate_state(1)[0]) % 10**8


def test_one_shard_equals_the_province_generator(tmp_path):
    national.write_warehouse(600, 7, tmp_path / "one")
    want = build_tables(600, 7)
    for table in ("enterprises", "enterprise_years", "supply_links", "credit_records", "designations"):
        got = read(tmp_path / "one", table)
        exp = national.to_arrow(table, want[table]).to_pandas()
        pd.testing.assert_frame_equal(got, exp, check_dtype=False, obj=table)


def test_loaded_into_duckdb_every_reference_holds(wh, tmp_path):
    out, rows = wh
    with DuckDBEngine(tmp_path / "n.duckdb") as e:
        ensure_schema(e)
        counts = national.load_warehouse(e, out)
        assert counts == rows
        # the bulk load's own check agrees with a hand join
        n = e.fetch_scalar("SELECT COUNT(*) FROM supply_links s LEFT JOIN enterprises b ON b.uscc = s.buyer_uscc "
                           "WHERE b.uscc IS NULL")
        assert n == 0


def test_a_dangling_reference_is_refused_and_nothing_is_written(wh, tmp_path):
    out, _ = wh
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in out.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    ent = pq.read_table(out / "enterprises.parquet")
    pq.write_table(ent.slice(1), bad / "enterprises.parquet")   # the first firm is gone
    with DuckDBEngine(tmp_path / "b.duckdb") as e:
        ensure_schema(e)
        with pytest.raises(ReforgeError) as ei:
            national.load_warehouse(e, bad)
        assert ei.value.code == "demo.national.dangling"
        assert e.count("enterprise_years") == 0 and e.count("enterprises") == 0


def test_refuses_a_folder_that_holds_files_and_bad_sizes(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("keep me")
    with pytest.raises(ReforgeError) as ei:
        national.write_warehouse(600, 7, tmp_path / "full")
    assert ei.value.code == "demo.national.exists"
    assert (tmp_path / "full" / "x.txt").read_text() == "keep me"
    for n in (499, 50_000_001, True, 1.5):
        with pytest.raises(ReforgeError):
            national.write_warehouse(n, 7, tmp_path / f"n{n}")


def test_large_demo_database_is_built_from_shards(tmp_path, monkeypatch):
    """``build_demo`` above the shard size: sharded, bulk-loaded, audited and marked as a demo."""
    monkeypatch.setattr(national, "SHARD_FIRMS", 500)
    db = tmp_path / "big.duckdb"
    res, _ = build_demo(db, n_firms=1200, seed=7)
    assert res.ok and res.rows_written["enterprises"] == 1200
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT COUNT(DISTINCT uscc) FROM enterprises").fetchone()[0] == 1200
        audit = con.execute("SELECT username, action, rows FROM audit_log").fetchall()
        assert audit == [("demo", "import:append", sum(res.rows_written.values()))]
    finally:
        con.close()
    with DuckDBEngine(db, read_only=True) as e:
        assert is_demo_database(e)


def test_cli_writes_a_warehouse_and_refuses_to_overwrite(tmp_path):
    import json
    import subprocess
    import sys
    out = tmp_path / "wh"
    cmd = [sys.executable, "-m", "reforge.cli.main", "demo", "--firms", "600", "--to-parquet", str(out),
           "--format", "json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads(r.stdout)
    assert d["warehouse"] == str(out) and d["tables"]["enterprises"] == 600
    assert pq.read_metadata(out / "enterprises.parquet").num_rows == 600
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
