"""``replace`` never leaves rows pointing at nothing (issue 19 finding 7): it refuses, listing the
dependent tables and counts, or with cascade deletes (or un-links) them and audits the true numbers."""

import json

import pandas as pd

from reforge.ingest import import_tables
from reforge.ingest.orphans import dependents
from tests.synth import enterprise_years, enterprises


def _load(duck) -> pd.DataFrame:
    ent = enterprises(3)
    ey = enterprise_years(ent, range(2020, 2024))                     # 12 rows, 4 per firm
    des = pd.DataFrame({"uscc": ent.uscc, "kind": "little_giant", "granted_on": "2022-07-01"})
    items = pd.DataFrame({"item_id": ["robot"], "name": ["Robot"], "name_zh": ["机器人"],
                          "foundation": ["end_product"]})
    appr = pd.DataFrame({"appraisal_id": ["A1", "A2"], "uscc": [ent.uscc[1], ent.uscc[0]],
                         "kind": "new_product", "title": ["t1", "t2"], "item_id": ["robot", None]})
    res = import_tables(duck, {"enterprises": [("e", ent)], "enterprise_years": [("ey", ey)],
                               "designations": [("d", des)], "items": [("i", items)], "appraisals": [("a", appr)]})
    assert res.ok, res.errors
    return ent


def _state(duck) -> dict[str, int]:
    return {t: duck.count(t) for t in ("enterprises", "enterprise_years", "designations", "appraisals")}


def test_the_dependency_graph_comes_from_the_schema():
    deps = {(t.name, r.column) for t, r in dependents({"enterprises"}, {"enterprises"})}
    assert {("enterprise_years", "uscc"), ("designations", "uscc"), ("supply_links", "buyer_uscc"),
            ("capabilities", "producer_id"), ("appraisals", "uscc"), ("users", "uscc")} <= deps
    assert not any(t == "enterprises" for t, _ in deps)


def test_replace_refuses_to_orphan_rows(duck):
    ent = _load(duck)
    before = _state(duck)
    res = import_tables(duck, {"enterprises": [("one.csv", ent.iloc[[0]])]}, mode="replace")
    assert not res.ok
    got = {(e["params"]["table"], e["params"]["rows"]) for e in res.errors}
    # firms 2 and 3 go: 8 yearly rows, 2 designations and the appraisal A1 of firm 2 would dangle
    assert got == {("enterprise_years", 8), ("designations", 2), ("appraisals", 1)}
    assert all(e["code"] == "ingest.replace.orphans" and e["file"] == "one.csv" for e in res.errors)
    assert _state(duck) == before
    a = duck.fetch_df("SELECT action, rows, detail FROM audit_log ORDER BY id DESC LIMIT 1").iloc[0]
    assert a.action == "import.rejected" and a.rows == 0
    assert json.loads(a.detail)["codes"] == {"ingest.replace.orphans": 3}


def test_replace_with_cascade_removes_and_unlinks_and_audits_the_true_numbers(duck):
    ent = _load(duck)
    res = import_tables(duck, {"enterprises": [("one.csv", ent.iloc[[0]])]}, mode="replace", cascade=True)
    assert res.ok, res.errors
    assert res.rows_written == {"enterprises": 1}
    assert res.removed == {"enterprises": 3, "enterprise_years": 8, "designations": 2}
    assert res.nulled == {"appraisals": 1}   # appraisals.uscc is optional: un-linked, not deleted
    assert _state(duck) == {"enterprises": 1, "enterprise_years": 4, "designations": 1, "appraisals": 2}
    assert duck.fetch_scalar("SELECT uscc FROM appraisals WHERE appraisal_id = 'A1'") is None
    assert duck.fetch_scalar("SELECT COUNT(*) FROM enterprise_years WHERE uscc NOT IN "
                             "(SELECT uscc FROM enterprises)") == 0
    a = duck.fetch_df("SELECT action, rows, detail FROM audit_log ORDER BY id DESC LIMIT 1").iloc[0]
    assert a.action == "import:replace" and a.rows == 1 + 3 + 8 + 2 + 1
    d = json.loads(a.detail)
    assert d["removed"] == {"enterprises": 3, "enterprise_years": 8, "designations": 2} and d["cascade"] is True


def test_replace_keeping_the_keys_and_replacing_dependents_together_is_fine(duck):
    ent = _load(duck)
    assert import_tables(duck, {"enterprises": [("e", ent.assign(name="新"))]}, mode="replace").ok
    assert _state(duck)["enterprise_years"] == 12
    # dependents replaced in the same batch do not dangle
    ey = enterprise_years(ent.iloc[[0]], range(2020, 2021))
    des = pd.DataFrame({"uscc": ent.uscc[:1], "kind": "little_giant", "granted_on": "2022-07-01"})
    appr = pd.DataFrame({"appraisal_id": ["A9"], "uscc": ent.uscc[:1], "kind": "new_product", "title": ["t"]})
    res = import_tables(duck, {"enterprises": [("e", ent.iloc[[0]])], "enterprise_years": [("y", ey)],
                               "designations": [("d", des)], "appraisals": [("a", appr)]}, mode="replace")
    assert res.ok, res.errors
    assert _state(duck) == {"enterprises": 1, "enterprise_years": 1, "designations": 1, "appraisals": 1}


def test_an_account_bound_to_a_removed_firm_blocks_even_a_cascade(duck):
    ent = _load(duck)
    duck.execute(f"INSERT INTO users (username, password_hash, role, uscc) VALUES "
                 f"('firm2', 'x', 'enterprise', '{ent.uscc[1]}')")
    res = import_tables(duck, {"enterprises": [("one.csv", ent.iloc[[0]])]}, mode="replace", cascade=True)
    assert not res.ok
    (err,) = [e for e in res.errors if e["code"] == "ingest.replace.accounts"]
    assert err["params"]["rows"] == 1 and err["params"]["table"] == "users"
    assert _state(duck)["enterprise_years"] == 12


def test_cli_replace_lists_the_orphans_and_cascades_with_the_flag(tmp_path):
    import subprocess
    import sys

    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    db = tmp_path / "r.duckdb"
    with DuckDBEngine(db) as e:
        ensure_schema(e)
        ent = _load(e)
    f = tmp_path / "one.csv"
    ent.iloc[[0]].to_csv(f, index=False)
    cmd = [sys.executable, "-m", "reforge.cli.main", "import", "enterprises", str(f), "--mode", "replace",
           "--db", str(db)]
    r = subprocess.run(cmd + ["--format", "json"], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    errs = json.loads(r.stdout)["errors"]
    assert {(x["params"]["table"], x["params"]["rows"]) for x in errs} == {
        ("enterprise_years", 8), ("designations", 2), ("appraisals", 1)}
    r = subprocess.run(cmd + ["--cascade"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "enterprise_years: 8 rows removed" in r.stdout and "appraisals: 1 references set to NULL" in r.stdout
    with DuckDBEngine(db, read_only=True) as e:
        assert e.count("enterprises") == 1 and e.count("enterprise_years") == 4
