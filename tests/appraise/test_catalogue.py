"""Catalogue rules decide hand-made twins (one passing, one failing per rule); insurance by hand."""

from __future__ import annotations

import pytest

from reforge.appraise.catalogue import eligibility, insurance, load_catalogue
from reforge.errors import InvalidInput
from reforge.messages import render

GOOD = {
    "first_set": {"breakthrough": True, "own_ip": True, "prior_sales": 0, "unit_index": 3, "in_catalogue": True},
    "first_batch": {"in_catalogue": True, "years_since_first_purchase": 0},
    "first_version": {"own_ip": True, "breakthrough": True, "first_sale_of_version": True, "rd_spend": 1_000_000,
                      "test_report": True},
}
# the failing twin of each rule: the good product with just that field changed
BAD = {"breakthrough": False, "own_ip": False, "prior_sales": 1, "unit_index": 4, "in_catalogue": False,
       "years_since_first_purchase": 1, "first_sale_of_version": False, "rd_spend": 999_999.0, "test_report": False}

CASES = [(kind, r.id, r.field) for kind, k in load_catalogue().kinds.items() for r in k.rules]


def test_every_rule_has_a_source_and_confidence():
    assert len(CASES) == 12
    for k in load_catalogue().kinds.values():
        assert k.source and all(r.source and r.confidence in "ABC" for r in k.rules)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_passing_product_is_eligible(kind):
    e = eligibility(kind, GOOD[kind])
    assert e["decision"] == "eligible" and {r["outcome"] for r in e["rules"]} == {"pass"}
    assert all(m.code == "appraise.catalogue.pass" for m in e["reasons"])


@pytest.mark.parametrize("kind, rule, field", CASES)
def test_each_rule_fails_its_twin_and_only_that_rule(kind, rule, field):
    twin = {**GOOD[kind], field: BAD[field]}
    e = eligibility(kind, twin)
    assert e["decision"] == "not_eligible"
    assert [r["id"] for r in e["rules"] if r["outcome"] == "fail"] == [rule]
    missing = {k: v for k, v in GOOD[kind].items() if k != field}
    m = eligibility(kind, missing)
    assert m["decision"] == "incomplete" and [r["id"] for r in m["rules"] if r["outcome"] == "missing"] == [rule]


def test_reasons_render_in_both_languages():
    e = eligibility("first_set", {**GOOD["first_set"], "unit_index": 4})
    fail = next(m for m in e["reasons"] if m.code == "appraise.catalogue.fail")
    assert "first_three_units" in str(fail) and "first_three_units" in fail.render("zh")
    assert render("appraise.catalogue.fail", fail.params, "zh") != str(fail)
    assert eligibility("first_set", {**GOOD["first_set"], "unit_index": "three"})["decision"] == "incomplete"
    assert eligibility("first_set", {**GOOD["first_set"], "prior_sales": True})["decision"] == "incomplete"
    with pytest.raises(InvalidInput):
        eligibility("second_set", {})


def test_first_set_insurance_by_hand():
    # 10m yuan insured at 2.5% for 4 years: premium 250k/yr; subsidy 80% for 3 years = 600k
    r = insurance("first_set", 10_000_000, 0.025, years=4)
    assert r["premium_per_year"] == pytest.approx(250_000) and r["subsidy_per_year"] == pytest.approx(200_000)
    assert r["years_subsidised"] == 3 and r["total_subsidy"] == pytest.approx(600_000)
    assert r["enterprise_pays"] == pytest.approx(1_000_000 - 600_000)
    assert [n.code for n in r["notes"]] == ["appraise.insurance.years_capped"]
    # a 4% rate: the subsidy is computed on the capped 3% (80% x 300k = 240k), the firm pays the rest
    r = insurance("first_set", 10_000_000, 0.04)
    assert r["subsidy_per_year"] == pytest.approx(240_000) and r["enterprise_pays"] == pytest.approx(160_000)
    assert r["notes"][0].code == "appraise.insurance.rate_capped"


def test_first_batch_liability_caps_by_hand():
    r = insurance("first_batch", 2_000_000, 0.02, contract_value=50_000_000, liability=400_000_000)
    assert r["liability"] == pytest.approx(250_000_000)  # 5 x contract value
    r = insurance("first_batch", 2_000_000, 0.02, contract_value=200_000_000, liability=900_000_000)
    assert r["liability"] == pytest.approx(500_000_000)  # the 500m cap
    r = insurance("first_batch", 2_000_000, 0.02, contract_value=200_000_000, liability=100_000_000)
    assert r["liability"] == pytest.approx(100_000_000) and r["notes"] == []
    assert r["total_subsidy"] == pytest.approx(0.8 * 40_000)


@pytest.mark.parametrize("kw", [{"insured_value": -1}, {"rate": 1.5}, {"rate": float("nan")}, {"years": 0},
                                {"liability": float("inf")}])
def test_bad_insurance_inputs(kw):
    args = {"insured_value": 1e6, "rate": 0.02, **kw}
    with pytest.raises(InvalidInput):
        insurance("first_set", **args)
    with pytest.raises(InvalidInput):
        insurance("first_version", 1e6, 0.02)
