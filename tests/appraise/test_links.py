"""Links of an appraisal to the chain items it addresses and to downstream adopters, against
the hand computation in ``links_data.py``."""

from __future__ import annotations

import json

import pytest

from reforge.appraise.links import appraisal_links, links_for
from reforge.errors import InvalidInput, NotFound
from tests.appraise.conftest import APPLICANT, BUYER, OTHER
from tests.appraise.links_data import FIRM5, fill_links

IMP = 450 / 780  # BRG's import dependence in 2024


def _priority(weight: float, reach: float) -> float:
    """thresholds.yaml: (floor + (1 - floor) reach) (w + 0.1 imp) / 1.1, in percent."""
    return 100 * (0.25 + 0.75 * reach) * (weight + 0.1 * IMP) / 1.1


@pytest.fixture
def ldb(adb):
    fill_links(adb)
    return adb


def test_item_is_chokepoint_on_one_chain_and_sound_on_the_other(ldb):
    r = appraisal_links(ldb, "AP9")
    assert (r.item_id, r.item_name, r.year, r.uscc) == ("BRG", "Bearing", 2024, APPLICANT)
    assert [(c["chain_id"], c["label"], c["closes_gap"], c["year"]) for c in r.chains] == \
        [("mt", "chokepoint", True, 2024), ("wind", "sound", False, 2024)]
    assert r.closes_gap is True
    assert r.chains[0]["priority"] == pytest.approx(_priority(0.9, 1.0), abs=1e-4)  # 87.0629
    assert r.chains[1]["priority"] == pytest.approx(_priority(0.1, 0.0), abs=1e-4)  # 3.5839
    assert [c["code"] for c in r.chains[0]["reason_codes"]] == ["chain.reason.chokepoint"]
    assert r.chains[0]["reason_codes"][0]["params"]["import_dependence"] == pytest.approx(IMP)
    assert [c["code"] for c in r.chains[1]["reason_codes"]] == ["chain.reason.sound"]
    m0, m1 = r.chains[0]["message"], r.chains[1]["message"]
    assert m0.code == "appraise.link.closes" and m1.code == "appraise.link.no_gap"
    assert m0.params["chain"] == "mt" and m0.params["item"] == "BRG"
    assert m0.params["label"].code == "appraise.link.label.chokepoint"
    assert str(m0) == "Bearing is chokepoint on chain Machine tools: the product would close a gap"
    assert m0.render("zh") == "轴承在“机床”产业链上为卡脖子：该产品可补此短板"
    assert m1.render("zh") == "轴承在“风电”产业链上为自主可控：无短板可补"


def test_adopters_ordered_by_value_with_hand_totals(ldb):
    r = appraisal_links(ldb, "AP9")
    assert r.adopters_year == 2024 and r.adopters_n == 3
    assert r.adopters_total_value == pytest.approx(300 + 150 + 100 + 50 + 180)
    got = [(a["uscc"], a["value"], a["n_suppliers"], a["applicant_value"], a["already_supplies"], a["province_code"])
           for a in r.adopters]
    assert got == [(BUYER, 400.0, 2, 100.0, True, "320000"),   # F_JP 300 + applicant 100
                   (OTHER, 200.0, 2, 0.0, False, "320000"),   # F_JP 150 + SUPPLIER 50
                   (FIRM5, 180.0, 1, 0.0, True, "440000")]    # the applicant sold it BRG in 2023
    assert r.adopters[2]["name"] == "firm 5E"
    top2 = appraisal_links(ldb, "AP9", top=2)
    assert [a["uscc"] for a in top2.adopters] == [BUYER, OTHER]
    assert top2.adopters_total_value == pytest.approx(780.0) and top2.adopters_n == 3  # totals over all buyers
    assert not [n for n in r.notes]


def test_demand_side_from_the_matching_capability(ldb):
    r = appraisal_links(ldb, "AP9")
    d = {x["demand_id"]: x for x in r.demands}
    assert [x["demand_id"] for x in r.demands] == ["DM1", "DM2"]  # by value 500, 90
    assert (d["DM1"]["uscc"], d["DM1"]["value"], d["DM1"]["applicant_rank"], d["DM1"]["n_qualified"]) == \
        (BUYER, 500.0, 1, 1)  # SUPPLIER has no spare capacity
    assert d["DM1"]["status"].code == "appraise.link.demand_rank"
    assert d["DM2"]["applicant_rank"] is None and d["DM2"]["n_qualified"] == 0
    assert d["DM2"]["status"].code == "appraise.link.demand_excluded"
    assert [m.code for m in d["DM2"]["status"].params["reasons"]] == ["match.exclude.level_below_short"]
    assert d["DM2"]["name"] == "firm 5E"


def test_blank_item_and_adopters_of_an_earlier_year(ldb):
    r = appraisal_links(ldb, "AP8")
    assert [(c["chain_id"], c["label"], c["closes_gap"]) for c in r.chains] == [("mt", "blank", True)]
    assert r.chains[0]["priority"] == pytest.approx(100.0)  # no purchases in 2024: import dependence taken as 1
    assert r.adopters_year == 2023
    assert [(a["uscc"], a["value"], a["applicant_value"], a["already_supplies"]) for a in r.adopters] == \
        [(BUYER, 40.0, 0.0, False)]
    assert [n.code for n in r.notes] == ["appraise.link.year_fallback"]
    assert r.notes[0].params == {"item": "GRS", "year": 2024, "used": 2023}
    assert str(r.notes[0]) == "no purchases of GRS in 2024: adopters are those of 2023"
    assert r.notes[0].render("zh") == "2024 年没有 GRS 的采购：应用方取 2023 年的数据"
    assert [(x["demand_id"], x["status"].code) for x in r.demands] == [("DM3", "appraise.link.demand_not_candidate")]


def test_no_item_gives_an_empty_result_with_a_reason(ldb):
    r = appraisal_links(ldb, "AP1")
    assert r.item_id is None and r.chains == [] and r.adopters == [] and r.demands == []
    assert r.closes_gap is False
    assert [(n.code, n.params) for n in r.notes] == [("appraise.link.no_item", {"appraisal_id": "AP1"})]
    json.dumps(r.to_dict())
    r.model()


def test_batch_keeps_order_and_unknown_appraisal_is_not_found(ldb):
    rs = links_for(ldb, ["AP8", "AP1", "AP9"])
    assert [r.appraisal_id for r in rs] == ["AP8", "AP1", "AP9"]
    assert [r.closes_gap for r in rs] == [True, False, True]
    assert rs[2].to_dict() == appraisal_links(ldb, "AP9").to_dict()
    with pytest.raises(NotFound):
        appraisal_links(ldb, "NOPE")
    with pytest.raises(InvalidInput):
        appraisal_links(ldb, "AP9", top=0)


def test_item_on_no_chain_and_without_purchases(ldb):
    ldb.execute("INSERT INTO items (item_id, name, name_zh, foundation) VALUES ('LON', 'Lone', '孤', 'component')")
    ldb.execute("INSERT INTO appraisals VALUES ('AP6', ?, 'first_set', 'lone', 'LON', 2024)", [APPLICANT])
    r = appraisal_links(ldb, "AP6")
    assert r.chains == [] and r.adopters == [] and r.closes_gap is False
    assert [n.code for n in r.notes] == ["appraise.link.no_chain", "appraise.link.no_purchases"]


def test_to_dict_is_json_with_codes_and_redaction(ldb):
    r = appraisal_links(ldb, "AP9")
    d = json.loads(json.dumps(r.to_dict()))
    assert d["chains"][0]["message"]["code"] == "appraise.link.closes"
    assert d["chains"][0]["message"]["params"]["label"]["code"] == "appraise.link.label.chokepoint"
    assert d["demands"][1]["status"]["params"]["reasons"][0]["code"] == "match.exclude.level_below_short"
    red = r.redacted().to_dict()
    assert [a["value"] for a in red["adopters"]] == [None, None, None]
    assert [a["applicant_value"] for a in red["adopters"]] == [100.0, 0.0, 0.0]
    assert red["adopters_total_value"] == pytest.approx(780.0)
    assert "closes a gap" in r.summary()


# --- faces: report, CLI, API --------------------------------------------------------------
@pytest.mark.parametrize("lang, words", [
    ("en", ["Chain items and downstream adopters", "Bearing is chokepoint on chain Machine tools: the product would close a gap",
            "Buyers of BRG in 2024: 3 firms, 780 CNY", "the applicant ranks 1 of 1 qualified suppliers"]),
    ("zh", ["涉及的产业链环节与下游应用方", "轴承在“机床”产业链上为卡脖子：该产品可补此短板",
            "2024 年 BRG 的采购方：3 家企业，780 元", "申报企业在 1 家合格供应商中排第 1 名"]),
])
def test_report_carries_the_links(ldb, lang, words):
    from reforge.appraise.report import appraisal_report
    text = appraisal_report(ldb, "AP9", lang)
    for w in words:
        assert w in text, w
    assert "appraise." not in text.replace("reforge.appraise", "")


def _cli(*args):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "reforge.cli.main", "appraise", *map(str, args)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "REFORGE_LANG": "en"})


@pytest.fixture
def ldbfile(tmp_path):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    from tests.appraise.conftest import fill
    path = tmp_path / "links.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
        fill_links(e)
    return path


def test_cli_links_json_table_and_eligible(ldbfile, tmp_path):
    r = _cli("links", "--appraisal", "AP9", "--db", ldbfile, "--format", "json", "--top", "2")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["closes_gap"] is True and [c["label"] for c in d["chains"]] == ["chokepoint", "sound"]
    assert [(a["uscc"], a["value"]) for a in d["adopters"]] == [(BUYER, 400.0), (OTHER, 200.0)]
    assert d["adopters_total_value"] == 780.0
    r = _cli("links", "--appraisal", "AP1", "--appraisal", "AP8", "--db", ldbfile, "--format", "json")
    both = json.loads(r.stdout)
    assert [x["notes"][0]["code"] for x in both] == ["appraise.link.no_item", "appraise.link.year_fallback"]
    r = _cli("links", "--appraisal", "AP9", "--db", ldbfile, "--lang", "zh")
    assert r.returncode == 0 and "轴承在“机床”产业链上为卡脖子" in r.stdout
    r = _cli("links", "--appraisal", "AP9", "--appraisal", "AP1", "--db", ldbfile, "--format", "csv")
    rows = r.stdout.strip().splitlines()
    assert r.returncode == 0 and "FutureWarning" not in r.stderr
    assert rows[0] == "part,id,label,priority,closes_gap,value,applicant_value,already_supplies,appraisal_id"
    assert rows[1:3] == ["chain,mt,chokepoint,87.0629,True,,,,AP9", "chain,wind,sound,3.5839,False,,,,AP9"]
    assert len(rows) == 6 and rows[3].startswith(f"adopter,{BUYER},firm 3C,,,400.0,100.0,True")
    r = _cli("links", "--appraisal", "NOPE", "--db", ldbfile, "--format", "json")
    assert r.returncode != 0 and "NOPE" in r.stderr
    product = tmp_path / "p.json"
    product.write_text(json.dumps({"first_in_country": True}), encoding="utf-8")
    r = _cli("eligible", "first_set", product, "--appraisal", "AP9", "--db", ldbfile, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["links"]["appraisal_id"] == "AP9" and out["links"]["closes_gap"] is True
    assert out["decision"] == "incomplete"  # no rule field given


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from reforge.cli.serve import create_demo_accounts
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    from tests.api.server import running_server
    from tests.appraise.conftest import fill
    path = tmp_path_factory.mktemp("links_api") / "a.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
        fill_links(e)
    create_demo_accounts(path)  # the enterprise account: the smallest uscc, the applicant of AP9
    with running_server(path) as url:
        yield url


def _login(url, who):
    import httpx

    from reforge.cli.serve import DEMO_PASSWORDS
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": DEMO_PASSWORDS[who]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_links_roles(server):
    import httpx
    url = f"{server}/api/v1/appraise/appraisals"
    h = _login(server, "enterprise")
    r = httpx.get(f"{url}/AP9/links", headers=h)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["closes_gap"] is True and d["chains"][0]["message"]["code"] == "appraise.link.closes"
    assert [(a["uscc"], a["value"], a["applicant_value"]) for a in d["adopters"]] == \
        [(BUYER, None, 100.0), (OTHER, None, 0.0), (FIRM5, None, 0.0)]  # other firms' values withheld
    for other in ("AP7", "AP8", "NOPE"):  # another firm's appraisal looks like no appraisal
        assert httpx.get(f"{url}/{other}/links", headers=h).status_code == 404
    assert httpx.get(f"{url}/AP9/links").status_code == 401
    a = _login(server, "analyst")
    d = httpx.get(f"{url}/AP9/links", headers=a, params={"top": 1}).json()
    assert [(x["uscc"], x["value"]) for x in d["adopters"]] == [(BUYER, 400.0)] and d["adopters_n"] == 3
    assert httpx.get(f"{url}/AP7/links", headers=a).status_code == 200
    assert httpx.get(f"{url}/AP9/links", headers=a, params={"top": 0}).status_code == 422
    assert httpx.get(f"{url}/AP9/links", headers=a, params={"as_of": "2024-13-45"}).status_code in (400, 422)
    d = httpx.get(f"{url}/AP1/links", headers=a).json()
    assert d["chains"] == [] and d["notes"][0]["code"] == "appraise.link.no_item"
