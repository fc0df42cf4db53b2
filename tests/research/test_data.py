"""The new tables: the importer's rules on the example files, and the demo's planted propensities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reforge.demo.generate import PLANTED, build_tables
from reforge.demo.research import latest_tax_rating
from reforge.ingest import import_files

EX = Path(__file__).resolve().parents[2] / "examples"
NEW = ("collaborations", "personnel_moves", "platforms", "platform_fields", "platform_usage")


def test_importer_rejects_a_raw_person_key_and_a_bad_type_naming_row_and_column(tmp_path, duck):
    m = pd.read_csv(EX / "personnel_moves.csv", dtype=str, keep_default_na=False)
    m.loc[1, "person_key"] = "张三 320102199001011234"   # a raw identity, not a hash
    m.loc[3, "to_type"] = "company"
    f = tmp_path / "moves.csv"
    m.to_csv(f, index=False)
    res = import_files(duck, "personnel_moves", [f], names=["moves.csv"])
    got = {(e["row"], e["column"]) : e for e in res.errors}
    assert set(got) == {(2, "person_key"), (4, "to_type")}
    assert got[(2, "person_key")]["reason"] == "must be a SHA-256 hash (64 lowercase hexadecimal characters)"
    assert got[(2, "person_key")]["reason_zh"].startswith("应为 SHA-256")
    assert got[(4, "to_type")]["file"] == "moves.csv"
    assert duck.fetch_scalar("SELECT COUNT(*) FROM personnel_moves") == 0  # all or nothing


def test_importer_checks_references_of_collaborations(tmp_path, duck):
    c = pd.read_csv(EX / "collaborations.csv", dtype=str, keep_default_na=False).head(3)
    f = tmp_path / "c.csv"
    c.to_csv(f, index=False)
    res = import_files(duck, "collaborations", [f])
    assert not res.ok and {e["column"] for e in res.errors} >= {"uscc", "institution_id"}
    assert duck.fetch_scalar("SELECT COUNT(*) FROM collaborations") == 0


@pytest.fixture(scope="module")
def demo():
    return build_tables(2000, 5)


def test_demo_plants_good_credit_leads_and_near_partners(demo):
    c = demo["collaborations"]
    rating = latest_tax_rating(demo["credit_records"])
    r = c["uscc"].map(rating).fillna("none")
    rate = (c["led_by"] == "enterprise").groupby(r.where(r.isin(["A", "B"]), "other")).mean()
    plant = PLANTED["research"]["lead_probability_by_tax_rating"]
    assert rate["A"] > rate["B"] > rate["other"]
    for k in ("A", "B", "other"):
        assert abs(rate[k] - plant[k]) < 0.1, (k, rate[k])
    caps = demo["capabilities"]
    has = set(zip(caps["producer_id"], caps["item_id"], strict=True))
    fit = np.mean([(u, f) in has for u, f in zip(c["uscc"], c["field"], strict=True)])
    assert fit > 0.75  # planted 0.85 of new pairs (plus repeats of such pairs); random pairs fit ~0.01
    assert c["year"].between(2018, 2025).all()


def test_demo_plants_thin_fields_uncovered_generic_and_few_sme_users(demo):
    m = demo["personnel_moves"]
    assert m["person_key"].str.fullmatch(r"[0-9a-f]{64}").all() and m["person_key"].is_unique
    per = m["field"].value_counts()
    thin = PLANTED["research"]["thin_fields"]
    assert thin and per.reindex(thin).fillna(0).mean() < 0.3 * per.mean()
    assert not set(PLANTED["research"]["uncovered_generic"]) & set(demo["platform_fields"]["field"])
    e = demo["enterprises"].set_index("uscc")["size_class"]
    users = demo["platform_usage"]["uscc"].drop_duplicates().map(e)
    assert users.isin(["small", "micro"]).mean() < e.isin(["small", "micro"]).mean()
    assert set(demo) >= set(NEW)
