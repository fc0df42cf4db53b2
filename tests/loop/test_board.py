"""The board of one item on the hand-made database: every step filled for item A, every step empty
for item Z (each with its coded "what is missing" and "what fills it" in both languages), scoping."""

from __future__ import annotations

import re

import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput, NotFound
from reforge.loop.board import board
from reforge.loop.project_result import STEP_KEYS
from reforge.messages import render
from tests.loop.projects_data import AS_OF, F2, F4, F5, make_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("loop_board") / "b.duckdb")


@pytest.fixture(scope="module")
def full(db):
    with DuckDBEngine(db, read_only=True) as e:
        return board(e, "A", AS_OF)


def test_every_step_filled_for_a(full):
    b = full
    assert [s.key for s in b.steps] == list(STEP_KEYS)
    assert [s.key for s in b.steps if not s.filled] == ["consortium"]  # the only maker has no credit rating
    why = b.step("why").rows
    assert [(r["chain_id"], r["label"]) for r in why] == [("C1", "chokepoint"), ("C2", "chokepoint")]
    assert why[0]["domestic_share"] == pytest.approx(0.2) and why[0]["top_country"] == "JP"
    assert "chain.reason.chokepoint" in [c["code"] for c in why[0]["reason_codes"]]
    assert why[0]["margin"]["metric"] in ("import_dependence", "top_country_share", "downstream_reach",
                                          "domestic_share", "tech_gap")
    mk = b.step("makers").rows
    assert [(r["uscc"], r["tech_level"]) for r in mk] == [(F2, 3)]
    assert [n.code for n in b.step("makers").notes] == ["loop.projects.note.no_credit_model"]
    m = b.step("matching").rows
    assert len(m) == 1 and m[0]["n_demands"] == 1 and m[0]["demand_value"] == 50 and m[0]["degree"] == 1.0
    pr = {p["project_id"]: p for p in b.step("projects").rows}
    assert sorted(pr) == ["P1", "P2"]  # P3 targets B only
    p2 = {x["milestone_id"]: x for x in pr["P2"]["milestones"]}
    assert (p2["M1"]["overdue"], p2["M1"]["days_overdue"]) == (True, 365)
    assert not p2["M2"]["overdue"] and not p2["M3"]["overdue"]  # not due / cancelled
    p1 = {x["milestone_id"]: x for x in pr["P1"]["milestones"]}
    assert p1["M2"]["overdue"] and not p1["M1"]["overdue"]  # done after AS_OF counts as overdue on AS_OF
    assert pr["P1"]["budget"] == 150 and pr["P2"]["n_partners"] == 2
    assert [r["appraisal_id"] for r in b.step("appraisals").rows] == ["AP1"]
    ad = b.step("adoption").rows
    assert [(r["year"], r["domestic_value"], r["domestic_share"]) for r in ad] == [(2023, 10, 0.1), (2024, 20, 0.2)]
    assert [n.code for n in b.step("adoption").notes] == ["loop.projects.note.adoption_growing"]
    tr = b.step("trend").rows
    assert [(r["chain_id"], r["year"], r["label"]) for r in tr] == [
        ("C1", 2023, "chokepoint"), ("C1", 2024, "chokepoint"), ("C2", 2023, "chokepoint"), ("C2", 2024, "chokepoint")]
    # the joint-research capability's proposal says why there is no consortium: the one maker (F2)
    # has no tax rating, below the default floor B
    c = b.step("consortium")
    assert c.missing.code == "research.proposal.no_lead" and c.missing.params["excluded"] == 1
    assert c.action.code == "loop.board.action.consortium" and c.link == "/research"
    b.model()


def test_consortium_step_is_the_research_proposal(db, tmp_path):
    """With the maker rated A (tax rating) and an institution working on the item, the board's
    consortium step is the joint-research proposal for the item, parts and all."""
    import shutil

    from reforge.research.partners import propose_partners
    p = tmp_path / "rated.duckdb"
    shutil.copy(db, p)
    with DuckDBEngine(p) as e:
        e.execute("INSERT INTO credit_records (record_id, uscc, kind, value, recorded_on) "
                  "VALUES ('R-TAX-1', ?, 'tax_rating', 'A', DATE '2024-04-01')", [F2])
        e.execute("INSERT INTO institutions (institution_id, name, kind, province_code) "
                  "VALUES ('I9', '甲研究所', 'institute', '320000')")
        e.execute("INSERT INTO institution_fields (institution_id, field, strength) VALUES ('I9', 'A', 0.8)")
    with DuckDBEngine(p, read_only=True) as e:
        c = board(e, "A", AS_OF).step("consortium")
        want = [q for q in propose_partners(e, item="A", as_of=AS_OF, include_demands=False).to_dict()["proposals"]
                if q["source"] == "item"]
    assert c.filled and c.rows == want
    row = c.rows[0]
    assert row["lead"]["id"] == F2 and [m["id"] for m in row["institutions"]] == ["I9"]
    assert row["score"] == pytest.approx(sum(x["points"] for x in row["parts"]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_step_empty_for_z_says_what_is_missing(db, lang):
    with DuckDBEngine(db, read_only=True) as e:
        b = board(e, "Z", AS_OF)
    assert [s.filled for s in b.steps] == [False] * len(STEP_KEYS)
    for s in b.steps:  # the consortium step gives the joint-research capability's own reason
        want = ("research.proposal.no_lead",) if s.key == "consortium" else (f"loop.board.missing.{s.key}",)
        assert s.rows == [] and s.missing.code in want
        assert s.action.code == f"loop.board.action.{s.key}"
        for msg in (s.missing, s.action):
            text = msg.render(lang)
            assert text and "{" not in text and not text.startswith("loop.")
            if lang == "zh":
                assert re.search(r"[\u4e00-\u9fff]", text)
    text = b.summary(lang)
    assert "loop." not in text
    d = b.to_dict()
    assert all(s["missing"]["code"].startswith(("loop.board.missing.", "research.proposal.")) for s in d["steps"])


def test_scoping_and_errors(db, tmp_path):
    with DuckDBEngine(db, read_only=True) as e:
        s = board(e, "A", AS_OF, scope=F5)  # F5 leads only P3 (B, cancelled) and P9 (S)
        assert not s.step("projects").filled and s.step("projects").missing.code == "loop.board.missing.projects"
        assert all(r["grade"] is None for r in s.step("makers").rows)
        assert [n.code for n in s.step("makers").notes] == ["loop.projects.note.grades_hidden"]
        s9 = board(e, "S", AS_OF, scope=F5)
        assert [p["project_id"] for p in s9.step("projects").rows] == ["P9"]
        assert board(e, "S", AS_OF, scope=F4).step("projects").filled is False
        with pytest.raises(NotFound) as ei:
            board(e, "nope", AS_OF)
        assert ei.value.code == "loop.board.item_not_found"
        with pytest.raises(InvalidInput):
            board(e, "A", "2025-02-30")
    assert render("loop.board.missing.why", {"item": "Z"}, "zh") == "产品 Z 不属于任何产业链，没有瓶颈标签"
