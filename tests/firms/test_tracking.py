"""Review, early warnings, profile and cohort tracking on hand-made firms."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.errors import ReforgeError
from reforge.firms import cohorts, profile, review, warnings
from tests.conftest import put_tables
from tests.firms.factory import lg_exact, tables, twin

LG_DES = dict(kind="little_giant", granted_on="2021-07-01", expires_on="2024-06-30", status="active")
SRDI_DES = dict(kind="srdi_sme", granted_on="2022-06-01", expires_on="2025-05-31", status="active")


def _firms() -> list[dict]:
    b = lg_exact("OK")
    b["designations"] = [dict(SRDI_DES, uscc="OK"), dict(LG_DES, uscc="OK")]
    # slipping: revenue -30% in 2023 (red), niche share -0.03 (amber), IP count down (amber)
    slip = twin(b, "SLIP", y2023=dict(revenue=7e7, main_business_revenue=4.9e7, niche_market_share=0.07,
                                      class1_ip=1, class1_ip_self=1, rd_expense=2.1e6))
    # R&D intensity falling two years running (amber) and below the Little Giant floor 3% (amber)
    rd = twin(b, "RDFALL", y2021=dict(rd_expense=5e6 / 1.1), y2022=dict(rd_expense=4e6), y2023=dict(rd_expense=2.5e6))
    credit = twin(b, "CREDIT", credit=[dict(record_id="C1", kind="major_incident", recorded_on="2023-05-01",
                                            expires_on=None)])
    plain = twin(b, "PLAIN", designations=[])  # not designated: no warnings
    gone = twin(b, "NOFIG", designations=[dict(LG_DES)])
    gone["years"] = {2021: gone["years"][2021]}  # no figures for 2022-2023
    return [b, slip, rd, credit, plain, gone]


@pytest.fixture
def firms_engine(any_engine):
    put_tables(any_engine, tables(_firms()))
    return any_engine


def test_warnings_levels_and_reasons(firms_engine):
    w = warnings(firms_engine, 2023)
    by = {f["uscc"]: f for f in w.to_dict()["firms"]}
    assert set(by) == {"OK", "SLIP", "RDFALL", "CREDIT"}  # PLAIN is not designated, NOFIG has no 2023 figures
    assert by["OK"]["level"] == "green"
    assert by["OK"]["tier"] == "little_giant" and by["OK"]["cohort"] == 2021
    s = by["SLIP"]["signals"]
    assert s["revenue_decline"] == "red"  # -30% <= -25%
    assert s["niche_share_falling"] == "amber" and s["ip_falling"] == "amber"
    assert by["SLIP"]["level"] == "red"
    r = by["RDFALL"]["signals"]
    assert r["rd_falling"] == "amber" and r["rd_below_floor"] == "amber"  # 2.5% < 3%
    assert by["RDFALL"]["level"] == "amber"
    assert by["CREDIT"]["signals"]["serious_credit"] == "red" and by["CREDIT"]["level"] == "red"
    summ = w.summary()
    row = summ[(summ.tier == "little_giant") & (summ.cohort == 2021)].iloc[0]
    assert (row.green, row.amber, row.red, row.firms) == (1, 1, 2, 4)


def test_warnings_bad_year(firms_engine):
    with pytest.raises(ReforgeError, match="no figures for 2030"):
        warnings(firms_engine, 2030)
    with pytest.raises(ReforgeError, match="^level must be"):
        warnings(firms_engine, 2023, level="blue")


def test_review_rescreens_expiring_designations(firms_engine):
    r = review(firms_engine, 2024)
    d = r.to_dict()
    assert d["rules"] == "2022"
    by = {(f["uscc"], f["kind"]): f for f in d["firms"]}
    # Little Giant designations expiring 2024-06-30; SRDI ones expire in 2025
    assert set(k for _u, k in by) == {"little_giant"}
    assert by[("OK", "little_giant")]["outcome"] == "pass"
    assert {f["condition"] for f in by[("SLIP", "little_giant")]["failed"]} >= {"niche_share", "class1_ip"}
    assert by[("CREDIT", "little_giant")]["failed"][0]["condition"] == "veto.major_incident"
    assert by[("NOFIG", "little_giant")]["outcome"] == "insufficient_data"
    assert by[("NOFIG", "little_giant")]["missing"] == ["enterprise_years (2023)"]


def test_the_review_of_one_tier_is_the_whole_review_filtered(demo_db):
    """``review(kind=)`` (the tiers page asks for its tier only) screens that tier's designations
    alone and gives exactly the whole review's rows of that tier."""
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(demo_db, read_only=True) as e:
        whole = review(e, 2025).to_dict()
        kinds = {f["kind"] for f in whole["firms"]}
        assert len(kinds) >= 2   # the demo has expiring designations of several tiers
        for kind in kinds:
            one = review(e, 2025, kind=kind).to_dict()
            assert one["firms"] == [f for f in whole["firms"] if f["kind"] == kind] != []
        assert review(e, 2025, kind="no_such_tier").to_dict()["firms"] == []


def test_warnings_read_the_designated_firms_features_only_with_the_same_result(demo_db):
    """``warning_frame`` computes the features of the firms ever designated only; the frame equals
    the one computed from every firm's features."""
    from reforge.engine import DuckDBEngine
    from reforge.firms.screen import prepare_features
    from reforge.firms.warnings import warning_frame
    with DuckDBEngine(demo_db, read_only=True) as e:
        years = [2023, 2024]
        everyone = prepare_features(e, [y + 1 for y in years])
        full = warning_frame(e, years, features=everyone)
        assert e.count(everyone) > e.fetch_scalar("SELECT COUNT(DISTINCT uscc) FROM designations")
        pd.testing.assert_frame_equal(warning_frame(e, years), full)
        assert len(full) > 100


def test_review_in_2026_uses_the_2022_standard():
    from reforge.firms.review import review_rules
    assert review_rules(2026).id == "2022"
    assert review_rules(2025).id == "2022"


def test_profile(duck):
    put_tables(duck, tables(_firms()))
    p = profile(duck, "SLIP")
    assert p["identity"]["province_code"] == "320000"
    assert [d["kind"] for d in p["designations"]] == ["little_giant", "srdi_sme"]
    assert set(p["screening"]) == {"innovative_sme", "srdi_sme", "little_giant", "single_champion"}
    assert p["screening"]["little_giant"]["year"] == 2024
    assert p["screening"]["little_giant"]["outcome"] == "fail"
    assert p["warnings"]["level"] == "red"
    with pytest.raises(ReforgeError, match="no enterprise with uscc NOPE"):
        profile(duck, "NOPE")


def test_cohorts_track_share_passing(duck, tmp_path):
    put_tables(duck, tables(_firms()))
    t = cohorts(duck, "little_giant")
    f = t.to_frame()
    assert list(f.columns[:4]) == ["tier", "cohort", "year", "firms"]
    row = f[(f.cohort == 2021) & (f.year == 2023)].iloc[0]
    # OK passes with 2023 figures; SLIP, RDFALL fail, CREDIT vetoed
    assert row.firms == 4 and row.passing == 1 and row.share_passing == pytest.approx(0.25)
    assert (row.green, row.amber, row.red) == (1, 1, 2)
    assert row.median_main_share == pytest.approx(0.7)
    fig = t.plot(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert fig is not None
