"""The matching columns of demands, offers and capabilities: old database files migrate
additively (rows kept, new columns NULL), and the importer checks the new value rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from reforge.engine import DuckDBEngine
from reforge.ingest import import_files
from reforge.schema import ensure_schema
from reforge.schema.ddl import create_table_sql
from reforge.schema.tables import TABLES, Table

ROOT = Path(__file__).resolve().parents[2]
NEW = {
    "demands": {"unit", "value", "required_level", "deadline", "region_code", "region_only"},
    "offers": {"capacity", "tech_level", "lead_time_days", "price_band"},
    "capabilities": {"spare_capacity", "lead_time_days", "price_band"},
}


def _old(t: Table) -> Table:
    """The table as a database written before the matching columns existed."""
    drop = NEW.get(t.name, set())
    return Table(t.name, tuple(c for c in t.columns if c.name not in drop), t.key, t.doc, t.references)


def test_old_database_gains_matching_columns_and_keeps_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '1')")
    for t in TABLES:
        con.execute(create_table_sql(_old(t)))
    con.execute("INSERT INTO demands (demand_id, uscc, kind, text, quantity) "
                "VALUES ('D1', '91110000000000000X', 'purchase', 'RV减速器', 10)")
    con.close()
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        for name, cols in NEW.items():
            assert cols <= set(e.columns(name)), name
        row = e.fetch_df("SELECT demand_id, text, quantity, value, required_level FROM demands").iloc[0]
        assert (row.demand_id, row.text, row.quantity) == ("D1", "RV减速器", 10)
        assert row.isna()[["value", "required_level"]].all()


def test_import_takes_the_new_columns_and_checks_their_rules(tmp_path):
    ex = ROOT / "examples"
    uscc = pd.read_csv(ex / "enterprises.csv", dtype=str)["uscc"].iloc[0]
    item = pd.read_csv(ex / "items.csv", dtype=str)["item_id"].iloc[0]
    with DuckDBEngine(tmp_path / "m.duckdb") as e:
        ensure_schema(e)
        for t in ("items", "enterprises"):
            assert import_files(e, t, [ex / f"{t}.csv"]).ok
        good = tmp_path / "demands.csv"
        good.write_text("demand_id,uscc,item_id,kind,text,quantity,unit,value,required_level,deadline,"
                        f"region_code,region_only\nD1,{uscc},{item},pre_research,新型减速器联合预研,100,set,"
                        "2000000,4,2027-06-30,320000,false\n", encoding="utf-8")
        res = import_files(e, "demands", [good])
        assert res.ok, res.errors
        row = e.fetch_df("SELECT kind, value, required_level, deadline, region_only FROM demands").iloc[0]
        assert row.kind == "pre_research" and row.value == 2_000_000 and row.required_level == 4
        assert str(row.deadline)[:10] == "2027-06-30" and not row.region_only
        bad = tmp_path / "demands_bad.csv"
        bad.write_text(f"demand_id,uscc,item_id,kind,text,required_level,value\nD2,{uscc},{item},wish,文本,7,-1\n",
                       encoding="utf-8")
        res = import_files(e, "demands", [bad])
        assert not res.ok
        cols = {p.get("column") for p in res.errors}
        assert {"kind", "required_level", "value"} <= cols
        assert e.count("demands") == 1  # nothing written from the bad file
        off = tmp_path / "offers.csv"
        off.write_text(f"offer_id,provider_id,provider_type,item_id,text,capacity,tech_level,lead_time_days,"
                       f"price_band\nO1,{uscc},enterprise,{item},RV减速机,5000000,4,30,cheap\n", encoding="utf-8")
        res = import_files(e, "offers", [off])
        assert not res.ok and e.count("offers") == 0
