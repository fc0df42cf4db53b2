"""Matching on planted data: true suppliers rank first, decoys are excluded with the right
reason codes, scores are the weighted sums of their parts, and the matching degree per item and
chain equals a hand computation. One body on DuckDB and Spark."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from reforge.errors import DataMissing, InvalidInput
from reforge.match import default_params, match_demands, matching_degree
from reforge.match.params import PARTS
from tests.conftest import put_tables

D = dt.date
M = 1_000_000.0


def planted() -> dict[str, pd.DataFrame]:
    """Two buyers, true suppliers and three decoys (full capacity, low level, dishonest)."""
    ent = pd.DataFrame([
        # uscc, name, province, main_product, main_item
        ("B1", "整机厂甲", "320000", "六轴工业机器人", None),
        ("B2", "功率器件厂乙", "330000", "SiC MOSFET 功率模块", None),
        ("S_TRUE", "精密传动丙", "320000", "RV减速器", "rv_reducer"),
        ("S_OK2", "传动丁", "340000", "行星减速机", None),
        ("S_FULL", "满产戊", "320000", "RV减速器", None),
        ("S_LOW", "仿制己", "320000", "减速器", None),
        ("S_BAD", "失信庚", "320000", "RV减速器", None),
        ("S_OLDBAD", "改过辛", "310000", "齿轮箱", None),
        ("S_SIC_JS", "衬底壬", "320000", "碳化硅衬底", None),
        ("S_SIC_GD", "衬底癸", "440000", "碳化硅衬底", None),
        ("S_HARM", "谐波子", "320000", "谐波减速器", None),
    ], columns=["uscc", "name", "province_code", "main_product", "main_item_id"])
    cap = pd.DataFrame([
        ("S_TRUE", "enterprise", "rv_reducer", 4, 50 * M, 20 * M),
        ("S_OK2", "enterprise", "rv_reducer", 4, 12 * M, 5 * M),
        ("S_FULL", "enterprise", "rv_reducer", 5, 30 * M, None),   # spare from supply_links: 30M sold
        ("S_BAD", "enterprise", "rv_reducer", 5, 80 * M, 40 * M),
        ("S_OLDBAD", "enterprise", "rv_reducer", 4, 9 * M, 3 * M),
        ("B1", "enterprise", "rv_reducer", 5, 99 * M, 99 * M),     # the buyer itself: never a candidate
        ("F_JP", "foreign", "rv_reducer", 5, 500 * M, 100 * M),    # foreign: not domestic supply
        ("S_SIC_JS", "enterprise", "sic_substrate", 3, 20 * M, 10 * M),
        ("S_SIC_GD", "enterprise", "sic_substrate", 5, 90 * M, 50 * M),
        ("S_HARM", "enterprise", "harmonic_reducer", 2, 5 * M, 5 * M),
    ], columns=["producer_id", "producer_type", "item_id", "tech_level", "capacity", "spare_capacity"])
    offers = pd.DataFrame([
        ("O1", "S_TRUE", "enterprise", "rv_reducer", "RV减速机，机器人关节用，额定扭矩1000N·m，回差≤1弧分，摆线针轮磨削", None, None),
        ("O2", "S_OK2", "enterprise", "rv_reducer", "精密行星减速机，背隙3弧分", None, None),
        ("O3", "S_LOW", "enterprise", "rv_reducer", "工业机器人RV减速器，扭矩1000N·m，回差≤1弧分，六轴关节",
         2, 8 * M),  # the best text, at level 2
        ("O4", "S_SIC_GD", "enterprise", "sic_substrate", "6英寸导电型碳化硅衬底，微管密度低", 5, 50 * M),
        ("O5", "INST1", "institution", "rv_reducer", "RV减速器研究", None, None),
    ], columns=["offer_id", "provider_id", "provider_type", "item_id", "text", "tech_level", "capacity"])
    demands = pd.DataFrame([
        ("D1", "B1", "rv_reducer", "purchase", "工业机器人用RV减速器，扭矩1000N·m，回差不大于1弧分", 10 * M, 4, None, False),
        ("D2", "B2", "sic_substrate", "purchase", "6英寸导电型碳化硅衬底", 8 * M, 3, "320000", True),
        ("D3", "B1", "servo_drive", "purchase", "伺服驱动器", 5 * M, None, None, False),
        ("D4", "B1", "harmonic_reducer", "pre_research", "新一代谐波减速器联合预研", 3 * M, 4, None, False),
        ("D5", "B2", None, "rd", "封装散热难题", 1 * M, None, None, False),
    ], columns=["demand_id", "uscc", "item_id", "kind", "text", "value", "required_level", "region_code",
                "region_only"])
    supply = pd.DataFrame([
        ("S_FULL", "enterprise", "B2", "rv_reducer", 2024, 10 * M),
        ("S_FULL", "enterprise", "X9", "rv_reducer", 2025, 18 * M),
        ("S_FULL", "enterprise", "X8", "rv_reducer", 2025, 12 * M),
        ("S_OK2", "enterprise", "B1", "gearbox", 2023, 1 * M),
    ], columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])
    credit = pd.DataFrame([
        ("R1", "S_BAD", "serious_dishonesty", D(2025, 3, 1), D(2027, 3, 1), None),
        ("R2", "S_OLDBAD", "dishonest_debtor", D(2022, 1, 1), D(2024, 1, 1), None),   # expired before as_of
        ("R3", "S_TRUE", "admin_penalty", D(2025, 1, 1), None, None),                 # not a dishonesty kind
        ("T1", "S_OK2", "tax_rating", D(2024, 4, 1), None, "A"),
        ("T2", "S_OK2", "tax_rating", D(2025, 4, 1), None, "B"),                 # the latest: B
        ("T3", "S_OK2", "tax_rating", D(2026, 4, 1), None, "D"),                 # after as_of
    ], columns=["record_id", "uscc", "kind", "recorded_on", "expires_on", "value"])
    desig = pd.DataFrame([
        ("S_TRUE", "little_giant", D(2024, 7, 1), D(2027, 7, 1), "active"),
        ("S_OK2", "srdi_sme", D(2020, 1, 1), D(2023, 1, 1), "expired"),
    ], columns=["uscc", "kind", "granted_on", "expires_on", "status"])
    chain_items = pd.DataFrame([("robot", "rv_reducer"), ("robot", "servo_drive"), ("robot", "harmonic_reducer"),
                                ("semi", "sic_substrate")], columns=["chain_id", "item_id"])
    return {"enterprises": ent, "capabilities": cap, "offers": offers, "demands": demands,
            "supply_links": supply, "credit_records": credit, "designations": desig, "chain_items": chain_items}


def _codes(row) -> set[str]:
    return {m.code for m in row.reasons}


def test_true_pairs_first_decoys_excluded_with_reasons(any_engine):
    put_tables(any_engine, planted())
    res = match_demands(any_engine, as_of="2026-01-15")
    c = res.candidates
    d1 = res.for_demand("D1").set_index("producer_id")
    # candidates: domestic firms with a capability or offer on the item, never the buyer or a foreign firm
    assert set(d1.index) == {"S_TRUE", "S_OK2", "S_FULL", "S_LOW", "S_BAD", "S_OLDBAD"}
    assert _codes(d1.loc["S_FULL"]) == {"match.exclude.no_capacity"}
    assert d1.loc["S_FULL", "spare_capacity"] == pytest.approx(0.0)  # 30M capacity - 30M sold in 2025
    assert _codes(d1.loc["S_LOW"]) == {"match.exclude.level_below"}
    assert d1.loc["S_LOW"].reasons[0].params == {"level": 2, "required": 4}
    assert _codes(d1.loc["S_BAD"]) == {"match.exclude.dishonest"}
    assert _codes(d1.loc["S_OLDBAD"]) == set() and _codes(d1.loc["S_TRUE"]) == set()
    ranked = d1[d1["rank"].notna()].sort_values("rank")
    assert list(ranked.index) == ["S_TRUE", "S_OK2", "S_OLDBAD"]
    assert d1.loc[["S_FULL", "S_LOW", "S_BAD"], "score"].isna().all()
    # parts, recomputed by hand for the true supplier and the second one
    t = d1.loc["S_TRUE"]
    assert (t.item_fit, t.level, t.capacity, t.region, t.designation, t.relation) == (1.0, 0.8, 1.0, 1.0, 1.0, 0.0)
    o = d1.loc["S_OK2"]
    assert (o.capacity, o.region, o.designation, o.relation) == (0.5, 0.0, 0.0, 1.0)
    assert (o.tax_rating, o.credit) == ("B", 0.75) and (t.tax_rating, t.credit) == (None, 0.5)  # B of A-B-M-C-D
    assert max(d1[["text"]].max()) == pytest.approx(1.0) and d1.loc["S_LOW", "text"] == pytest.approx(1.0)
    w = default_params().weights
    for _, r in c[c["rank"].notna()].iterrows():
        assert r.score == pytest.approx(sum(w[p] * r[p] for p in PARTS))
    # region-only demand: the stronger firm outside the region is excluded for it
    d2 = res.for_demand("D2").set_index("producer_id")
    assert _codes(d2.loc["S_SIC_GD"]) == {"match.exclude.region"}
    assert d2.loc["S_SIC_JS", "rank"] == 1
    status = res.demands.set_index("demand_id")["status"]
    assert status["D3"].code == "match.status.no_producer"
    assert status["D4"].code == "match.status.all_excluded"
    assert status["D5"].code == "match.status.no_item"
    assert status["D1"].code == "match.status.matched" and status["D1"].params == {"n": 3}
    assert list(res.demands["matched"]) == [True, True, False, False, False]
    # the JSON face keeps the codes
    out = res.to_dict()
    dd = {x["demand_id"]: x for x in out["demands"]}
    assert [x["producer_id"] for x in dd["D1"]["candidates"]] == ["S_TRUE", "S_OK2", "S_OLDBAD"]
    assert {x["producer_id"]: x["reasons"][0]["code"] for x in dd["D1"]["excluded"]} == {
        "S_BAD": "match.exclude.dishonest", "S_FULL": "match.exclude.no_capacity",
        "S_LOW": "match.exclude.level_below"}
    res.model()  # validates against the API's response model
    # before the dishonesty record, S_BAD competes (and its 40M spare capacity and level 5 help)
    early = match_demands(any_engine, ["D1"], as_of="2025-02-01").for_demand("D1").set_index("producer_id")
    assert _codes(early.loc["S_BAD"]) == set() and early.loc["S_BAD", "rank"] >= 1


def test_a_demand_without_item_is_matched_on_the_item_its_words_name(any_engine):
    """A demand recorded without an item gets the chain item whose names its words match (BM25
    over the items' names, at least half the item's own score): its candidates are that item's
    domestic producers, by brute force over the planted tables, each with an item fit no higher
    than a neighbour's and a reason naming the item. D5's words name no item: it keeps none."""
    t = planted()
    d6 = ("D6", "B2", None, "purchase", "求购精密谐波减速器，用于协作机器人关节", 2 * M, None, None, False)
    t["demands"] = pd.DataFrame([*t["demands"].itertuples(index=False, name=None), d6], columns=t["demands"].columns)
    t["items"] = pd.DataFrame([("rv_reducer", "RV reducer", "RV减速器", "component"),
                               ("harmonic_reducer", "Harmonic reducer", "谐波减速器", "component"),
                               ("servo_drive", "Servo drive", "伺服驱动器", "electronic_component"),
                               ("sic_substrate", "SiC substrate", "碳化硅衬底", "material")],
                              columns=["item_id", "name", "name_zh", "foundation"])
    put_tables(any_engine, t)
    res = match_demands(any_engine, as_of="2026-01-15")
    d = res.demands.set_index("demand_id")
    assert d.loc["D6", "item_id"] == "harmonic_reducer" and bool(d.loc["D6", "item_from_text"])
    assert pd.isna(d.loc["D5", "item_id"]) and not bool(d.loc["D5", "item_from_text"])
    assert d.loc["D5", "status"].code == "match.status.no_item"
    assert not d.loc[["D1", "D2", "D3", "D4"], "item_from_text"].any()
    # brute force: enterprises with a capability, an enterprise offer or the main product on the item
    cap, off, ent = t["capabilities"], t["offers"], t["enterprises"]
    makers = (set(cap.loc[(cap.item_id == "harmonic_reducer") & (cap.producer_type == "enterprise"), "producer_id"])
              | set(off.loc[(off.item_id == "harmonic_reducer") & (off.provider_type == "enterprise"), "provider_id"])
              | set(ent.loc[ent.main_item_id == "harmonic_reducer", "uscc"])) - {"B2"}
    c6 = res.for_demand("D6")
    assert set(c6["producer_id"]) == makers == {"S_HARM"}
    r = c6.set_index("producer_id").loc["S_HARM"]
    assert r.item_fit == pytest.approx(default_params().item_fit.neighbour)  # a capability, but a guessed item
    assert r.fit.code == "match.fit.from_text"
    assert r.fit.render("zh") == "按需求文字推定的环节：谐波减速器（需求未注明环节）"
    assert r.fit.render("en") == "item proposed from the demand's words: Harmonic reducer (the demand records none)"
    dd = {x["demand_id"]: x for x in res.to_dict()["demands"]}
    assert dd["D6"]["item_from_text"] is True and dd["D6"]["item_id"] == "harmonic_reducer"
    assert dd["D1"]["item_from_text"] is False
    # the other demands are matched as before
    base = match_demands(any_engine, ["D1", "D2", "D3", "D4", "D5"], as_of="2026-01-15")
    pd.testing.assert_frame_equal(base.candidates[["demand_id", "producer_id", "score", "rank"]],
                                  res.candidates.loc[res.candidates.demand_id != "D6",
                                                     ["demand_id", "producer_id", "score", "rank"]]
                                  .reset_index(drop=True))


def test_matching_degree_per_item_and_chain(any_engine):
    put_tables(any_engine, planted())
    deg = matching_degree(any_engine, as_of="2026-01-15")
    items = deg.items.set_index("item_id")
    assert items.loc["rv_reducer", "matchable_value"] == 10 * M and items.loc["rv_reducer", "degree"] == 1.0
    assert items.loc["servo_drive", "degree"] == 0.0 and items.loc["harmonic_reducer", "degree"] == 0.0
    chains = deg.chains.set_index("chain_id")
    assert chains.loc["robot", "demand_value"] == 18 * M
    assert chains.loc["robot", "degree"] == pytest.approx(10 / 18)
    assert chains.loc["semi", "degree"] == 1.0 and chains.loc["semi", "n_matchable"] == 1
    deg.model()
    # a minimum score above every candidate's score leaves nothing matchable
    none = matching_degree(any_engine, as_of="2026-01-15", min_score=0.99)
    assert none.chains["matchable_value"].sum() == 0


def test_bad_inputs_are_coded_errors():
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(":memory:") as e:
        with pytest.raises(DataMissing) as ei:
            match_demands(e)
        assert ei.value.code == "match.no_table"
        put_tables(e, planted())
        for kw, code in (({"as_of": "2026-13-01"}, "match.bad_date"), ({"mode": "dense"}, "match.bad_mode"),
                         ({"min_score": 2}, "match.bad_min_score")):
            with pytest.raises(InvalidInput) as ei:
                match_demands(e, **kw)
            assert ei.value.code == code
        hostile = match_demands(e, ["D1' OR 1=1 --"], as_of="2026-01-15")
        assert hostile.candidates.empty and hostile.demands.empty


def test_reasons_and_summary_render_in_both_languages():
    from reforge.engine import DuckDBEngine
    from reforge.messages import render
    with DuckDBEngine(":memory:") as e:
        put_tables(e, planted())
        res = match_demands(e, as_of="2026-01-15")
    d1 = res.for_demand("D1").set_index("producer_id")
    low = d1.loc["S_LOW"].reasons[0]
    assert str(low) == "technology level 2 below the required 4"
    assert low.render("zh") == "技术水平 2 低于要求的 4"
    full = d1.loc["S_FULL"].reasons[0]
    assert full.render("zh") == "无富余产能（富余 0 元）"
    d4 = res.demands.set_index("demand_id").loc["D4", "status"]
    assert d4.render("zh") == "全部 1 家候选均被排除，主要原因：技术水平不足"
    assert str(d4) == "all 1 candidates excluded, mostly for: technology level too low"
    assert res.summary("zh")[0] == "5 项需求中有 2 项找到合格的国内供应商"
    assert render("match.degree.line", {"chain": "robot", "degree": 10 / 18, "matchable": 1e7, "total": 1.8e7},
                  "zh") == "产业链 robot：匹配度 55.6%（1,800.00万 元中 1,000.00万 元）"
