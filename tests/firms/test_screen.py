"""Screening against hand-made firms (CRITERIA.md §1): thresholds, twins, 2022 vs 2026,
vetoes and missing data. Expected values are worked out by hand from the criteria."""

from __future__ import annotations

import pytest

from reforge.errors import ReforgeError
from reforge.firms import load_rules, screen
from reforge.firms.screen import prepare_features
from tests.conftest import put_tables
from tests.firms.factory import YEAR, lg_exact, tables, twin


def _by_uscc(s):
    return {e["uscc"]: e for e in s.to_dict()["firms"]}


def _mid_exact(uscc: str) -> dict:
    """On every threshold, revenue band 50-100m (R&D >= 6% each year)."""
    b = lg_exact(uscc)
    for y, f in b["years"].items():
        g = {2021: 1 / 1.1, 2022: 1.0, 2023: 1.0}[y]
        f.update(revenue=5e7 * g, main_business_revenue=3.5e7 * g, rd_expense=3e6, total_assets=5e7,
                 total_liabilities=3.5e7)
    return b


def _small_exact(uscc: str) -> dict:
    """On every threshold, revenue band < 50m (equity 80m, R&D 30m over 2 years, R&D staff 50%)."""
    b = lg_exact(uscc)
    for y, f in b["years"].items():
        g = {2021: 1 / 1.1, 2022: 1.0, 2023: 1.0}[y]
        f.update(revenue=4e7 * g, main_business_revenue=2.8e7 * g, rd_expense=1.5e7, total_assets=4e7,
                 total_liabilities=2.8e7, new_equity=4e7 if y >= 2022 else 0.0, employees=200, rd_staff=100)
    return b


BASE = lg_exact("LG_BASE")
# condition id -> (changes, expected failed entries [(condition, value, threshold, gap)])
LG_TWINS = {
    "srdi_status": (dict(designations=[]), [("srdi_status", 0.0, True, None)]),
    "niche_years": (dict(y2023=dict(niche_years=2.5)), [("niche_years", 2.5, 3.0, 0.5)]),
    "main_share": (dict(y2023=dict(revenue=7e7 / 0.69, rd_expense=0.03 * 7e7 / 0.69)),
                   [("main_share", 0.69, 0.70, 0.01)]),
    "mb_growth": (dict(y2021=dict(main_business_revenue=7e7 / 1.09)), [("mb_growth", 0.045, 0.05, 0.005)]),
    "info_system": (dict(y2023=dict(info_system=False)), [("info_system", 0.0, True, None)]),
    "mgmt_certified": (dict(y2023=dict(mgmt_certified=False)), [("mgmt_certified", 0.0, True, None)]),
    "debt_ratio": (dict(y2023=dict(total_liabilities=7.1e7)), [("debt_ratio", 0.71, 0.70, 0.01)]),
    "niche_share": (dict(y2023=dict(niche_market_share=0.09)), [("niche_share", 0.09, 0.10, 0.01)]),
    "own_brand": (dict(y2023=dict(own_brand=False)), [("own_brand", 0.0, True, None)]),
    "rd_large": (dict(y2022=dict(rd_expense=2.9e6)), [("rd_large", 0.029, 0.03, 0.001)]),
    "rd_institution": (dict(y2023=dict(rd_institution_level="none")), [("rd_institution", 0.0, 1.0, 1.0)]),
    "class1_ip": (dict(y2023=dict(class1_ip=1, class1_ip_self=1)), [("class1_ip", 1.0, 2.0, 1.0)]),
    "chain": (dict(firm=dict(key_chain_link=False)), [("chain", 0.0, True, None)]),
    "product": (dict(firm=dict(main_item_id="I_END", strategic_emerging=False)), [("product", 0.0, True, None)]),
}
BAND_TWINS = {  # other revenue bands: base firm maker, changes, expected
    "MID": (_mid_exact, {}, []),
    "MID_rd": (_mid_exact, dict(y2023=dict(rd_expense=2.95e6)), [("rd_mid", 0.059, 0.06, 0.001)]),
    "SMALL": (_small_exact, {}, []),
    "SMALL_equity": (_small_exact, dict(y2023=dict(new_equity=3.9e7)),
                     [("rd_small.new_equity_2y", 7.9e7, 8e7, 1e6)]),
    "SMALL_rd": (_small_exact, dict(y2023=dict(rd_expense=1.4e7)), [("rd_small.rd_expense_sum2", 2.9e7, 3e7, 1e6)]),
    "SMALL_staff": (_small_exact, dict(y2023=dict(rd_staff=99)), [("rd_small.rd_staff_share", 0.495, 0.5, 0.005)]),
    # revenue exactly 100m is in the 50-100m band (criteria: "> ¥100m" gets the 3 % test), so 3 % fails ...
    "AT100M": (lg_exact, dict(y2023=dict(revenue=1e8)), [("rd_mid", 0.03, 0.06, 0.03)]),
    # ... and 6 % in both years passes
    "AT100M_6pct": (lg_exact, dict(y2022=dict(rd_expense=6e6), y2023=dict(revenue=1e8, rd_expense=6e6)), []),
}


def _check_failed(entry: dict, expected: list[tuple]) -> None:
    got = entry["failed"]
    assert [f["condition"] for f in got] == [e[0] for e in expected], entry["reasons"]
    for f, (_c, value, thr, gap) in zip(got, expected, strict=True):
        assert f["value"] == pytest.approx(value, rel=1e-9, abs=1e-12)
        assert f["threshold"] == (pytest.approx(thr) if not isinstance(thr, bool) else thr)
        if gap is None:
            assert f["gap"] is None
        else:
            assert f["gap"] == pytest.approx(gap, rel=1e-6, abs=1e-12)


def _put_firms(engine):
    firms = [BASE] + [twin(BASE, f"LG_{cid}", **ch) for cid, (ch, _e) in LG_TWINS.items()]
    for name, (maker, ch, _e) in BAND_TWINS.items():
        b = maker(name)
        firms.append(twin(b, name, **ch) if ch else b)
    firms.append(twin(_small_exact("x"), "SMALL_nostaff", y2023=dict(rd_staff=None)))
    firms.append(twin(BASE, "LG_VETO", credit=[dict(record_id="R1", kind="abnormal_operation",
                                                    recorded_on="2023-03-01", expires_on=None)]))
    firms.append(twin(BASE, "LG_SHARE80", y2021=dict(main_business_revenue=8e7 / 1.1),
                      y2022=dict(main_business_revenue=8e7), y2023=dict(main_business_revenue=8e7)))
    put_tables(engine, tables(firms))
    return engine


@pytest.fixture
def lg_firms(any_engine):
    """The hand-made firms on DuckDB and on Spark."""
    return _put_firms(any_engine)


@pytest.fixture
def lg_duck():
    """The hand-made firms on DuckDB only (for tests of the Python-side logic)."""
    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    yield _put_firms(e)
    e.close()


def test_exact_threshold_firm_passes_and_every_twin_fails_with_its_reason(lg_firms):
    s = screen(lg_firms, "little_giant", YEAR, rules="2022")
    got = _by_uscc(s)
    assert got["LG_BASE"]["outcome"] == "pass", got["LG_BASE"]["reasons"]
    assert got["LG_BASE"]["failed"] == [] and got["LG_BASE"]["missing"] == []
    for cid, (_ch, expected) in LG_TWINS.items():
        e = got[f"LG_{cid}"]
        assert e["outcome"] == "fail", (cid, e["reasons"])
        _check_failed(e, expected)
        assert e["missing"] == []
    for name, (_m, _ch, expected) in BAND_TWINS.items():
        e = got[name]
        assert e["outcome"] == ("pass" if not expected else "fail"), (name, e["reasons"])
        _check_failed(e, expected)


def test_every_lg_2022_condition_has_a_twin():
    conds = {c.id for c in load_rules("2022").tier("little_giant").conditions}
    covered = set(LG_TWINS) | {"rd_mid", "rd_small"}
    assert conds == covered


def test_unverified_conditions_are_flagged(lg_duck):
    got = _by_uscc(screen(lg_duck, "little_giant", YEAR, rules="2022"))
    assert any("[unverified criterion]" in r for r in got["LG_chain"]["reasons"])
    assert any("unverified [C] criteria: chain, product" in r for r in got["LG_BASE"]["reasons"])


def test_missing_rd_staff_is_insufficient_data_not_fail(lg_firms):
    e = _by_uscc(screen(lg_firms, "little_giant", YEAR))["SMALL_nostaff"]
    assert e["outcome"] == "insufficient_data"
    assert e["missing"] == ["rd_staff"]
    assert e["failed"] == []


def test_veto_fails_every_tier_with_the_veto_named(lg_firms):
    feats = prepare_features(lg_firms, [YEAR])
    rule_sets = ("2022", "2026") if lg_firms.name == "duckdb" else ("2022",)
    for tier in ("innovative_sme", "srdi_sme", "little_giant", "single_champion"):
        for rules in rule_sets:
            e = _by_uscc(screen(lg_firms, tier, YEAR, rules=rules, features=feats))["LG_VETO"]
            assert e["outcome"] == "fail"
            assert e["failed"][0]["condition"] == "veto.abnormal_operation"
            assert any(r.startswith("veto abnormal_operation") for r in e["reasons"])


def test_2022_and_2026_rules_differ_where_the_texts_differ(lg_firms):
    old = _by_uscc(screen(lg_firms, "little_giant", YEAR, rules="2022"))["LG_SHARE80"]
    new = _by_uscc(screen(lg_firms, "little_giant", YEAR, rules="2026"))["LG_SHARE80"]
    assert old["outcome"] == "pass"
    assert new["outcome"] == "fail"
    share = [f for f in new["failed"] if f["condition"] == "main_share"]
    assert share and share[0]["threshold"] == pytest.approx(0.90) and share[0]["gap"] == pytest.approx(0.10)
    names = {f["condition"] for f in new["failed"]}
    # 2026: R&D over 2 years >= 12m (firm: 6m), >= 4 self-developed Class I IP (firm: 2)
    assert {"rd_sum", "class1_ip"} <= names


def test_srdi_niche_years_2022_vs_2026(lg_duck):
    # SRDI: niche years >= 2 (2022) vs >= 3 (2026); the twin has 2.5 years
    s22 = screen(lg_duck, "srdi_sme", YEAR, rules="2022")
    s26 = screen(lg_duck, "srdi_sme", YEAR, rules="2026")
    e22, e26 = _by_uscc(s22)["LG_niche_years"], _by_uscc(s26)["LG_niche_years"]
    assert "niche_years" not in {f["condition"] for f in e22["failed"]}
    assert "niche_years" in {f["condition"] for f in e26["failed"]}


def test_rule_set_chosen_by_effective_date():
    assert load_rules(2025).id == "2022"
    assert load_rules(2026).id == "2026"
    assert load_rules("2026-03-31").id == "2022"
    assert load_rules("2026-04-01").id == "2026"
    assert load_rules(2019).id == "2022"  # before the first rule set: the first one


def test_default_rules_follow_the_screening_year(lg_duck):
    # the panel's last data year is 2023, so 2024 is the latest screening year: 2022 rules
    assert screen(lg_duck, "little_giant", 2024).rules == "2022"


def test_only_filters_and_near_misses(lg_duck):
    from reforge.firms import near_misses
    s = screen(lg_duck, "little_giant", YEAR, rules="2022", only="pass")
    assert {e["outcome"] for e in s.to_dict()["firms"]} == {"pass"}
    nm = near_misses(lg_duck, "little_giant", YEAR, rules="2022")
    assert "LG_VETO" not in set(nm["uscc"])
    assert "LG_niche_share" in set(nm["uscc"])
    # closest first: rd_large (0.001 / 0.03 = 3.3%) before niche_years (0.5 / 3 = 16.7%)
    order = list(nm["uscc"])
    assert order.index("LG_rd_large") < order.index("LG_niche_years")
    near = [e["uscc"] for e in screen(lg_duck, "little_giant", YEAR, rules="2022", only="near-miss").to_dict()["firms"]]
    assert near == order
    r = nm.set_index("uscc").loc["LG_rd_large"]
    assert r["relative_gap"] == pytest.approx(0.001 / 0.03, rel=1e-6)


def test_shortlist_keeps_every_candidate_and_near_miss_of_the_full_screening(lg_duck):
    """The page's short list (``shortlist_mask`` + ``subset``, explaining only those rows) holds
    exactly the passing firms and the near-misses of the full screening, with equal entries."""
    from reforge.firms.screen import shortlist_mask
    from reforge.web.views import is_near_miss
    for tier in ("little_giant", "srdi_sme", "innovative_sme"):
        full = screen(lg_duck, tier, YEAR, rules="2022")
        short = full.subset(shortlist_mask(full.frame, full.plans))
        want = [e for e in full.to_dict()["firms"] if e["outcome"] == "pass" or is_near_miss(e)]
        got = [e for e in short.to_dict()["firms"] if e["outcome"] == "pass" or is_near_miss(e)]
        assert got == want and want
    s = screen(lg_duck, "little_giant", YEAR, rules="2022")
    short = s.subset(shortlist_mask(s.frame, s.plans))
    assert len(short.frame) < len(s.frame)  # the vetoed and far-off firms are not explained
    assert "LG_VETO" not in set(short.frame["uscc"])


def test_province_filter(lg_duck):
    s = screen(lg_duck, "little_giant", YEAR, province="110000")
    assert s.to_dict()["firms"] == []
    assert len(screen(lg_duck, "little_giant", YEAR, province="320000").to_dict()["firms"]) > 10


def test_all_years_mode_has_year_per_firm(lg_duck):
    s = screen(lg_duck, "innovative_sme", None)
    d = s.to_dict()
    assert d["year"] is None
    assert {f["year"] for f in d["firms"]} == {2022, 2023, 2024}


def test_bad_inputs(lg_duck, tmp_path):
    with pytest.raises(ReforgeError, match="unknown tier"):
        screen(lg_duck, "giant", YEAR)
    with pytest.raises(ReforgeError, match="no figures for 2029"):
        screen(lg_duck, "little_giant", 2030)
    with pytest.raises(ReforgeError, match="unknown rule set"):
        screen(lg_duck, "little_giant", YEAR, rules="2019")
    with pytest.raises(ReforgeError, match="^only must be") as ei:
        screen(lg_duck, "little_giant", YEAR, only="maybe")
    assert ei.value.code == "input.choice" and ei.value.params["name"] == "only"  # the parameter, not a CLI flag
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: y\n")
    with pytest.raises(ReforgeError, match="invalid rule set"):
        load_rules(bad)
    bad.write_text(BAD_METRIC)
    with pytest.raises(ReforgeError, match="unknown metric 'profit_growth'"):
        load_rules(bad)


BAD_METRIC = """
id: "x"
name: x
document: x
effective: 2030-01-01
source: x
confidence: C
vetoes: []
tiers:
  little_giant:
    label: x
    conditions:
      - {id: a, label: a, all: [{metric: profit_growth, op: ">=", threshold: 1}], source: x, confidence: C}
"""


def test_custom_rule_file_is_used(lg_duck, tmp_path):
    p = tmp_path / "strict.yaml"
    p.write_text(BAD_METRIC.replace("profit_growth", "niche_share").replace("threshold: 1", "threshold: 0.5"))
    e = _by_uscc(screen(lg_duck, "little_giant", YEAR, rules=str(p)))["LG_BASE"]
    assert e["outcome"] == "fail"
    assert e["failed"] == [{"condition": "a", "value": 0.1, "threshold": 0.5, "gap": 0.4}]


def test_no_panel_is_a_clear_error(duck):
    with pytest.raises(ReforgeError, match="enterprise_years is empty"):
        screen(duck, "little_giant", 2024)


def test_panel_problems_are_named():
    import pandas as pd

    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    t = tables([BASE])
    ey = t["enterprise_years"]
    put_tables(e, {**t, "enterprise_years": pd.concat([ey, ey.iloc[:1]])})
    with pytest.raises(ReforgeError, match="duplicate .* LG_BASE/2021"):
        screen(e, "little_giant", YEAR)
    put_tables(e, {"enterprise_years": ey.drop(columns=["year"])})
    with pytest.raises(ReforgeError, match="needs columns uscc and year"):
        screen(e, "little_giant", YEAR)
    e.close()


def test_nan_figures_are_missing_not_zero(any_engine):
    # NaN main-business revenue: main share, growth undecided -> insufficient_data naming the field
    put_tables(any_engine, tables([twin(BASE, "NAN", y2023=dict(main_business_revenue=float("nan")))]))
    got = _by_uscc(screen(any_engine, "little_giant", YEAR))["NAN"]
    assert got["outcome"] == "insufficient_data"
    assert got["missing"] == ["main_business_revenue"]


def test_every_enterprise_is_listed_even_without_figures():
    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    new = twin(BASE, "NEWCO")
    new["years"] = {}  # founded after the data year: no figures yet
    t = tables([BASE])
    t["enterprises"] = tables([BASE, twin(BASE, "NEWCO")])["enterprises"]
    put_tables(e, t)
    got = _by_uscc(screen(e, "little_giant", YEAR))
    assert got["NEWCO"]["outcome"] == "insufficient_data"
    assert got["NEWCO"]["missing"] == ["enterprise_years (2023)"]
    assert got["LG_BASE"]["outcome"] == "pass"
    e.close()
