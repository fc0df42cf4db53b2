"""Pre-research groups: for a `pre_research` demand and a chokepoint item, upstream makers with
the adopters (the demanding firm, then the firms importing the item), ranked by capability,
credit and past relations; scores equal a hand computation; excluded firms carry reasons; an
enterprise sees only the groups it is in."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput, NotFound
from reforge.match.groups import pre_research_groups
from reforge.schema import ensure_schema
from tests.conftest import put_tables
from tests.match.test_neighbours import tables as neighbour_tables
from tests.match.test_rank import M

D = dt.date


def tables() -> dict[str, pd.DataFrame]:
    t = neighbour_tables()
    firms = ["B1", "B2", "B3", "B4", "B5", "S_BOTH", "S_HARM", "S_HARM_LOW", "S_ARM", "S_NEAR", "S_MLOW", "S_SERVO"]
    t["enterprises"] = pd.DataFrame([(u, f"名{u}", "320000", None, None, "small", "private") for u in firms],
                                    columns=[*t["enterprises"].columns, "size_class", "ownership"])
    cap = t["capabilities"]
    t["capabilities"] = pd.DataFrame([
        ("S_BOTH", "enterprise", "harmonic_reducer", 3, 10 * M, 9 * M),
        ("S_HARM", "enterprise", "harmonic_reducer", 4, 8 * M, 5 * M),
        ("S_HARM_LOW", "enterprise", "harmonic_reducer", 2, 8 * M, 5 * M),
        ("S_MLOW", "enterprise", "harmonic_reducer", 5, 8 * M, 5 * M),
        ("S_ARM", "enterprise", "robot_arm", 5, 9 * M, 9 * M),
        ("S_NEAR", "enterprise", "robot_arm", 5, 9 * M, 9 * M),
        ("S_SERVO", "enterprise", "servo_motor", 5, 9 * M, 9 * M),
        ("F_JP", "foreign", "harmonic_reducer", 5, 90 * M, 9 * M),
    ], columns=list(cap.columns))
    t["designations"] = t["designations"].reindex(columns=[*t["designations"].columns, "kind"]).iloc[0:0] \
        if "kind" not in t["designations"].columns else t["designations"]
    t["demands"] = pd.DataFrame([
        ("P1", "B1", "harmonic_reducer", "pre_research", "新一代谐波减速器预研", 3 * M, 4, None, False),
        ("P2", "B1", "rv_reducer", "purchase", "RV减速器", 3 * M, None, None, False),
    ], columns=list(t["demands"].columns))
    t["supply_links"] = pd.DataFrame([
        ("F_JP", "foreign", "B2", "harmonic_reducer", 2025, 7 * M),
        ("F_DE", "foreign", "B3", "harmonic_reducer", 2025, 3 * M),
        ("F_JP", "foreign", "B5", "harmonic_reducer", 2025, 9 * M),   # B5: dishonest, excluded
        ("S_HARM", "enterprise", "B3", "harmonic_reducer", 2025, 1 * M),
        ("S_HARM", "enterprise", "B4", "harmonic_reducer", 2025, 5 * M),  # B4 buys at home only
        ("S_BOTH", "enterprise", "B1", "rv_reducer", 2024, 1 * M),
        ("S_BOTH", "enterprise", "B2", "gearbox", 2023, 1 * M),
    ], columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])
    t["credit_records"] = pd.DataFrame([
        ("T1", "S_HARM", "tax_rating", "A", D(2025, 4, 1), None),
        ("T2", "S_BOTH", "tax_rating", "B", D(2025, 4, 1), None),
        ("T0", "S_BOTH", "tax_rating", "D", D(2023, 4, 1), None),     # older rating: not the latest
        ("T3", "S_HARM_LOW", "tax_rating", "A", D(2025, 4, 1), None),
        ("R1", "S_HARM_LOW", "serious_dishonesty", None, D(2025, 3, 1), D(2027, 3, 1)),
        ("T4", "S_NEAR", "tax_rating", "A", D(2025, 4, 1), None),
        ("T5", "S_MLOW", "tax_rating", "M", D(2025, 4, 1), None),
        ("R2", "B5", "dishonest_debtor", None, D(2025, 1, 1), None),
    ], columns=["record_id", "uscc", "kind", "value", "recorded_on", "expires_on"])
    return t


LABELS = pd.DataFrame([("robot", "servo_motor", "Servo motor", "伺服电机", "chokepoint", 1.0),
                       ("robot", "rv_reducer", "RV reducer", "RV减速器", "weak", 0.5)],
                      columns=["chain_id", "item_id", "name", "name_zh", "label", "weight"])


@pytest.fixture(scope="module")
def result():
    with DuckDBEngine(":memory:") as e:
        put_tables(e, tables())
        yield pre_research_groups(e, as_of="2026-01-15", top=3, adopters=3, labels=LABELS)


def test_groups_equal_a_hand_computation(result):
    t = {x["target"]: x for x in result.targets}
    assert list(t) == ["demand:P1", "item:servo_motor"]  # purchase demands and weak items are no targets
    p1 = t["demand:P1"]
    # adopters: the demanding firm, then importers by value (B5 dishonest, B4 buys at home only)
    g = p1["groups"]
    assert [a["uscc"] for a in g[0]["adopters"]] == ["B1", "B2", "B3"]
    # score = 0.5 fit*level/5 + 0.3 credit + 0.2 share of adopters supplied before
    hand = {"S_HARM": 0.5 * 4 / 5 + 0.3 * 1.0 + 0.2 * 1 / 3,        # A; supplied B3
            "S_BOTH": 0.5 * 3 / 5 + 0.3 * 0.5 + 0.2 * 2 / 3,        # B; supplied B1, B2
            "S_NEAR": 0.5 * 0.5 * 5 / 5 + 0.3 * 1.0 + 0.2 * 0}      # neighbour (robot arm), A
    assert [x["maker"]["uscc"] for x in g] == ["S_HARM", "S_BOTH", "S_NEAR"]
    for x in g:
        assert x["score"] == pytest.approx(hand[x["maker"]["uscc"]], abs=1e-6)
    assert [x["rank"] for x in g] == [1, 2, 3]
    why = {x["uscc"]: x["reason"].code for x in p1["excluded"]}
    assert why == {"B5": "research.exclude.record", "S_HARM_LOW": "research.exclude.record",
                   "S_MLOW": "research.exclude.credit_floor", "S_ARM": "research.exclude.no_grade"}
    assert g[2]["parts"][0]["reason"].code == "match.groups.part.capability.near"
    assert "谐波减速器" in g[2]["parts"][0]["reason"].render("zh")
    servo = t["item:servo_motor"]
    # servo: its own maker has no tax rating; the robot-arm maker next to it in the chain remains,
    # with no adopter (nobody imports servo motors here)
    assert [(x["maker"]["uscc"], x["adopters"]) for x in servo["groups"]] == [("S_NEAR", [])]
    assert servo["groups"][0]["score"] == pytest.approx(0.5 * 0.5 + 0.3 * 1.0)
    assert {x["uscc"]: x["reason"].code for x in servo["excluded"]} == {
        "S_SERVO": "research.exclude.no_grade", "S_ARM": "research.exclude.no_grade"}
    assert servo["label"] == "chokepoint" and servo["status"].code == "match.groups.ok"
    frame = result.to_frame()
    assert frame["score"].tolist() == [x["score"] for x in g] + [0.55]
    assert result.model().targets[0].groups[0].maker.detail["grade"] == "A"


def test_an_enterprise_sees_only_its_groups(result):
    b2 = result.for_firm("B2")
    assert [len(t["groups"]) for t in b2.targets] == [3] and b2.targets[0]["excluded"] == []
    both = result.for_firm("S_BOTH")
    assert [g["maker"]["uscc"] for t in both.targets for g in t["groups"]] == ["S_BOTH"]
    assert result.for_firm("B4").targets == []


def test_bad_input_is_coded():
    with DuckDBEngine(":memory:") as e:
        put_tables(e, tables())
        for kw, err, code in (({"top": 0}, InvalidInput, "match.bad_top"),
                              ({"adopters": 0}, InvalidInput, "match.groups.bad_adopters"),
                              ({"item": "nope"}, NotFound, "research.item_not_found")):
            with pytest.raises(err) as ex:
                pre_research_groups(e, labels=LABELS, **kw)
            assert ex.value.code == code


def test_cli_json_equals_the_library(tmp_path):
    path = tmp_path / "g.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        with e.transaction():
            for name, df in tables().items():
                if name == "enterprises":
                    df = df.assign(industry_code="3484")
                if name == "supply_links":
                    df = df.assign(basis="observed")
                e.register("__t", df)
                e.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __t")
                e.drop("__t")
            e.execute("INSERT INTO foreign_suppliers VALUES ('F_JP', 'Nabtesco', 'JP'), ('F_DE', 'Wittenstein', 'DE')")
    r = subprocess.run([sys.executable, "-m", "reforge.cli.main", "match", "groups", "--db", str(path),
                        "--as-of", "2026-01-15", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with DuckDBEngine(path, read_only=True) as e:
        lib = pre_research_groups(e, as_of="2026-01-15").to_dict()
    out = json.loads(r.stdout)
    assert out == json.loads(json.dumps(lib, ensure_ascii=False))
    p1 = next(t for t in out["targets"] if t["target"] == "demand:P1")
    assert [g["maker"]["uscc"] for g in p1["groups"]] == ["S_HARM", "S_BOTH", "S_NEAR"]
