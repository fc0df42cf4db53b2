"""Panel builder: planted conflicts never get in, quotas and independence hold, reasons are codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.appraise import build_panel, load_roles
from reforge.appraise.panel import propose
from reforge.errors import InvalidInput, NotFound
from reforge.messages import render
from tests.appraise.conftest import APPLICANT, BUYER, OTHER, SUPPLIER


def _codes(seat):
    return [m.code for m in seat.reasons]


def test_fixture_panel_and_reasons(adb):
    adb.execute("UPDATE experts SET uscc = ? WHERE expert_id = 'E4'", [SUPPLIER])
    r = build_panel(adb, "AP1", fields=["bearing", "motor"])
    seats = {s.expert_id: s for s in r.seats}
    assert _codes(seats["E4"]) == ["appraise.panel.out.supplier"] and not seats["E4"].selected
    assert {s.expert_id for s in r.members} == {"E1", "E2", "E3"}
    assert "appraise.panel.in.field" in _codes(seats["E3"])  # the only clean motor expert
    assert [n.code for n in r.notes] == ["appraise.panel.note.quota_short"]
    assert r.notes[0].params == {"role": "key_part_expert", "min": 1, "got": 0}
    d = r.to_dict()
    assert d["others"][0]["reasons"][0] == {"code": "appraise.panel.out.supplier", "params": {"uscc": SUPPLIER},
                                            "text": f"conflict of interest: employer {SUPPLIER} supplies the applicant"}
    assert render("appraise.panel.out.supplier", {"uscc": SUPPLIER}, "zh").startswith("利益冲突")
    r.model()
    assert "E4" in r.summary() and len(r.to_frame()) == 4
    # AP2's applicant employs E1: same enterprise
    seats2 = {s.expert_id: s for s in build_panel(adb, "AP2").seats}
    assert _codes(seats2["E1"]) == ["appraise.panel.out.same_enterprise"]
    adb.execute("UPDATE experts SET uscc = ? WHERE expert_id = 'E2'", [BUYER])
    seats3 = {s.expert_id: s for s in build_panel(adb, "AP1").seats}
    assert _codes(seats3["E2"]) == ["appraise.panel.out.buyer"]
    with pytest.raises(NotFound):
        build_panel(adb, "nope")
    with pytest.raises(InvalidInput):
        build_panel(adb, "AP1", size=99)


def _brute_force_conflicted(experts, links, applicant):
    """Experts whose employer is the applicant or traded with it, by a plain Python scan."""
    partners = {s for s, b in links if b == applicant} | {b for s, b in links if s == applicant}
    return {e["expert_id"] for e in experts if e["uscc"] is not None and (e["uscc"] == applicant or e["uscc"] in partners)}


@pytest.mark.parametrize("seed", range(12))
def test_planted_conflicts_never_sit_on_a_panel(seed, tmp_path):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    rng = np.random.default_rng(seed)
    firms = [f"9132000000000{i:04d}X" for i in range(12)]
    roles = ["downstream_user", "key_part_expert", "academic", "government", "finance", None]
    experts = [{"expert_id": f"E{i:02d}", "name": f"n{i}", "field": str(rng.choice(["a", "b", "c", "d"])),
                "institution_id": str(rng.choice(["I1", "I2", "I3", "I4", "I5"])) if rng.random() < 0.5 else None,
                "weight": float(rng.uniform(0.5, 2)), "role": roles[int(rng.integers(0, 6))],
                "uscc": str(rng.choice(firms)) if rng.random() < 0.8 else None} for i in range(30)]
    links = {(str(rng.choice(firms)), str(rng.choice(firms))) for _ in range(25)}
    applicant = firms[int(rng.integers(0, 12))]
    with DuckDBEngine(tmp_path / "p.duckdb") as e:
        ensure_schema(e)
        for u in firms:
            e.execute("INSERT INTO enterprises (uscc, name, province_code, industry_code) VALUES (?, 'f', '320000', '3484')", [u])
        e.execute("INSERT INTO institutions (institution_id, name, kind) SELECT 'I' || i, 'x', 'lab' FROM range(1, 6) t(i)")
        for x in experts:
            e.execute("INSERT INTO experts (expert_id, name, field, institution_id, weight, role, uscc) "
                      "VALUES ($expert_id, $name, $field, $institution_id, $weight, $role, $uscc)", x)
        e.execute("INSERT INTO appraisals VALUES ('A', ?, 'first_set', 't', 'a', 2025)", [applicant])
        for s, b in links:
            e.execute("INSERT INTO supply_links VALUES (?, 'enterprise', ?, 'x', 2024, 1.0, 'observed', 1.0, NULL)",
                      [s, b])
        size = int(rng.integers(3, 9))
        r = build_panel(e, "A", size=size, fields=["b", "c"])
    bad = _brute_force_conflicted(experts, links, applicant)
    members = r.members
    assert not bad & {s.expert_id for s in members}
    by_id = {x["expert_id"]: x for x in experts}
    insts = [by_id[s.expert_id]["institution_id"] for s in members if by_id[s.expert_id]["institution_id"]]
    emps = [by_id[s.expert_id]["uscc"] for s in members if by_id[s.expert_id]["uscc"]]
    assert len(insts) == len(set(insts)) and len(emps) == len(set(emps))
    quotas = load_roles().quotas
    counts = pd.Series([s.role for s in members]).value_counts()
    assert all(counts.get(role, 0) <= q.max for role, q in quotas.items()) and None not in set(counts.index)
    assert len(members) <= size
    for s in r.seats:  # everyone has a reason; every conflicted expert says which conflict
        assert s.reasons
        if s.expert_id in bad:
            assert {m.code for m in s.reasons} & {"appraise.panel.out.same_enterprise", "appraise.panel.out.supplier",
                                                   "appraise.panel.out.buyer"}


def test_greedy_prefers_field_coverage_then_voice():
    rules = load_roles()
    ex = pd.DataFrame([
        {"expert_id": "A", "name": "", "field": "x", "institution_id": None, "weight": 3.0, "role": "academic", "uscc": None},
        {"expert_id": "B", "name": "", "field": "y", "institution_id": None, "weight": 1.0, "role": "academic", "uscc": None},
        {"expert_id": "C", "name": "", "field": "x", "institution_id": None, "weight": 2.0, "role": "academic", "uscc": None},
    ])
    seats, _ = propose(ex, rules, None, {}, ["y"], size=2)
    assert [s.expert_id for s in seats if s.selected] == ["B", "A"]  # B covers y; then A's voice beats C's
    c = next(s for s in seats if s.expert_id == "C")
    assert [m.code for m in c.reasons] == ["appraise.panel.out.quota_full"]  # academic max 2
    ex.loc[0, "uscc"] = OTHER  # A's employer buys from the applicant: C takes the seat
    seats, _ = propose(ex, rules, APPLICANT, {OTHER: {"buyer"}}, [], size=1)
    assert [s.expert_id for s in seats if s.selected] == ["C"]
    a = next(s for s in seats if s.expert_id == "A")
    assert [m.code for m in a.reasons] == ["appraise.panel.out.buyer"]
