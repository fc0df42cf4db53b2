"""Bottleneck metrics on the hand-made chain (tests/chain/toy.py), values computed by hand.

Hand computation (year 2024; the 2023 link and D2's 2025 capability are ignored):
A: purchases D1->D2 60, JP1->D2 40, JP1->D3 100 = 200; domestic 60 -> share 0.3,
   import 0.7; imports all JP (HHI 1); suppliers 60/140 -> HHI .09+.49 = .58, top1 .7;
   D3 has one supplier -> 1 single-supplier buyer; best domestic level 3 -> gap 2.
   Reach: A -> C -> E1, E2 = (300+100)/400 = 1. Chokepoint (0.7, 1.0, 1.0) wins over weak.
B: 100, all foreign: JP 30, DE 70 -> country HHI .58, top DE .7; no domestic producer
   -> blank. D: 100, US 80 / D1 20 -> domestic .2 (weak) but import .8, US 1.0, reach
   100/400 = .25 -> chokepoint. C: all domestic 300 -> sound. X: nobody -> missing.
Priority = 100 (0.25 + 0.75 reach)(w + 0.1 imp)/1.1 (imp = 1 when nobody buys):
B 100, A 100*(0.97/1.1) = 88.1818, D 100*0.4375*(0.98/1.1) = 38.9773,
X 100*0.25*1.1/1.1 = 25, E1 100*0.8125*0.2/1.1 = 14.7727, C 100*0.1/1.1 = 9.0909,
E2 100*0.4375*0.2/1.1 = 7.9545.
"""

from __future__ import annotations

import pytest

from reforge.chain import bottlenecks, chain_map, list_chains, load_thresholds
from reforge.errors import ReforgeError
from tests.chain.toy import toy_tables
from tests.conftest import put_tables


def _by_id(b):
    return {i["item_id"]: i for i in b.items}


def test_hand_made_chain_metrics(any_engine):
    put_tables(any_engine, toy_tables())
    b = bottlenecks(any_engine, "toy")
    m = _by_id(b)
    assert [i["item_id"] for i in b.items] == ["B", "A", "D", "X", "E1", "C", "E2"]
    assert {k: v["label"] for k, v in m.items()} == {
        "A": "chokepoint", "B": "blank", "C": "sound", "D": "chokepoint", "E1": "sound", "E2": "sound",
        "X": "missing"}
    a = m["A"]
    assert a["domestic_producers"] == 1 and a["foreign_producers"] == 1
    assert a["total_value"] == pytest.approx(200.0)
    assert a["domestic_share"] == pytest.approx(0.3)
    assert a["import_dependence"] == pytest.approx(0.7)
    assert a["foreign_country_hhi"] == pytest.approx(1.0)
    assert a["top_country"] == "JP" and a["top_country_share"] == pytest.approx(1.0)
    assert a["supplier_hhi"] == pytest.approx(0.58)
    assert a["top1_share"] == pytest.approx(0.7)
    assert a["single_supplier_buyers"] == 1
    assert a["best_domestic_level"] == 3 and a["tech_gap"] == 2
    assert a["downstream_reach"] == pytest.approx(1.0)
    assert any(r.startswith("chokepoint") for r in a["reasons"])
    assert any(r.startswith("weak: technology gap") for r in a["reasons"])
    bb = m["B"]
    assert bb["domestic_producers"] == 0 and bb["foreign_producers"] == 2
    assert bb["import_dependence"] == pytest.approx(1.0)
    assert bb["foreign_country_hhi"] == pytest.approx(0.58)
    assert bb["top_country"] == "DE" and bb["top_country_share"] == pytest.approx(0.7)
    d = m["D"]
    assert d["domestic_share"] == pytest.approx(0.2)
    assert d["supplier_hhi"] == pytest.approx(0.68)
    assert d["downstream_reach"] == pytest.approx(0.25)
    assert d["tech_gap"] == 1 and d["single_supplier_buyers"] == 0
    c = m["C"]
    assert c["domestic_share"] == pytest.approx(1.0) and c["import_dependence"] == pytest.approx(0.0)
    assert c["top_country"] is None and c["supplier_hhi"] == pytest.approx(1.0)
    assert m["E1"]["downstream_reach"] == pytest.approx(0.75)
    assert m["X"]["downstream_reach"] == 0.0 and m["X"]["total_value"] == 0.0
    pri = {k: v["priority"] for k, v in m.items()}
    assert pri == pytest.approx({"B": 100.0, "A": 88.1818, "D": 38.9773, "X": 25.0, "E1": 14.7727,
                                 "C": 9.0909, "E2": 7.9545}, abs=1e-4)


def test_json_shape_and_threshold_override(duck):
    put_tables(duck, toy_tables())
    d = bottlenecks(duck, "toy").to_dict()
    assert set(d) == {"chain_id", "thresholds", "items"}
    assert d["thresholds"]["chokepoint_import_dependence"] == 0.5
    item = d["items"][0]
    for k in ("item_id", "name", "name_zh", "foundation", "label", "reasons", "priority",
              "domestic_producers", "domestic_share", "import_dependence", "foreign_country_hhi",
              "top_country_share", "supplier_hhi", "top1_share", "tech_gap", "single_supplier_buyers",
              "downstream_reach"):
        assert k in item
    # stricter chokepoint reach: D (reach 0.25) falls back to weak (domestic share 0.2 < 0.3)
    b = bottlenecks(duck, "toy", thresholds={"chokepoint_downstream_reach": 0.3})
    assert _by_id(b)["D"]["label"] == "weak"
    # the earlier year: only the 2023 link, D1 -> D3 item A, so A is all domestic
    b23 = bottlenecks(duck, "toy", year=2023)
    assert _by_id(b23)["A"]["domestic_share"] == pytest.approx(1.0)


def test_chain_map_and_list(duck):
    put_tables(duck, toy_tables())
    m = chain_map(duck, "toy")
    layers = {n["id"]: n["layer"] for n in m["nodes"]}
    assert layers == {"A": 0, "B": 0, "D": 0, "X": 0, "C": 1, "E1": 2, "E2": 2}
    assert set(m["nodes"][0]) == {"id", "name", "name_zh", "foundation", "label", "reach", "layer"}
    assert {(e["source"], e["target"]) for e in m["edges"]} == {("A", "C"), ("B", "C"), ("C", "E1"),
                                                                 ("C", "E2"), ("D", "E2")}
    assert list_chains(duck) == [{"chain_id": "toy", "name": "Toy", "name_zh": "玩具链", "n_items": 7,
                                  "n_links": 5, "n_end_products": 2}]


def test_bad_inputs(duck):
    put_tables(duck, toy_tables())
    with pytest.raises(ReforgeError, match="unknown chain 'nope'; known: toy"):
        bottlenecks(duck, "nope")
    with pytest.raises(ReforgeError, match="chain id must be a non-empty string"):
        bottlenecks(duck, "")
    with pytest.raises(ReforgeError, match="unknown threshold bogus"):
        bottlenecks(duck, "toy", thresholds={"bogus": 1})
    with pytest.raises(ReforgeError, match="bad threshold weak_domestic_share"):
        bottlenecks(duck, "toy", thresholds={"weak_domestic_share": 1.5})
    with pytest.raises(ReforgeError, match="year must be an integer"):
        bottlenecks(duck, "toy", year="2024")
    assert load_thresholds().weak_tech_gap == 2


def test_missing_table_named():
    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    with pytest.raises(ReforgeError, match="table chains is missing"):
        bottlenecks(e, "toy")


def test_generic_technologies_two_chains(any_engine):
    # toy2 = A -> C with C its end product: reach(A) = reach(C) = 1 there. A is a chokepoint in
    # both chains (import 0.7, JP 1.0, reach 1): score 1 x 0.9 + 1 x 0.9 = 1.8. C is sound in
    # both (reach 1 in each): 1 x 0.1 + 1 x 0.1 = 0.2. Nothing else is in two chains.
    import pandas as pd

    from reforge.chain import generic_technologies
    t = toy_tables()
    t["chains"] = pd.concat([t["chains"], pd.DataFrame({"chain_id": ["toy2"], "name": ["Toy 2"],
                                                        "name_zh": ["玩具二"], "description": [None]})])
    t["chain_items"] = pd.concat([t["chain_items"], pd.DataFrame({
        "chain_id": ["toy2", "toy2"], "item_id": ["A", "C"], "segment": ["upstream", "downstream"],
        "is_end_product": [False, True], "end_value": [None, 50.0], "status_note": [None, None]})])
    t["chain_links"] = pd.concat([t["chain_links"], pd.DataFrame({
        "chain_id": ["toy2"], "input_item": ["A"], "output_item": ["C"], "share": [0.5], "criticality": [1.0]})])
    put_tables(any_engine, t)
    g = generic_technologies(any_engine).to_dict()
    assert [(i["item_id"], i["breadth"]) for i in g["items"]] == [("A", 2), ("C", 2)]
    assert g["items"][0]["score"] == pytest.approx(1.8) and g["items"][1]["score"] == pytest.approx(0.2)
    assert [c["chain_id"] for c in g["items"][0]["chains"]] == ["toy", "toy2"]
    assert g["items"][0]["weakness"] == pytest.approx(0.9)
    with pytest.raises(ReforgeError, match="min_chains must be a positive integer"):
        generic_technologies(any_engine, min_chains=0)
    # the API's service applies ``top`` (it used to be dropped silently); the service is the same
    # code on both engines, so it is checked on DuckDB only (each Spark run costs ~15 s)
    if any_engine.name == "duckdb":
        from reforge.api.services import generic_technologies as served
        assert [i["item_id"] for i in served(any_engine, 1)["items"]] == ["A"]
        assert [i["item_id"] for i in served(any_engine, None)["items"]] == ["A", "C"]


def test_plot_file_checks(duck, tmp_path):
    put_tables(duck, toy_tables())
    b = bottlenecks(duck, "toy")
    with pytest.raises(ReforgeError, match="plot file must end in .png, .svg, .pdf"):
        b.plot(tmp_path / "map.gif")
    with pytest.raises(ReforgeError, match="does not exist"):
        b.plot(tmp_path / "nope" / "map.png")
    fig = b.plot(tmp_path / "map.pdf")
    assert (tmp_path / "map.pdf").read_bytes()[:4] == b"%PDF"
    assert len(fig.axes) == 2


def test_unknown_inputs_are_not_sound(any_engine):
    """Issue 14 finding 2: a domestic producer without an active capability row (tech gap unknown)
    or an intermediate item nobody buys cannot be called sound; end products are exempt from the
    purchase check (their buyers are final demand)."""
    t = toy_tables()
    caps = t["capabilities"]
    caps.loc[caps.item_id == "C", "since_year"] = 2025  # D2 and D3 only start making C later
    caps.loc[len(caps)] = ("D1", "enterprise", "X", 5, 1e5, 2010)  # X: made at home, bought by nobody
    put_tables(any_engine, t)
    m = _by_id(bottlenecks(any_engine, "toy"))
    c = m["C"]
    assert c["domestic_producers"] == 1 and c["tech_gap"] is None  # D2 seen only as a supplier
    assert c["label"] == "insufficient_data"
    assert c["missing"] == [{"code": "tech_level_unknown", "params": {"domestic_producers": 1}}]
    assert any(r.startswith("insufficient data") for r in c["reasons"])
    assert not any(r.startswith("sound") for r in c["reasons"])
    x = m["X"]
    assert x["label"] == "insufficient_data" and [g["code"] for g in x["missing"]] == ["no_purchases"]
    assert m["E1"]["label"] == "sound" and m["E1"]["missing"] == []  # end product, nobody buys it
    # a label a known input decides stands: A is a chokepoint whatever D1's level
    caps.loc[(caps.item_id == "A") & (caps.producer_id == "D1"), "since_year"] = 2030
    put_tables(any_engine, t)
    a = _by_id(bottlenecks(any_engine, "toy"))["A"]
    assert a["label"] == "chokepoint" and [g["code"] for g in a["missing"]] == ["tech_level_unknown"]
    assert load_thresholds().label_weight("insufficient_data") == 0.5


def test_margin_and_stability(duck):
    """Each item names its nearest cut-off and whether +-10 % on an input flips its label."""
    put_tables(duck, toy_tables())
    m = _by_id(bottlenecks(duck, "toy"))
    # D: import dependence 0.8, top country 1.0, reach 0.25 vs 0.2 -> nearest cut is reach (+0.05, 25 %)
    assert m["D"]["margin"] == {"metric": "downstream_reach", "value": 0.25, "cut": 0.2, "distance": 0.05}
    assert m["D"]["stable"] is True  # 0.225 and 0.275 both stay >= 0.2
    # with the reach cut at 0.24, reach 0.25 * 0.9 = 0.225 falls below it: D would turn weak
    m2 = _by_id(bottlenecks(duck, "toy", thresholds={"chokepoint_downstream_reach": 0.24}))
    assert m2["D"]["label"] == "chokepoint" and m2["D"]["stable"] is False
    assert m2["D"]["margin"]["metric"] == "downstream_reach"
    assert m2["D"]["margin"]["distance"] == pytest.approx(0.01)
    # A: domestic share 0.3 exactly on the weak cut; import dependence 0.7 (+-10 % keeps >= 0.5)
    assert m["A"]["margin"]["metric"] == "domestic_share" and m["A"]["margin"]["distance"] == pytest.approx(0.0)
    assert m["A"]["stable"] is True  # chokepoint wins whatever the domestic share does nearby
    # X: no purchases, no producer; only its template reach (0) is known
    assert m["X"]["margin"] == {"metric": "downstream_reach", "value": 0.0, "cut": 0.2, "distance": -0.2}


def test_reasons_are_coded_and_render_in_chinese(duck):
    """Reasons carry codes + parameters (issue 12): the JSON keeps the English text and adds
    ``reason_codes``; the Chinese rendering names the country and the values from the hand
    computation (A: import dependence 0.7, all of it from Japan, reach 1.0; B: 2 foreign)."""
    from reforge.messages import render
    put_tables(duck, toy_tables())
    b = bottlenecks(duck, "toy")
    m = _by_id(b)
    codes = {c["code"]: c["params"] for c in m["A"]["reason_codes"]}
    assert set(codes) == {"chain.reason.chokepoint", "chain.reason.weak_gap"}
    assert codes["chain.reason.chokepoint"]["country"] == "JP"
    assert codes["chain.reason.chokepoint"]["import_dependence"] == pytest.approx(0.7)
    zh = render("chain.reason.chokepoint", codes["chain.reason.chokepoint"], "zh")
    assert zh.startswith("卡脖子：进口依赖度 0.700") and "日本" in zh and "JP" not in zh
    assert m["A"]["reasons"][0].startswith("chokepoint: import dependence 0.700")
    assert "top country Japan" in m["A"]["reasons"][0]
    # B: every rule that holds is named (blank, and a chokepoint on Germany's 0.7)
    assert [c["code"] for c in m["B"]["reason_codes"]] == ["chain.reason.blank", "chain.reason.chokepoint"]
    zh_b = b.to_frame("zh").set_index("item_id").at["B", "reasons"]
    assert zh_b.startswith("空白：没有国内生产者（国外 2 家）; 卡脖子：进口依赖度 1.000") and "德国占进口 0.700" in zh_b
    assert b.to_frame("en").set_index("item_id").at["X", "reasons"].startswith("missing: no producer")
    import json
    json.dumps(b.to_dict())  # JSON-ready


def test_unknown_end_product_flag_is_none_not_an_error(duck):
    """``chain_items.is_end_product`` NULL (a nullable boolean, ``pd.NA`` in pandas) gives
    ``is_end_product: None``; it used to raise TypeError ("boolean value of NA is ambiguous")."""
    t = toy_tables()
    ci = t["chain_items"].copy()
    ci["is_end_product"] = ci["is_end_product"].astype("boolean")
    ci.loc[ci.index[0], "is_end_product"] = None
    t["chain_items"] = ci
    put_tables(duck, t)
    got = {r["item_id"]: r["is_end_product"] for r in bottlenecks(duck, "toy").to_dict()["items"]}
    assert got[ci["item_id"].iloc[0]] is None
    assert all(v in (True, False) for k, v in got.items() if k != ci["item_id"].iloc[0])


def test_shared_bottlenecks_are_computed_once_per_memo(duck, monkeypatch):
    """``shared_bottlenecks`` (the pages' and boards' memo): the default year and the same year
    named share one entry, a region its own; without a memo every call computes; a failure is
    not kept."""
    import reforge.chain.metrics as m
    put_tables(duck, toy_tables())
    calls = []
    real = m.bottlenecks

    def counting(*a, **k):
        calls.append(k.get("region"))
        return real(*a, **k)
    monkeypatch.setattr(m, "bottlenecks", counting)
    memo: dict = {}
    first = m.shared_bottlenecks(duck, "toy", None, None, memo)
    again = m.shared_bottlenecks(duck, "toy", first.year, None, memo)
    assert again is first and len(calls) == 1 and first.year == 2024
    assert _by_id(first) == _by_id(real(duck, "toy"))
    m.shared_bottlenecks(duck, "toy", None, None, None)
    assert len(calls) == 2
    with pytest.raises(ReforgeError):
        m.shared_bottlenecks(duck, "no_such_chain", None, None, memo)
    assert [k[1] for k in memo] == ["toy"]
