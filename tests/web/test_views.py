"""Pure helpers of the dashboard: chart layering, near-miss rule, value formatting, result shaping."""

from __future__ import annotations

import pytest

from reforge.web import charts, views


def test_layers_are_longest_path_depths():
    # a -> c, b -> c, c -> d, a -> d : depth(d) = 2 through c, not 1 through a
    edges = [{"source": "a", "target": "c"}, {"source": "b", "target": "c"}, {"source": "c", "target": "d"},
             {"source": "a", "target": "d"}]
    assert charts.layers(["a", "b", "c", "d"], edges) == {"a": 0, "b": 0, "c": 1, "d": 2}


def test_layers_survive_a_cycle():
    d = charts.layers(["x", "y"], [{"source": "x", "target": "y"}, {"source": "y", "target": "x"}])
    assert set(d) == {"x", "y"}


def test_near_miss_is_one_failed_condition_without_veto():
    assert views.is_near_miss({"outcome": "fail", "failed": [{"condition": "revenue"}]})
    assert not views.is_near_miss({"outcome": "fail", "failed": [{"condition": "veto.serious_dishonesty"}]})
    assert not views.is_near_miss({"outcome": "fail", "failed": [{"condition": "a"}, {"condition": "b"}]})
    assert not views.is_near_miss({"outcome": "pass", "failed": []})


def test_fmt():
    assert views.fmt(None) == "" and views.fmt(float("nan")) == ""
    assert views.fmt(2586875363.0) == "2,586,875,363"
    assert views.fmt(0.123456) == "0.1235"
    assert views.fmt(12345) == "12,345" and views.fmt(42) == "42"
    assert views.fmt(["a", "b"]) == "a; b"


def test_simulation_view_picks_this_chain_and_sorts_items():
    d = {"disrupted_firms_count": 2, "lost_value": 30.0, "disrupted_firms": ["A", "B"], "rounds": 2,
         "by_chain": [{"chain_id": "x", "lost_value": 10.0}, {"chain_id": "y", "lost_value": 20.0}],
         "by_item": [{"item_id": "i", "lost_value": 5.0}, {"item_id": "j", "lost_value": 25.0}]}
    v = views.simulation_view(d, "y")
    assert v["count"] == 2 and v["this_chain"] == {"chain_id": "y", "lost_value": 20.0}
    assert [r["item_id"] for r in v["by_item"]] == ["j", "i"]


def test_warning_summary_and_rows():
    d = {"year": 2025, "firms": [{"uscc": "B", "level": "amber"}, {"uscc": "A", "level": "green"},
                                 {"uscc": "C", "level": "red"}, {"uscc": "D", "level": "amber"}]}
    assert views.warning_summary(d) == {"n": 4, "year": 2025, "by": {"red": 1, "amber": 2, "green": 1}}
    assert [r["uscc"] for r in views.warning_rows(d)] == ["C", "B", "D"]


def test_credit_grades_in_scale_order():
    d = {"year": 2025, "firms": [{"grade": g, "pd": p} for g, p in
                                 [("BBB", 0.02), ("AAA", 0.001), ("C", 0.5), ("AA", 0.004), ("BBB", 0.04)]]}
    v = views.credit_page_view(d, lambda k: k)
    assert v["dist"]["xAxis"]["data"] == ["AAA", "AA", "BBB", "C"]
    assert v["dist"]["series"][0]["data"] == [1, 1, 2, 1]
    assert v["pd_chart"]["series"][0]["data"][2] == 0.03


def test_policy_view_estimate_ci_p_unit_and_band_only_where_estimable():
    """Hand computation: rd_intensity ATT 0.012 (SE 0.004) shows as 1.20 percentage points,
    CI 1.2 -/+ 1.959964 x 0.4, p = erfc(3 / sqrt 2) = 0.0027; the event time with 3 treated firms
    (< 5) and the one without an SE get no band; 12 treated firms (< 30) raise the warning."""
    import math

    from reforge.web.policy_view import policy_view
    r = {"unit": {"code": "pp", "scale": 100.0},
         "aggregate": {"simple": {"att": 0.012, "se": 0.004},
                       "dynamic": {"by": [{"e": -1, "att": 0.0, "se": 0.001}, {"e": 0, "att": 0.01, "se": 0.002},
                                          {"e": 1, "att": 0.02, "se": 0.003}, {"e": 2, "att": 0.03, "se": None}]}},
         "counts": {"treated": 12, "control": 300, "units": 312, "few_treated": True, "min_treated": 30,
                    "min_cell_treated": 5, "by_e": [{"e": -1, "treated": 12}, {"e": 0, "treated": 12},
                                                    {"e": 1, "treated": 3}, {"e": 2, "treated": 12}]}}
    v = policy_view({"id": "abc", "outcomes": ["rd_intensity"], "result": {"outcomes": {"rd_intensity": r}}},
                    "en", lambda k: k)
    o = v["outcomes"][0]
    assert o["att"] == pytest.approx(1.2) and o["att_text"] == "1.20" and o["unit"] == "pp"
    assert o["ci_low"] == pytest.approx(1.2 - 1.959964 * 0.4) and o["ci_high"] == pytest.approx(1.2 + 1.959964 * 0.4)
    assert o["p"] == pytest.approx(math.erfc(3 / math.sqrt(2))) and o["p_text"] == "0.003"
    assert o["warn"] and o["thin"] == [1, 2]
    lo, width, est = (s["data"] for s in o["chart"]["series"])
    assert est == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert lo[0] == pytest.approx(-1.959964 * 0.1) and lo[2] is None and lo[3] is None
    assert width[1] == pytest.approx(2 * 1.959964 * 0.2) and width[2] is None
    # money in 万/亿 in Chinese
    m = {**r, "unit": {"code": "yuan", "scale": 1.0}, "aggregate": {"simple": {"att": 2.5e6, "se": 1e6}}}
    z = policy_view({"result": {"outcomes": {"revenue": m}}}, "zh", lambda k: k)["outcomes"][0]
    assert z["att_text"] == "250.00万" and z["chart"] is None


def test_overview_counts_designations_valid_at_the_end_of_the_data_year():
    """Issue 13/14: the overview counts Little Giants and SRDI SMEs valid on 31 December of the
    default data year (2023 here), an empty expiry meaning grant + 3 years (firms.validity)."""
    import pandas as pd

    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    e.register("enterprises", pd.DataFrame({"uscc": list("ABCD")}))
    e.register("enterprise_years", pd.DataFrame({"uscc": list("ABCD"), "year": [2023] * 4}))
    e.register("chains", pd.DataFrame({"chain_id": ["c"]}))
    e.register("chain_items", pd.DataFrame({"chain_id": ["c"], "item_id": ["i"]}))
    e.register("supply_links", pd.DataFrame({"supplier_id": ["A"]}))
    d = pd.DataFrame([
        ("A", "little_giant", "2019-06-01", None),          # no expiry: ends 2022-06-01 -> not counted
        ("B", "little_giant", "2022-01-01", None),          # ends 2025-01-01 -> counted
        ("B", "little_giant", "2019-01-01", "2021-12-31"),  # an older grant of B: the firm counts once
        ("C", "srdi_sme", "2021-03-01", "2023-06-30"),      # explicit expiry before 31 Dec -> not counted
        ("D", "srdi_sme", "2023-12-31", None),              # granted on the day -> counted
        ("A", "srdi_sme", "2024-01-02", None),              # granted after the day -> not counted
    ], columns=["uscc", "kind", "granted_on", "expires_on"])
    e.register("d_in", d)
    e.execute("CREATE TABLE designations AS SELECT uscc, kind, CAST(granted_on AS DATE) AS granted_on, "
              "CAST(expires_on AS DATE) AS expires_on FROM d_in")
    c = views.key_counts(e)
    assert (c["little_giants"], c["srdi"], c["as_of"], c["enterprises"]) == (1, 1, "2023-12-31", 4)
