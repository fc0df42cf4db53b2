"""Stored policy runs (``policy_runs``) and the sample facts of an evaluation, on hand-made data."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import NotFound
from reforge.policy import sample
from reforge.policy.runs import list_runs, load_report, load_run, save_run
from reforge.schema import ensure_schema


@pytest.fixture()
def engine(tmp_path):
    e = DuckDBEngine(tmp_path / "runs.duckdb", read_only=False)
    ensure_schema(e)
    yield e
    e.close()


def test_save_list_load_newest_first_and_hostile_ids(engine):
    a = save_run(engine, "alice", {"programme": "little_giant", "outcomes": ["rd_intensity"], "by": None},
                 {"summary": [{"att": 0.5}]}, "<html>a</html>")
    engine.execute("UPDATE policy_runs SET created_at = created_at - INTERVAL 1 HOUR WHERE run_id = ?", [a["id"]])
    b = save_run(engine, "bob's", {"programme": "x'); DROP TABLE policy_runs; --", "outcomes": ["revenue"]},
                 {"summary": [{"att": float("1e6")}]})
    listed = list_runs(engine)
    assert [r["id"] for r in listed] == [b["id"], a["id"]]  # newest first
    assert listed[0]["username"] == "bob's" and listed[0]["programme"].startswith("x'); DROP")
    assert listed[1]["has_report"] and not listed[0]["has_report"]
    assert listed[1]["created_at"].endswith("+00:00")
    got = load_run(engine, a["id"])
    assert got["result"] == {"summary": [{"att": 0.5}]} and got["params"]["outcomes"] == ["rd_intensity"]
    assert load_report(engine, a["id"]) == "<html>a</html>"
    with pytest.raises(NotFound):
        load_report(engine, b["id"])
    for bad in ("nope", "' OR 1=1 --", "0" * 33, ""):
        with pytest.raises(NotFound):
            load_run(engine, bad)
    rows = engine.fetch_df("SELECT username, params FROM policy_runs ORDER BY created_at")
    assert rows["username"].tolist() == ["alice", "bob's"]
    assert json.loads(rows["params"].iloc[1])["programme"] == "x'); DROP TABLE policy_runs; --"


def test_units_p_values_and_floors():
    assert sample.unit_of("rd_intensity") == {"code": "pp", "scale": 100.0}
    assert sample.unit_of("revenue") == {"code": "yuan", "scale": 1.0}
    assert sample.unit_of("employees")["code"] == "persons" and sample.unit_of("class1_ip")["code"] == "count"
    assert sample.unit_of("niche_market_share") == {"code": "pp", "scale": 100.0}
    assert sample.p_value(1.96, 1.0) == pytest.approx(0.05, abs=1e-4)
    assert sample.p_value(0.3, 0.1) == pytest.approx(math.erfc(3 / math.sqrt(2)))
    assert sample.p_value(1.0, None) is None and sample.p_value(1.0, 0.0) is None


def test_counts_are_the_firms_in_the_estimated_cells():
    """Hand-made panel 2015-2020: cohort 2017 (3 firms), cohort 2019 (6 firms), one firm treated in
    2015 (dropped: no pre-period), one from 2022 (after the panel: a comparison firm) and 10 never
    treated. Treated = 9, comparison = 11. Pre-period cells start after the base year 2015, so
    e = -3 exists only for cohort 2019 (6 firms); e = 2 and 3 only for cohort 2017 (3 firms < 5:
    thin); e = -1, 0 and 1 for both (9)."""
    from reforge.policy.did import att_gt
    rows = []
    cohorts = [2017] * 3 + [2019] * 6 + [2015] + [2022] + [0] * 10
    for i, g in enumerate(cohorts):
        for t in range(2015, 2021):
            rows.append({"u": f"f{i}", "t": t, "g": g, "y": 0.1 * i + 0.01 * t + (0.05 if g and t >= g else 0.0)})
    e = DuckDBEngine(":memory:")
    e.register("p", pd.DataFrame(rows))
    res = att_gt(e, "p", unit="u", time="t", group="g", outcome="y", control="notyet")
    c = sample.counts(res, res.aggregate("dynamic").to_dict()["by"])
    assert (c["treated"], c["control"], c["never_treated"], c["units"]) == (9, 11, 11, 20)
    by = {x["e"]: x["treated"] for x in c["by_e"]}
    assert by == {-3: 6, -2: 6, -1: 9, 0: 9, 1: 9, 2: 3, 3: 3}
    assert c["few_treated"] and c["thin_e"] == [2, 3]
    note = sample.small_sample_note(c)
    assert note.code == "policy.note.few_treated" and note.params == {"n": 9, "min": 30}
