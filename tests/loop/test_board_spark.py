"""The board's own SQL on Spark gives what it gives on DuckDB (hand-made project database).

Parity covers the steps the board computes with its own queries (``reforge.loop.projects_sql``):
the item and its chains, the link years, ``makers`` (producers; no credit model is stored, so both
engines add the same note), ``projects`` (with milestones and overdue ones, for an analyst and for
an enterprise scope), ``appraisals`` and ``adoption``. The other steps hand over to other
capabilities and are left out (a whole board is ~100 Spark queries): ``why`` and ``trend`` are
:func:`reforge.chain.bottlenecks` (Spark-tested in tests/chain/test_demo.py); ``matching``
(:func:`reforge.match.matching_degree`), ``consortium`` (:func:`reforge.research.partners.propose_partners`)
and credit grades (:func:`reforge.credit.score`) have no Spark test yet (see docs/loop-projects.md).
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.loop import board as b
from reforge.loop import projects_sql as q
from tests.conftest import put_tables
from tests.loop.projects_data import AS_OF, F1, make_db

pytestmark = pytest.mark.spark

TABLES = ("items", "chains", "chain_items", "enterprises", "capabilities", "supply_links", "appraisals", "projects",
          "project_items", "project_partners", "project_budget", "project_milestones", "project_outputs")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("loop_board_spark") / "b.duckdb")


def _plain(v):
    """Engine-neutral form: dates as ISO days, floats rounded, containers recursively."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, pd.Timestamp | _dt.datetime):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 9)
    return v


def _steps(e) -> dict:
    steps = (b._makers(e, "A", 2024, None), b._projects(e, "A", AS_OF, None), b._projects(e, "S", AS_OF, F1),
             b._appraisals(e, "A"), b._adoption(e, "A"), b._projects(e, "D", AS_OF, None),
             # a region's view (issue 19): every firm is in Jiangsu (320000), none in Beijing (110000)
             b._projects(e, "A", AS_OF, None, "320000"), b._projects(e, "A", AS_OF, None, "110000"),
             b._appraisals(e, "A", "110000"), b._adoption(e, "A", "320000"), b._adoption(e, "A", "110000"))
    return {"item": _plain(q.item(e, "A").to_dict("records")), "chains": _plain(q.item_chains(e, "A").to_dict("records")),
            "years": q.link_years(e), "steps": [_plain(s.to_dict()) for s in steps]}


def test_board_sql_steps_same_on_spark(db, spark_engine):
    with DuckDBEngine(db, read_only=True) as e:
        frames = {t: e.fetch_df(f"SELECT * FROM {t}") for t in TABLES}
        want = _steps(e)
    put_tables(spark_engine, frames)
    try:
        got = _steps(spark_engine)
    finally:
        for n in list(spark_engine._temps):
            spark_engine.drop(n)
    assert got == want
    # and the values are the hand-made ones (so that both engines agreeing on nothing cannot pass)
    assert want["years"] == [2023, 2024] and [c["chain_id"] for c in want["chains"]] == ["C1", "C2"]
    makers, projects, other, appraisals, adoption, nobody, jiangsu, beijing, no_appraisal, js_adoption, \
        no_adoption = want["steps"]
    assert jiangsu == projects and js_adoption == adoption
    assert [s["rows"] for s in (beijing, no_appraisal, no_adoption)] == [[], [], []]
    assert [r["uscc"] for r in makers["rows"]] == ["91320000000000002B"]
    assert [p["project_id"] for p in projects["rows"]] == ["P1", "P2"]
    p2 = next(p for p in projects["rows"] if p["project_id"] == "P2")
    assert [(m["milestone_id"], m["overdue"]) for m in p2["milestones"]] == [("M1", True), ("M3", False), ("M2", False)]
    assert other["rows"] == [] and other["missing"]["code"] == "loop.board.missing.projects"  # P9 is not F1's
    assert [r["appraisal_id"] for r in appraisals["rows"]] == ["AP1"]
    assert [(r["year"], r["domestic_value"], r["total_value"]) for r in adoption["rows"]] == [(2023, 10, 100),
                                                                                              (2024, 20, 100)]
    assert nobody["rows"] == [] and nobody["action"]["code"] == "loop.board.action.projects"
