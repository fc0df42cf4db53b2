"""A small appraisal database in a real DuckDB file: 3 appraisals, 4 experts with roles,
scores, pairwise judgments, and supply links that plant conflicts of interest."""

from __future__ import annotations

import numpy as np
import pytest

APPLICANT = "91320000000000001A"   # applicant of AP1
SUPPLIER = "91320000000000002B"    # supplies AP1's applicant
BUYER = "91320000000000003C"       # buys from AP1's applicant
OTHER = "91320000000000004D"
CRITERIA = ("novelty", "reliability", "market")
# downstream users care for reliability, academics for novelty
DOWN = np.outer([0.2, 0.6, 0.2], 1 / np.array([0.2, 0.6, 0.2]))
ACAD = np.outer([0.6, 0.2, 0.2], 1 / np.array([0.6, 0.2, 0.2]))
BAD = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])


def fill(e) -> None:
    """Insert the fixture rows (bound values)."""
    for u in (APPLICANT, SUPPLIER, BUYER, OTHER):
        e.execute("INSERT INTO enterprises (uscc, name, province_code, industry_code) VALUES (?, ?, '320000', '3484')",
                  [u, f"firm {u[-2:]}"])
    e.execute("INSERT INTO institutions (institution_id, name, kind) VALUES ('I1', 'Uni 1', 'university'), "
              "('I2', 'Uni 2', 'university')")
    experts = [("E1", "Down A", "bearing", None, 1.0, "downstream_user", OTHER),
               ("E2", "Acad A", "bearing", "I1", 1.0, "academic", None),
               ("E3", "Acad B", "motor", "I2", 1.0, "academic", None),
               ("E4", "Messy", "motor", None, 1.0, "key_part_expert", None)]
    for r in experts:
        e.execute("INSERT INTO experts (expert_id, name, field, institution_id, weight, role, uscc) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)", list(r))
    for aid, uscc, title in (("AP1", APPLICANT, "bearing"), ("AP2", OTHER, "spindle"), ("AP3", None, "motor")):
        e.execute("INSERT INTO appraisals VALUES (?, ?, 'new_product', ?, NULL, 2025)", [aid, uscc, title])
    # AP1 strong on novelty, AP2 on reliability, AP3 middling; the downstream user scores reliability up
    base = {"AP1": (90, 60, 70), "AP2": (60, 90, 70), "AP3": (75, 75, 60)}
    for aid, vals in base.items():
        for eid, bump in (("E1", 0), ("E2", 0), ("E3", 0), ("E4", 0)):
            for c, v in zip(CRITERIA, vals, strict=True):
                e.execute("INSERT INTO appraisal_scores VALUES (?, ?, ?, ?)", [aid, eid, c, float(v + bump)])
    for eid, m in (("E1", DOWN), ("E2", ACAD), ("E3", ACAD), ("E4", BAD)):
        for i in range(3):
            for j in range(i + 1, 3):
                e.execute("INSERT INTO appraisal_judgments VALUES ('AP1', ?, ?, ?, ?, NULL)",
                          [eid, CRITERIA[i], CRITERIA[j], float(m[i, j])])
    e.execute("INSERT INTO supply_links VALUES (?, 'enterprise', ?, 'x', 2024, 10.0, 'observed', 1.0, NULL)",
              [SUPPLIER, APPLICANT])
    e.execute("INSERT INTO supply_links VALUES (?, 'enterprise', ?, 'x', 2024, 10.0, 'observed', 1.0, NULL)",
              [APPLICANT, BUYER])


@pytest.fixture
def adb(tmp_path):
    """A DuckDB file with the schema and the fixture rows (engine open for writing)."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    e = DuckDBEngine(tmp_path / "appraise.duckdb")
    ensure_schema(e)
    fill(e)
    yield e
    e.close()
