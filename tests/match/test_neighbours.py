"""Candidates from neighbouring items: a firm with a capability on an item of the same foundation
next to the demanded one in a chain template (an input of the same output, or linked directly)
is a candidate with the lower item fit, its level and capacity on that item, and the item named
in the explanation; other-foundation and unlinked items bring no candidate. Scores equal a hand
computation. The ranking runs on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.match import assign_demands, default_params, match_demands
from tests.conftest import put_tables
from tests.match.test_rank import M, planted


def tables() -> dict[str, pd.DataFrame]:
    base = planted()
    items = pd.DataFrame([
        ("rv_reducer", "RV reducer", "RV减速器", "component"),
        ("harmonic_reducer", "Harmonic reducer", "谐波减速器", "component"),
        ("servo_motor", "Servo motor", "伺服电机", "electronic_component"),
        ("robot_arm", "Robot arm", "机械臂", "end_product"),
        ("steel", "Gear steel", "齿轮钢", "material"),
        ("planetary_reducer", "Planetary reducer", "行星减速机", "component"),
        ("agv", "AGV", "AGV小车", "end_product"),
    ], columns=["item_id", "name", "name_zh", "foundation"])
    links = pd.DataFrame([
        ("robot", "rv_reducer", "robot_arm"), ("robot", "harmonic_reducer", "robot_arm"),
        ("robot", "servo_motor", "robot_arm"), ("robot", "steel", "rv_reducer"),
        ("logistics", "planetary_reducer", "agv"),
    ], columns=["chain_id", "input_item", "output_item"])
    ent = pd.DataFrame([(u, u, "320000", None, None) for u in
                        ("B1", "B2", "S_RV", "S_BOTH", "S_HARM", "S_HARM_LOW", "S_SERVO", "S_STEEL", "S_PLAN",
                         "S_ARM")], columns=["uscc", "name", "province_code", "main_product", "main_item_id"])
    cap = pd.DataFrame([
        ("S_RV", "enterprise", "rv_reducer", 4, 50 * M, 20 * M),
        ("S_BOTH", "enterprise", "rv_reducer", 5, 10 * M, 1 * M),
        ("S_BOTH", "enterprise", "harmonic_reducer", 3, 10 * M, 9 * M),
        ("S_HARM", "enterprise", "harmonic_reducer", 4, 8 * M, 5 * M),
        ("S_HARM_LOW", "enterprise", "harmonic_reducer", 2, 8 * M, 5 * M),
        ("S_SERVO", "enterprise", "servo_motor", 5, 9 * M, 9 * M),
        ("S_STEEL", "enterprise", "steel", 5, 9 * M, 9 * M),
        ("S_PLAN", "enterprise", "planetary_reducer", 5, 9 * M, 9 * M),
        ("S_ARM", "enterprise", "robot_arm", 5, 9 * M, 9 * M),
    ], columns=list(base["capabilities"].columns))
    demands = pd.DataFrame([
        ("D1", "B1", "rv_reducer", "purchase", None, 10 * M, 3, None, False),
        ("D2", "B2", "harmonic_reducer", "purchase", None, 4 * M, None, None, False),
    ], columns=list(base["demands"].columns))
    empty = {k: base[k].iloc[0:0] for k in ("offers", "supply_links", "credit_records", "designations")}
    return {**empty, "enterprises": ent, "capabilities": cap, "demands": demands, "items": items,
            "chain_links": links, "chain_items": base["chain_items"]}


def _hand(fit: float, level: int, spare: float, value: float) -> float:
    w = default_params().weights
    return (w["item_fit"] * fit + w["level"] * level / 5 + w["capacity"] * min(spare / value, 1) + w["region"]
            + w["credit"] * 0.5)  # no tax rating: the neutral credit part


def test_neighbour_candidates_with_lower_fit_and_named_item(any_engine):
    put_tables(any_engine, tables())
    res = match_demands(any_engine, as_of="2026-01-15")
    d1 = res.for_demand("D1").set_index("producer_id")
    assert set(d1.index) == {"S_RV", "S_BOTH", "S_HARM", "S_HARM_LOW"}  # not servo (foundation), steel, plan, arm
    assert not d1.loc["S_BOTH", "near"] and d1.loc["S_BOTH", "via_item"] == "rv_reducer"
    assert d1.loc["S_HARM", "near"] and d1.loc["S_HARM", "via_item"] == "harmonic_reducer"
    fit = default_params().item_fit
    assert d1.loc["S_HARM", "item_fit"] == fit.neighbour < fit.main_product
    assert d1.loc["S_RV", "score"] == pytest.approx(_hand(1.0, 4, 20 * M, 10 * M))
    assert d1.loc["S_BOTH", "score"] == pytest.approx(_hand(1.0, 5, 1 * M, 10 * M))
    assert d1.loc["S_HARM", "score"] == pytest.approx(_hand(fit.neighbour, 4, 5 * M, 10 * M))
    assert list(d1.sort_values("rank").index[:3]) == ["S_RV", "S_BOTH", "S_HARM"]
    assert [m.code for m in d1.loc["S_HARM_LOW", "reasons"]] == ["match.exclude.level_below"]
    assert d1.loc["S_HARM_LOW", "reasons"][0].params == {"level": 2, "required": 3}
    msg = d1.loc["S_HARM", "fit"]
    assert msg.code == "match.fit.neighbour"
    assert "谐波减速器" in msg.render("zh") and "Harmonic reducer" in msg.render("en")
    assert d1.loc["S_RV", "fit"].code == "match.fit.capability"
    # the other way round: RV makers are neighbours of the harmonic-reducer demand
    d2 = res.for_demand("D2").set_index("producer_id")
    assert d2.loc["S_RV", "near"] and not d2.loc["S_BOTH", "near"] and not d2.loc["S_HARM", "near"]
    cand = next(x for x in res.to_dict()["demands"][0]["candidates"] if x["producer_id"] == "S_HARM")
    assert cand["via_item"] == "harmonic_reducer" and cand["fit"]["code"] == "match.fit.neighbour"


def test_assignment_uses_the_neighbour_item_capacity():
    t = tables()
    t["capabilities"] = t["capabilities"][t["capabilities"]["producer_id"].isin(["S_HARM"])]
    with DuckDBEngine(":memory:") as e:  # DuckDB only: the SQL is the one checked on Spark above
        put_tables(e, t)
        res = assign_demands(e, ["D1"], as_of="2026-01-15")
    assert res.flows[["producer_id", "item_id", "value"]].values.tolist() == [["S_HARM", "harmonic_reducer", 5 * M]]
    assert res.demands.iloc[0]["unmatched"] == pytest.approx(5 * M)
