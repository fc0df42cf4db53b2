"""The tackling-project portfolio on a hand-made database: figures equal an independent pandas
computation and hand values; the importer rejects a bad projects file naming row and column; the
CLI prints the same JSON and speaks Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput
from reforge.loop.projects import portfolio
from tests.loop.projects_data import AS_OF, F1, F2, make_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("loop_projects") / "p.duckdb")


@pytest.fixture(scope="module")
def frames(db):
    with DuckDBEngine(db, read_only=True) as e:
        return {t: e.fetch_df(f"SELECT * FROM {t}") for t in
                ("projects", "project_items", "project_partners", "project_budget", "project_milestones",
                 "chain_items", "items")}


def _in_scope(f, scope):
    p = f["projects"]
    if scope is None:
        return set(p.project_id)
    pp = f["project_partners"]
    return set(p.loc[p.lead_uscc == scope, "project_id"]) | \
        set(pp.loc[(pp.partner_type == "enterprise") & (pp.partner_id == scope), "project_id"])


def _budget_ref(f, scope):
    """Amount split equally over a project's items, then equally over each item's chains."""
    p = f["projects"]
    keep = _in_scope(f, scope) & set(p.loc[p.status != "cancelled", "project_id"])
    b = f["project_budget"][f["project_budget"].project_id.isin(keep)]
    pi = f["project_items"].copy()
    pi["w"] = 1.0 / pi.groupby("project_id").item_id.transform("count")
    ci = f["chain_items"][["chain_id", "item_id"]].copy()
    ci["wc"] = 1.0 / ci.groupby("item_id").chain_id.transform("count")
    m = b.merge(pi, on="project_id").merge(ci, on="item_id").merge(f["items"][["item_id", "foundation"]], on="item_id")
    m["amount"] = m.amount * m.w * m.wc
    return m.groupby(["chain_id", "foundation", "source"]).amount.sum().to_dict()


def _overdue_ref(f, scope):
    day = pd.Timestamp(AS_OF)
    p = f["projects"].set_index("project_id")
    m = f["project_milestones"]
    m = m[m.project_id.isin(_in_scope(f, scope))]
    ok = (m.due_on < day) & (m.done_on.isna() | (m.done_on > day)) & (m.status != "cancelled") & \
        (m.project_id.map(p.status) != "cancelled")
    return {(r.project_id, r.milestone_id, (day - r.due_on).days) for r in m[ok].itertuples()}


def _coverage_ref(f, scope):
    p = f["projects"]
    ok = p[(p.status != "cancelled") & (p.start_on <= pd.Timestamp(AS_OF)) & p.project_id.isin(_in_scope(f, scope))]
    pi = f["project_items"][f["project_items"].project_id.isin(ok.project_id)]
    return pi.groupby("item_id").project_id.apply(lambda s: sorted(s)).to_dict()


@pytest.mark.parametrize("scope", [None, F1, F2])
def test_portfolio_equals_pandas(db, frames, scope):
    with DuckDBEngine(db, read_only=True) as e:
        r = portfolio(e, AS_OF, scope=scope)
    got = {(b["chain_id"], b["foundation"], b["source"]): b["amount"] for b in r.budget}
    ref = _budget_ref(frames, scope)
    assert got.keys() == ref.keys()
    for k, v in ref.items():
        assert got[k] == pytest.approx(v, rel=1e-12)
    assert {(o["project_id"], o["milestone_id"], o["days_overdue"]) for o in r.overdue} == _overdue_ref(frames, scope)
    cov = _coverage_ref(frames, scope)
    for c in r.coverage:
        assert c["project_ids"] == cov.get(c["item_id"], []), c
        assert c["covered"] == (c["item_id"] in cov)
    assert {p["project_id"] for p in r.projects} == _in_scope(frames, scope)


def test_portfolio_hand_values(db):
    with DuckDBEngine(db, read_only=True) as e:
        r = portfolio(e, AS_OF)
    assert {(c["chain_id"], c["item_id"], c["label"]) for c in r.coverage} == {
        ("C1", "A", "chokepoint"), ("C1", "B", "blank"), ("C1", "D", "chokepoint"), ("C2", "A", "chokepoint"),
        ("C2", "E", "blank")}
    assert sorted(r.uncovered) == ["D", "E"]  # D: nobody; E: P4 starts 2026; B: P3 cancelled, P1 counts
    a = next(c for c in r.coverage if c["item_id"] == "A")
    assert (a["n_projects"], a["n_active"]) == (2, 1)  # P1 completed, P2 under way
    amt = {(b["chain_id"], b["foundation"], b["source"]): b["amount"] for b in r.budget}
    # P1: central 100 -> A 50 (25 on each of C1, C2) + B 50 (C1 only)
    assert amt[("C1", "component", "central")] == pytest.approx(25)
    assert amt[("C1", "material", "central")] == pytest.approx(50)
    assert amt[("C2", "component", "central")] == pytest.approx(25)
    assert r.budget_by_source == pytest.approx({"central": 100, "enterprise": 50, "provincial": 60, "local": 30,
                                                "other": 7})  # cancelled P3 (1000) left out
    assert [(o["project_id"], o["milestone_id"], o["days_overdue"]) for o in r.overdue] == \
        [("P1", "M2", 731), ("P2", "M1", 365)]
    assert [n.code for n in r.notes] == ["loop.projects.note.no_credit_model", "loop.projects.note.no_panel"]
    assert r.leads == []
    r.model()  # the API model accepts it
    assert json.loads(json.dumps(r.to_dict()))["uncovered"] == r.uncovered


def test_bad_date_and_missing_tables(db, tmp_path):
    with DuckDBEngine(db, read_only=True) as e:
        for bad in ("2025-02-30", "30/06/2025", "2025-6-30", "x' OR 1=1 --"):
            with pytest.raises(InvalidInput) as ei:
                portfolio(e, bad)
            assert ei.value.code == "loop.projects.bad_date"
    with DuckDBEngine(tmp_path / "empty.duckdb") as e:
        e.execute("CREATE TABLE projects (project_id VARCHAR)")
        from reforge.errors import DataMissing
        with pytest.raises(DataMissing) as ei:
            portfolio(e, AS_OF)
        assert ei.value.code == "loop.projects.no_table" and ei.value.params == {"table": "project_items"}


def test_importer_rejects_a_bad_projects_file_naming_row_and_column(tmp_path):
    from reforge.ingest import import_files
    from reforge.schema import ensure_schema
    from reforge.schema.tables import get_table
    ents = pd.read_csv(EXAMPLES / "enterprises.csv", dtype=str)
    good = ents.uscc.iloc[0]
    bad = tmp_path / "projects.csv"
    bad.write_text("project_id,title,lead_uscc,start_on,end_on,status\n"
                   f"P1,甲,{good},2021-01-01,2023-12-31,active\n"
                   f"P2,乙,{good},2021-01-01,,finished\n"
                   f"P3,,{good},2021-01-01,,active\n"
                   f"P4,丁,{good},2021-13-01,,active\n"
                   "P5,戊,91320000000000009Z,2021-01-01,,active\n", encoding="utf-8")
    with DuckDBEngine(tmp_path / "i.duckdb") as e:
        ensure_schema(e)
        assert import_files(e, "items", [EXAMPLES / "items.csv"]).ok
        assert import_files(e, "enterprises", [EXAMPLES / "enterprises.csv"]).ok
        res = import_files(e, "projects", [bad])
        assert not res.ok
        probs = {(int(r.row), r.column) for r in res.problems.itertuples()}
        assert (2, "status") in probs and (3, "title") in probs and (4, "start_on") in probs
        assert any(row == 5 and col == "lead_uscc" for row, col in probs)
        assert (1, "project_id") not in probs and all(row != 1 for row, _ in probs)
        assert e.count("projects") == 0  # all or nothing
        pi = tmp_path / "project_items.csv"
        pi.write_text("project_id,item_id,target_level\nP1,nope,5\nP1,rv_reducer,9\n", encoding="utf-8")
        res = import_files(e, "project_items", [pi])
        probs = {(int(r.row), r.column) for r in res.problems.itertuples()}
        assert (2, "target_level") in probs and (1, "project_id") in probs
        assert e.count("project_items") == 0
        for t in ("projects", "project_items", "project_partners", "project_budget", "project_milestones",
                  "project_outputs"):
            assert not get_table(t).service


def test_cli_json_csv_and_chinese(db):
    from reforge.cli.main import app
    run = CliRunner().invoke
    r = run(app, ["loop", "projects", "--db", str(db), "--as-of", AS_OF, "--format", "json"])
    assert r.exit_code == 0, r.output
    with DuckDBEngine(db, read_only=True) as e:
        ref = json.loads(json.dumps(portfolio(e, AS_OF).to_dict()))
    assert json.loads(r.stdout) == ref
    r = run(app, ["loop", "projects", "--db", str(db), "--as-of", AS_OF, "--lang", "zh"])
    assert r.exit_code == 0 and "无人攻关" in r.stdout and "逾期里程碑 2 个" in r.stdout
    assert "loop." not in r.stdout  # no code leaks
    r = run(app, ["loop", "projects", "--db", str(db), "--as-of", AS_OF, "--format", "csv"])
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == "part,chain_id,id,label,value,detail"
    r = run(app, ["loop", "board", "--item", "A", "--db", str(db), "--as-of", AS_OF, "--format", "json"])
    assert r.exit_code == 0 and [s["key"] for s in json.loads(r.stdout)["steps"]] == \
        ["why", "makers", "matching", "consortium", "projects", "appraisals", "adoption", "trend"]
    r = run(app, ["loop", "board", "--item", "Z", "--db", str(db), "--as-of", AS_OF, "--lang", "zh"])
    assert r.exit_code == 0 and "没有符合条件的牵头企业" in r.stdout and "loop." not in r.stdout


def test_leads_flag_a_falling_grade_or_a_warning(db, monkeypatch):
    """The lead rule on hand-given grades and warnings (the credit and warning capabilities are tested
    in their own folders): a grade that falls on the scale or an amber/red warning flags the lead."""
    import reforge.loop.projects as lp
    from reforge.credit.grades import load_grades
    from reforge.messages import Message
    names = load_grades().names
    best, mid, low = names[0], names[len(names) // 2], names[-1]
    grades = {F1: (best, mid), F2: (low, mid)}  # F1 fell, F2 rose
    monkeypatch.setattr(lp, "credit_grades", lambda e, us, notes: ({u: grades.get(u, (None, None)) for u in us}, 2024))
    warn = {"91320000000000005E": {"level": "red", "reason_codes": [
        {"code": "warn.reason.level", "params": {"level": {"code": "warn.level.red", "params": {}, "text": "red"},
                                                 "label": {"code": "text.localized", "params": {"en": "Losses",
                                                                                                "zh": "亏损"}}}}]}}
    monkeypatch.setattr(lp, "_warnings", lambda e, us, y, notes: ({u: w for u, w in warn.items() if u in us}, 2024))
    with DuckDBEngine(db, read_only=True) as e:
        r = lp.portfolio(e, AS_OF)
    got = {x["uscc"]: x for x in r.leads}
    assert sorted(got) == [F1, "91320000000000005E"]  # F2's grade rose: not flagged
    assert got[F1]["weakening"] and (got[F1]["grade_prev"], got[F1]["grade"]) == (best, mid)
    assert got[F1]["project_ids"] == ["P1"]
    f5 = got["91320000000000005E"]
    assert f5["warning"] == "red" and not f5["weakening"] and f5["project_ids"] == ["P9"]  # P3 is cancelled
    texts = [m.render("zh") for m in f5["reasons"]]
    assert texts[0] == "2024年红色预警" and "亏损" in texts[1]
    assert all(isinstance(m, Message) for m in f5["reasons"])
    with DuckDBEngine(db, read_only=True) as e:
        mine = lp.portfolio(e, AS_OF, scope=F1)
    assert [x["uscc"] for x in mine.leads] == [F1]  # F5 leads no project of F1's
