"""Every band of the innovative-SME (CRITERIA §1.1) and SRDI SME (§1.2) points tables,
hit by a hand-made firm with the points the criteria table gives (boundaries take
the higher band). The base firm has revenue 100m CNY and 200 employees in 2023."""

from __future__ import annotations

import pytest

from reforge.firms import screen
from reforge.firms.screen import prepare_features
from tests.conftest import put_tables
from tests.firms.factory import YEAR, lg_exact, tables, twin

IP = dict(class1_ip_high_value=0, class1_ip_self=0, class1_ip=0, class2_ip=0)


def _growth(g: float) -> dict:
    """Main-business revenue growing by g in 2022 and in 2023 (average of the 2 years = g)."""
    x = 5e7
    return dict(y2021=dict(main_business_revenue=x), y2022=dict(main_business_revenue=x * (1 + g)),
                y2023=dict(main_business_revenue=x * (1 + g) ** 2))


def _y(**kw) -> dict:
    return dict(y2023=kw)


# (tier, indicator, changes, expected points)
CASES: list[tuple[str, str, dict, float]] = [
    # ---- innovative SME 2022
    ("innovative_sme", "ip", _y(**dict(IP, class1_ip_high_value=1, class1_ip_self=1, class1_ip=1)), 20),
    ("innovative_sme", "ip", _y(**dict(IP, class1_ip_self=1, class1_ip=1)), 15),
    ("innovative_sme", "ip", _y(**dict(IP, class1_ip=1)), 10),
    ("innovative_sme", "ip", _y(**dict(IP, class2_ip=1)), 5),
    ("innovative_sme", "ip", _y(**IP), 0),
    ("innovative_sme", "rd_intensity", _y(rd_expense=5e6), 20),
    ("innovative_sme", "rd_intensity", _y(rd_expense=4.99e6), 15),
    ("innovative_sme", "rd_intensity", _y(rd_expense=3e6), 15),
    ("innovative_sme", "rd_intensity", _y(rd_expense=2e6), 10),
    ("innovative_sme", "rd_intensity", _y(rd_expense=1e6), 5),
    ("innovative_sme", "rd_intensity", _y(rd_expense=0.99e6), 0),
    ("innovative_sme", "mb_growth", _y(main_business_revenue=7e7 * 1.15), 20),
    ("innovative_sme", "mb_growth", _y(main_business_revenue=7e7 * 1.10), 15),
    ("innovative_sme", "mb_growth", _y(main_business_revenue=7e7 * 1.05), 10),
    ("innovative_sme", "mb_growth", _y(main_business_revenue=7e7), 5),
    ("innovative_sme", "mb_growth", _y(main_business_revenue=7e7 * 0.99), 0),
    ("innovative_sme", "debt_ratio", _y(total_liabilities=5.5e7), 10),
    ("innovative_sme", "debt_ratio", _y(total_liabilities=5.51e7), 5),
    ("innovative_sme", "debt_ratio", _y(total_liabilities=7.5e7), 5),
    ("innovative_sme", "debt_ratio", _y(total_liabilities=7.51e7), 0),
    ("innovative_sme", "strategic_emerging", dict(firm=dict(strategic_emerging=True)), 10),
    ("innovative_sme", "strategic_emerging", dict(firm=dict(strategic_emerging=False)), 5),
    ("innovative_sme", "main_share", _y(main_business_revenue=7e7), 20),
    ("innovative_sme", "main_share", _y(main_business_revenue=6e7), 15),
    ("innovative_sme", "main_share", _y(main_business_revenue=5.5e7), 10),
    ("innovative_sme", "main_share", _y(main_business_revenue=5e7), 5),
    ("innovative_sme", "main_share", _y(main_business_revenue=4.99e7), 0),
    # ---- SRDI SME 2022
    ("srdi_sme", "main_share", _y(main_business_revenue=8e7), 5),
    ("srdi_sme", "main_share", _y(main_business_revenue=7e7), 3),
    ("srdi_sme", "main_share", _y(main_business_revenue=6e7), 1),
    ("srdi_sme", "main_share", _y(main_business_revenue=5.9e7), 0),
    ("srdi_sme", "mb_growth", _growth(0.10), 10),
    ("srdi_sme", "mb_growth", _growth(0.08), 8),
    ("srdi_sme", "mb_growth", _growth(0.06), 6),
    ("srdi_sme", "mb_growth", _growth(0.04), 4),
    ("srdi_sme", "mb_growth", _growth(0.0), 2),
    ("srdi_sme", "mb_growth", _growth(-0.01), 0),
    ("srdi_sme", "niche_years", _y(niche_years=10), 5),
    ("srdi_sme", "niche_years", _y(niche_years=8), 4),
    ("srdi_sme", "niche_years", _y(niche_years=6), 3),
    ("srdi_sme", "niche_years", _y(niche_years=4), 2),
    ("srdi_sme", "niche_years", _y(niche_years=2), 1),
    ("srdi_sme", "niche_years", _y(niche_years=1.9), 0),
    ("srdi_sme", "field", dict(firm=dict(key_chain_link=True)), 5),
    ("srdi_sme", "field", dict(firm=dict(key_chain_link=False, main_item_id="I_COMP")), 3),
    ("srdi_sme", "field", dict(firm=dict(key_chain_link=False, main_item_id="I_END")), 0),
    ("srdi_sme", "digital_level", _y(digital_level=4), 5),
    ("srdi_sme", "digital_level", _y(digital_level=3), 5),
    ("srdi_sme", "digital_level", _y(digital_level=2), 3),
    ("srdi_sme", "digital_level", _y(digital_level=1), 0),
    ("srdi_sme", "quality", _y(quality_award=False, mgmt_certified=False, own_brand=False, drafted_standards=False), 0),
    ("srdi_sme", "quality", _y(quality_award=True, mgmt_certified=False, own_brand=False, drafted_standards=False), 3),
    ("srdi_sme", "quality", _y(quality_award=True, mgmt_certified=True, own_brand=False, drafted_standards=False), 5),
    ("srdi_sme", "quality", _y(quality_award=True, mgmt_certified=True, own_brand=True, drafted_standards=True), 5),
    ("srdi_sme", "net_margin", _y(net_profit=1e7), 10),
    ("srdi_sme", "net_margin", _y(net_profit=8e6), 8),
    ("srdi_sme", "net_margin", _y(net_profit=6e6), 6),
    ("srdi_sme", "net_margin", _y(net_profit=4e6), 4),
    ("srdi_sme", "net_margin", _y(net_profit=2e6), 2),
    ("srdi_sme", "net_margin", _y(net_profit=1.99e6), 0),
    ("srdi_sme", "debt_ratio", _y(total_liabilities=5e7), 5),
    ("srdi_sme", "debt_ratio", _y(total_liabilities=6e7), 3),
    ("srdi_sme", "debt_ratio", _y(total_liabilities=7e7), 1),
    ("srdi_sme", "debt_ratio", _y(total_liabilities=7.01e7), 0),
    # provincial (#9): default file = strategic emerging 8 + first product 4 + key chain link 3, max 15
    ("srdi_sme", "provincial", dict(firm=dict(strategic_emerging=True, key_chain_link=True)), 11),
    ("srdi_sme", "provincial", dict(firm=dict(strategic_emerging=False, key_chain_link=False)), 0),
    ("srdi_sme", "provincial", dict(firm=dict(strategic_emerging=True, key_chain_link=True),
                                    appraisals=[dict(appraisal_id="A1", kind="first_set", title="t", year=2022)]), 15),
    # Sichuan file: priority industry by code prefix 8, first product 4, key chain link 3
    ("srdi_sme", "provincial", dict(firm=dict(province_code="510000", industry_code="1310", key_chain_link=False)), 8),
    ("srdi_sme", "provincial", dict(firm=dict(province_code="510000", industry_code="4410", key_chain_link=True)), 3),
    ("srdi_sme", "ip", _y(**dict(IP, class1_ip_high_value=1, class1_ip_self=1, class1_ip=1)), 10),
    ("srdi_sme", "ip", _y(**dict(IP, class1_ip_self=1, class1_ip=1)), 8),
    ("srdi_sme", "ip", _y(**dict(IP, class1_ip=1)), 6),
    ("srdi_sme", "ip", _y(**dict(IP, class2_ip=1)), 2),
    ("srdi_sme", "ip", _y(**IP), 0),
    ("srdi_sme", "rd_input", _y(rd_expense=5e6), 10),
    ("srdi_sme", "rd_input", _y(rd_expense=4e6), 8),
    ("srdi_sme", "rd_input", _y(rd_expense=3e6), 6),
    ("srdi_sme", "rd_input", _y(rd_expense=2e6), 4),
    ("srdi_sme", "rd_input", _y(rd_expense=1e6), 2),
    ("srdi_sme", "rd_input", _y(rd_expense=0.5e6), 0),
    # by share of revenue when the amount is small (revenue 10m)
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=1e6), 10),
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=0.8e6), 8),
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=0.6e6), 6),
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=0.4e6), 4),
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=0.3e6), 2),
    ("srdi_sme", "rd_input", _y(revenue=1e7, rd_expense=0.29e6), 0),
    ("srdi_sme", "rd_staff", _y(rd_staff=40), 5),
    ("srdi_sme", "rd_staff", _y(rd_staff=20), 3),
    ("srdi_sme", "rd_staff", _y(rd_staff=10), 1),
    ("srdi_sme", "rd_staff", _y(rd_staff=9), 0),
    ("srdi_sme", "rd_institution", _y(rd_institution_level="national"), 10),
    ("srdi_sme", "rd_institution", _y(rd_institution_level="provincial"), 8),
    ("srdi_sme", "rd_institution", _y(rd_institution_level="city"), 4),
    ("srdi_sme", "rd_institution", _y(rd_institution_level="lower"), 2),
    ("srdi_sme", "rd_institution", _y(rd_institution_level="none"), 0),
    ("srdi_sme", "rd_institution", dict(y2023=dict(rd_institution_level="none"), designations=[
        dict(kind="rd_institution_national", granted_on="2020-01-01", expires_on=None, status="active")]), 10),
]


@pytest.fixture
def points_firms(any_engine):
    base = lg_exact("BASE")
    firms = [twin(base, f"P{i:03d}", **ch) for i, (_t, _ind, ch, _p) in enumerate(CASES)]
    put_tables(any_engine, tables(firms))
    return any_engine


def test_every_band_of_the_points_tables(points_firms):
    feats = prepare_features(points_firms, [YEAR])
    got = {}
    for tier in ("innovative_sme", "srdi_sme"):
        s = screen(points_firms, tier, YEAR, rules="2022", features=feats)
        for e in s.to_dict()["firms"]:
            got[(tier, e["uscc"])] = {k: v for blk in e["points"].values() for k, v in blk.items()}
    bad = []
    for i, (tier, ind, _ch, pts) in enumerate(CASES):
        v = got[(tier, f"P{i:03d}")][ind]
        if v != pytest.approx(pts):
            bad.append((i, tier, ind, pts, v))
    assert not bad, bad


def test_cases_cover_every_band():
    """Every band (and the zero band) of both tables appears among the expected points."""
    from reforge.firms import load_rules
    r = load_rules("2022")
    for tier in ("innovative_sme", "srdi_sme"):
        for ind in r.points_of(tier):
            want = {b.points for bl in ind.bands.values() for b in bl} | {ind.otherwise}
            if ind.kind == "count":
                want = {0, ind.per_item, ind.max_points}
            if ind.kind == "provincial":
                continue
            have = {p for t, i, _c, p in CASES if t == tier and i == ind.id}
            assert want <= have, (tier, ind.id, want - have)


def test_score_is_the_sum_of_points_and_blocks(points_firms):
    s = screen(points_firms, "innovative_sme", YEAR, rules="2022")
    e = s.to_dict()["firms"][0]
    total = sum(v for blk in e["points"].values() for k, v in blk.items() if k != "subtotal")
    assert e["score"] == pytest.approx(total)
    for blk in e["points"].values():
        assert blk["subtotal"] == pytest.approx(sum(v for k, v in blk.items() if k != "subtotal"))
