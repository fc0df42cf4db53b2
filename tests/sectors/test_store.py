"""Stored tables (io_tables/io_sectors), the item concordance and macro indicators, on both engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reforge.errors import ReforgeError
from reforge.sectors import (
    analyze_table,
    indicators,
    indicators_plot,
    key_sectors,
    list_tables,
    load_table,
    read_table,
    save_table,
    seed_national,
)
from reforge.sectors.concordance import item_linkages, read_concordance, save_concordance
from reforge.sectors.indicators import national_frame
from reforge.sectors.store import table_frames
from tests.conftest import FIXTURES, put_tables

CN20 = FIXTURES / "sectors" / "io_china" / "china2020_io42_noncompetitive.csv"
UK = FIXTURES / "sectors" / "io_uk2010" / "uk2010_iot_domestic_pxp.csv"


def _spark_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as str ('' for missing) so Spark can infer their type."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].fillna("").astype(str)
    return out


def test_save_load_roundtrip_duckdb(duck):
    t = read_table(UK, table_id="uk2010")
    info = save_table(duck, t)
    assert info == {"table_id": "uk2010", "sectors": 127, "cells": info["cells"]}
    back = load_table(duck, "uk2010")
    assert back.codes == t.codes and back.fd_codes == t.fd_codes
    for a, b in ((back.Z, t.Z), (back.Y, t.Y), (back.x, t.x), (back.Zm, t.Zm), (back.value_added, t.value_added),
                 (back.compensation, t.compensation)):
        np.testing.assert_array_equal(a, b)
    assert back.names == t.names
    a, b = analyze_table(back).frame, analyze_table(t).frame
    pd.testing.assert_frame_equal(a.drop(columns="name"), b.drop(columns="name"))
    # replacing keeps one copy
    save_table(duck, t)
    assert list_tables(duck) == [{"table_id": "uk2010", "sectors": 127, "cells": info["cells"]}]
    with pytest.raises(ReforgeError, match="already exists"):
        save_table(duck, t, replace=False)


def test_load_unknown_table(duck):
    with pytest.raises(ReforgeError, match=r"IO table 'nope' not found \(stored: none\)"):
        load_table(duck, "nope")


def test_key_sectors_and_items_on_both_engines(any_engine):
    t = read_table(CN20, table_id="cn2020nc")
    cells, labels = table_frames(t)
    conc = read_concordance()
    chain_items = pd.DataFrame({"chain_id": ["industrial_robot"] * 3, "item_id": ["rv_reducer", "servo_motor", "eda"]})
    put_tables(any_engine, {"io_tables": _spark_safe(cells), "io_sectors": _spark_safe(labels),
                            "item_sectors": conc, "chain_items": chain_items})
    assert list_tables(any_engine) == [{"table_id": "cn2020nc", "sectors": 42, "cells": len(cells)}]
    out = key_sectors(any_engine, "cn2020nc")
    assert out["n"] == 42 and [s["rank"] for s in out["sectors"]] == list(range(1, 43))
    ref = analyze_table(t).frame.set_index("code")
    top = out["sectors"][0]
    assert top["class"] == "key"
    assert top["backward_linkage"] == pytest.approx(ref.loc[top["code"], "backward_linkage"], abs=1e-9)
    # the ranking is key first, strongest first
    keys = [s for s in out["sectors"] if s["class"] == "key"]
    sums = [s["backward_linkage"] + s["forward_linkage"] for s in keys]
    assert sums == sorted(sums, reverse=True)
    items = item_linkages(any_engine, "cn2020nc", chain_id="industrial_robot")
    assert list(items["item_id"]) == ["eda", "rv_reducer", "servo_motor"]
    row = items.set_index("item_id").loc["servo_motor"]
    assert row["sector_code"] == "S19"
    assert row["backward_linkage"] == pytest.approx(ref.loc["S19", "backward_linkage"], abs=1e-9)
    assert row["import_dependence"] == pytest.approx(ref.loc["S19", "product_import_share"], abs=1e-9)
    assert len(item_linkages(any_engine, "cn2020nc")) == conc["item_id"].nunique()


def test_concordance_file_is_valid_and_complete():
    conc = read_concordance()
    atlas = (Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "CHAIN_ATLAS.md")
    if atlas.exists():
        import re
        ids = set(re.findall(r"^\| `([a-z0-9_]+)` \|", atlas.read_text(encoding="utf-8"), re.M))
        assert ids <= set(conc["item_id"])
    assert set(conc["sector_code"]) <= {f"S{k:02d}" for k in range(1, 43)}


@pytest.mark.parametrize("body, message", [
    ("item_id,table_id,sector_code\nx,t,S01\n", "missing column"),
    ("item_id,table_id,sector_code,weight\nx,t,S01,0.5\n", "weights of item x in table t sum to 0.5"),
    ("item_id,table_id,sector_code,weight\nx,t,S01,abc\n", "weight 'abc' is not a number"),
    ("item_id,table_id,sector_code,weight\nx,t,S01,0.5\nx,t,S01,0.5\n", "mapped to sector S01 of t twice"),
    ("item_id,table_id,sector_code,weight\n,t,S01,1\n", "empty item_id"),
])
def test_concordance_errors(tmp_path, body, message):
    p = tmp_path / "c.csv"
    p.write_text(body)
    with pytest.raises(ReforgeError, match=message):
        read_concordance(p)


def test_save_concordance(duck):
    n = save_concordance(duck, read_concordance())
    assert duck.fetch_scalar("SELECT COUNT(*) FROM item_sectors") == n


def test_indicators_yoy_on_both_engines(any_engine, tmp_path):
    df = pd.concat([national_frame(), pd.DataFrame([
        {"region_code": "320000", "indicator": "manufacturing_va_share_gdp", "year": y, "value": v,
         "unit": "fraction", "source": "synthetic", "confidence": "C"}
        for y, v in ((2019, 0.35), (2020, 0.34), (2022, 0.36))])], ignore_index=True)
    put_tables(any_engine, {"indicators": df})
    recs = indicators(any_engine, region="CN", indicator="manufacturing_va_share_gdp")
    assert [r["year"] for r in recs] == [2020, 2021, 2022, 2023, 2024]
    ch = {r["year"]: r["change"] for r in recs}
    # 27.4% in 2021 is +1.1 points on 2020 (the policy text's figure)
    assert ch[2020] is None and ch[2021] == pytest.approx(0.011, abs=1e-12)
    assert ch[2023] == pytest.approx(-0.015, abs=1e-12)
    assert recs[1]["pct_change"] == pytest.approx(0.011 / 0.263, rel=1e-12)
    fai = indicators(any_engine, region="CN", indicator="manufacturing_fai_growth")
    assert [(r["year"], r["change"]) for r in fai][:2] == [(2021, None), (2023, None)]  # 2022 missing
    js = indicators(any_engine, region="320000")
    assert [r["change"] for r in js][1] == pytest.approx(-0.01) and js[2]["change"] is None
    out = tmp_path / "ind.png"
    indicators_plot(indicators(any_engine), out)
    assert out.stat().st_size > 5000 and out.read_bytes()[:4] == b"\x89PNG"


def test_seed_national_is_idempotent(duck):
    assert seed_national(duck) == 8
    assert seed_national(duck) == 0
    v = duck.fetch_scalar("SELECT value FROM indicators WHERE region_code = 'CN' AND year = 2021 "
                          "AND indicator = 'manufacturing_va_share_gdp'")
    assert v == pytest.approx(0.274)


def test_plot_rejects_empty():
    with pytest.raises(ValueError, match="no indicator values"):
        indicators_plot([])


def test_load_table_written_by_others(duck):
    """Another writer's convention: column/row ``TOTAL`` of kind 'total', row ``VA``, no ``total_output``."""
    cells = pd.DataFrame([("t", r, c, v) for r, c, v in (
        ("a", "a", 10.0), ("a", "b", 20.0), ("a", "F", 70.0), ("a", "TOTAL", 100.0),
        ("b", "a", 30.0), ("b", "b", 0.0), ("b", "F", 170.0), ("b", "TOTAL", 200.0),
        ("VA", "a", 60.0), ("VA", "b", 180.0), ("TOTAL", "a", 100.0), ("TOTAL", "b", 200.0))],
        columns=["table_id", "row_code", "col_code", "value"])
    labels = pd.DataFrame([("t", c, k, None, None, kind) for k, (c, kind) in enumerate(
        (("a", "sector"), ("b", "sector"), ("F", "final_demand"), ("VA", "value_added"), ("TOTAL", "total")))],
        columns=["table_id", "code", "position", "name", "name_zh", "kind"])
    put_tables(duck, {"c": cells, "l": labels})
    duck.execute("INSERT INTO io_tables SELECT * FROM c")
    duck.execute("INSERT INTO io_sectors SELECT * FROM l")
    t = load_table(duck, "t")
    assert t.fd_codes == ["F"] and t.x.tolist() == [100.0, 200.0] and t.value_added.tolist() == [60.0, 180.0]
    out = key_sectors(duck, "t")
    # by hand: A = [[0.1, 0.1], [0.3, 0]]; column sums of L = (I − A)^-1
    L = np.linalg.inv(np.eye(2) - np.array([[0.1, 0.1], [0.3, 0.0]]))
    got = {s["code"]: s["output_multiplier"] for s in out["sectors"]}
    assert got["a"] == pytest.approx(L[:, 0].sum()) and got["b"] == pytest.approx(L[:, 1].sum())
