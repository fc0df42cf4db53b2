"""Leaders and ecosystems on the hand-made database equal the pandas reference (DuckDB), and Spark
gives the same result (one parity test: Spark's local start dominates the time)."""

from __future__ import annotations

import pytest

from reforge.errors import InvalidInput, NotFound
from reforge.loop import chain_leaders
from tests.conftest import put_tables
from tests.loop.data import U, reference_ecosystem, reference_leaders, tables


@pytest.fixture(scope="module")
def mem():
    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    put_tables(e, tables())
    yield e
    e.close()


@pytest.mark.parametrize("year", [2023, 2024])
def test_leaders_and_ecosystem_equal_reference(mem, year):
    t = tables()
    res = chain_leaders(mem, "c1", year)
    ref = reference_leaders(t, "c1", year)
    got = res.to_frame()
    assert list(got.uscc) == list(ref.uscc)
    for c in ("score", "output_share", "purchase_share", "domestic_suppliers", "tree_depth", "tree_size",
              "part_output_share", "part_tree_size"):
        assert got[c].astype(float).tolist() == pytest.approx(ref[c].astype(float).tolist()), c
    years = [y for y in (2022, 2023, 2024) if y <= year]
    for r in res.leaders:
        eco = {e["year"]: e for e in res.ecosystem_of(r["uscc"])}
        for y in years:
            exp = reference_ecosystem(t, "c1", r["uscc"], y)
            if exp["localisation"] is None:
                assert y not in eco
                continue
            e = eco[y]
            assert e["localisation"] == pytest.approx(exp["localisation"])
            assert e["designated"] == exp["designated"]
            assert e["single_source"] == exp["single_source"]
            assert e["single_source_foreign"] == exp["single_source_foreign"]
            assert set(e["by_foundation"]) == set(exp["by_foundation"])
            for f, v in exp["by_foundation"].items():
                assert e["by_foundation"][f] == pytest.approx(v)


def test_hand_figures(mem):
    """The leader of c1 in 2024 by hand: L1 makes 600 of 900 of the end product, buys 146 of 266
    (X 140, Y 100, Z 6, S 20)."""
    res = chain_leaders(mem, "c1", 2024)
    top = res.leaders[0]
    assert top["uscc"] == U["L1"] and top["rank"] == 1
    assert top["output_share"] == pytest.approx(600 / 900) and top["purchase_share"] == pytest.approx(146 / 266)
    assert (top["domestic_suppliers"], top["tree_depth"], top["tree_size"]) == (3, 2, 4)  # PX1, PX2, PY; then PS
    eco = {e["year"]: e for e in res.ecosystem_of(U["L1"])}
    assert eco[2024]["localisation"] == pytest.approx(100 / 146)
    assert eco[2024]["localisation_change"] == pytest.approx(100 / 146 - 100 / 150)
    # PX1 (SRDI, no expiry: 3 years from 2022-06-01) and PX2 (Little Giant from 2023-07-01); PY's expired
    assert eco[2024]["designated"] == {"srdi_sme": 1, "little_giant": 1}
    assert eco[2023]["designated"] == {"srdi_sme": 1, "little_giant": 0}
    assert eco[2024]["designated_change"] == {"srdi_sme": 0, "little_giant": 1}
    assert eco[2024]["single_source_foreign"] == ["Z"] and eco[2024]["single_source"] == ["Z"]
    codes = [m.code for m in top["reasons"]]
    assert codes == ["loop.leader.output_share", "loop.leader.purchase_share", "loop.leader.domestic_suppliers",
                     "loop.leader.tree"]
    assert res.leaders[0]["reasons"][0].render("zh").startswith("占本链终端产品产出的")


def test_bad_input_is_coded(duck):
    put = tables()
    for name, df in put.items():
        duck.execute(f"DELETE FROM {name}")
        duck.register(f"__t_{name}", df)
        duck.execute(f"INSERT INTO {name} ({', '.join(df.columns)}) SELECT {', '.join(df.columns)} FROM __t_{name}")
    with pytest.raises(NotFound) as ei:
        chain_leaders(duck, "nope'; DROP TABLE chains; --")
    assert ei.value.code == "loop.chain.not_found"
    with pytest.raises(InvalidInput) as ei:
        chain_leaders(duck, "c1", rules={"weights": {"output_share": -1}})
    assert ei.value.code == "loop.rules.invalid"
    with pytest.raises(InvalidInput):
        chain_leaders(duck, "c1", year="2024")  # type: ignore[arg-type]
    assert duck.count("chains") == 2
    empty = chain_leaders(duck, "c1", 2030)
    assert empty.leaders == [] and empty.notes[0].code == "loop.note.no_buyers"


@pytest.mark.spark
def test_spark_same_as_duckdb(mem, spark_engine):
    """Leaders and ecosystems on Spark equal DuckDB's and the pandas reference; the label-history
    fingerprints too (the labels themselves are ``chain.bottlenecks``, Spark-tested in tests/chain)."""
    from reforge.loop.history import fingerprints
    t = tables()
    put_tables(spark_engine, t)
    try:
        got = chain_leaders(spark_engine, "c1", 2024).to_dict()
        fps = fingerprints(spark_engine, "c1")  # the stale check reads the same on both engines
    finally:
        for n in list(spark_engine._temps):
            spark_engine.drop(n)
    want = chain_leaders(mem, "c1", 2024).to_dict()
    assert fps == fingerprints(mem, "c1")
    ref = reference_leaders(t, "c1", 2024)
    assert [r["score"] for r in got["leaders"]] == pytest.approx(ref.score.tolist())
    for r in got["leaders"]:
        e = r["ecosystem"][-1]
        exp = reference_ecosystem(t, "c1", r["uscc"], 2024)
        assert e["designated"] == exp["designated"] and e["localisation"] == pytest.approx(exp["localisation"])
    assert [r["uscc"] for r in got["leaders"]] == [r["uscc"] for r in want["leaders"]]
    for a, b in zip(got["leaders"], want["leaders"], strict=True):
        assert a["score"] == pytest.approx(b["score"]) and a["tree_size"] == b["tree_size"]
        assert _same(a["ecosystem"], b["ecosystem"])


def _same(a, b) -> bool:
    """Deep equality with floats compared approximately."""
    if isinstance(a, dict):
        assert set(a) == set(b)
        return all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert len(a) == len(b)
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b)
        return True
    assert a == b
    return True
