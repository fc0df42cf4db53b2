"""Consortium proposals on a hand-made database: the lead, every score part by hand, exclusions."""

from __future__ import annotations

import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput, NotFound
from reforge.messages import render
from reforge.research import propose_partners
from reforge.research.params import PARTS
from tests.research.handmade import AS_OF, LABELS, U, handmade_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = handmade_db(tmp_path_factory.mktemp("research") / "h.duckdb")
    with DuckDBEngine(path, read_only=True) as e:
        yield e


def test_lead_and_every_part_by_hand(db):
    res = propose_partners(db, "X", AS_OF, labels=LABELS)
    (p,) = res.proposals
    assert p["lead"]["id"] == U["B"] and p["lead"]["detail"]["grade"] == "A"
    parts = {x["part"]: x for x in p["parts"]}
    assert tuple(parts) == PARTS
    # hand values: fit 1; credit A with floor B on A,B,M,C,D = (1 - 0 + 1) / (1 + 1) = 1; Little Giant;
    # institutions I2 (0.4 + 2 * 1/3 = 1.067) then I1 (0.9 + 0.5 same province = 1.4): mean 0.65;
    # past 1 of 2; open platform; one adopter (G is excluded) = 1/3
    want = {"lead_fit": 1.0, "lead_credit": 1.0, "lead_tier": 1.0, "institutions": 0.65,
            "past_collaboration": 0.5, "platform": 1.0, "adopters": 1 / 3}
    for k, v in want.items():
        assert parts[k]["value"] == pytest.approx(v, abs=1e-6), k
    assert p["score"] == pytest.approx(0.2 + 0.2 + 0.1 + 0.2 * 0.65 + 0.1 * 0.5 + 0.1 + 0.1 / 3, abs=1e-6)
    assert [m["id"] for m in p["institutions"]] == ["I1", "I2"]
    assert p["institutions"][0]["detail"]["link_score"] == pytest.approx(1.4)
    assert p["institutions"][1]["detail"]["link_score"] == pytest.approx(0.4 + 2 / 3)
    assert p["platform"]["id"] == "P1" and [m["id"] for m in p["adopters"]] == [U["F"]]
    # every part is explained, in both languages, with every placeholder filled
    for x in p["parts"]:
        for lg in ("en", "zh"):
            text = x["reason"].render(lg)
            assert text and "{" not in text, (x["part"], lg, text)
    assert "一号平台" in parts["platform"]["reason"].render("zh")
    assert parts["lead_tier"]["reason"].render("zh") == "牵头企业为专精特新“小巨人”企业"


def test_exclusions_with_reasons(db):
    (p,) = propose_partners(db, "X", AS_OF, labels=LABELS).proposals
    ex = {(m["id"], m["role"]): m["detail"]["reason"] for m in p["excluded"]}
    assert ex[(U["A"], "lead")].code == "research.exclude.record"
    assert ex[(U["A"], "lead")].render("zh") == "排除：存在有效的严重失信记录"
    assert ex[(U["C"], "lead")].code == "research.exclude.credit_floor"
    assert ex[(U["D"], "lead")].code == "research.exclude.no_grade"
    assert ex[(U["G"], "adopter")].render("en") == "excluded: active abnormal operation record"
    assert (U["E"], "lead") not in ex  # E is eligible (near fit, tax B) but scores lower than B


def test_never_proposes_a_firm_under_an_active_dishonesty_record(db):
    # on 2024-10-01 B's dishonest-debtor record is active and A's is not yet recorded: A leads
    early = propose_partners(db, "X", "2024-10-01", labels=LABELS).proposals[0]
    assert early["lead"]["id"] == U["A"]
    assert any(m["id"] == U["B"] and m["detail"]["reason"].code == "research.exclude.record"
               for m in early["excluded"])
    # before any tax rating is published nobody has a grade: no lead at all, each one said why
    none = propose_partners(db, "X", "2023-06-30", labels=LABELS).proposals[0]
    assert none["lead"] is None and none["status"].code == "research.proposal.no_lead"
    assert {m["detail"]["reason"].code for m in none["excluded"] if m["role"] == "lead"} == {"research.exclude.no_grade"}
    for day in ("2024-10-01", AS_OF):
        active = set(db.fetch_df(
            "SELECT uscc FROM credit_records WHERE kind IN ('serious_dishonesty', 'dishonest_debtor', "
            "'abnormal_operation') AND recorded_on <= CAST(? AS DATE) AND (expires_on IS NULL OR "
            "expires_on > CAST(? AS DATE))", [day, day])["uscc"])
        assert active
        for p in propose_partners(db, "X", day, labels=LABELS).proposals:
            members = [p["lead"]] + p["adopters"] if p["lead"] else p["adopters"]
            assert not {m["id"] for m in members} & active


def test_floor_and_bad_input(db):
    # floor A: B qualifies with credit 1/1; floor C lets C in, but B still leads
    p = propose_partners(db, "X", AS_OF, credit_floor="A", labels=LABELS).proposals[0]
    assert p["lead"]["id"] == U["B"]
    assert next(x for x in p["parts"] if x["part"] == "lead_credit")["value"] == 1.0
    assert all(m["id"] != U["E"] or m["detail"]["reason"].code == "research.exclude.credit_floor"
               for m in p["excluded"])
    with pytest.raises(InvalidInput) as e:
        propose_partners(db, "X", AS_OF, credit_floor="Z", labels=LABELS)
    assert e.value.code == "research.bad_floor"
    with pytest.raises(NotFound):
        propose_partners(db, "nope'; DROP TABLE items; --", AS_OF, labels=LABELS)
    with pytest.raises(InvalidInput):
        propose_partners(db, "X", "yesterday", labels=LABELS)
    assert render("research.bad_floor", {"value": "Z", "grades": ["A", "B"]}, "zh").startswith("信用等级下限")
