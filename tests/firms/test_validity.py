"""Designations without expires_on expire after the rule set's validity (issue 14, finding 3):
screening features, warnings/cohorts, review and profiles agree."""

from __future__ import annotations

from datetime import date

import pytest

from reforge.firms import profile, review, screen, warnings
from reforge.firms.rules_model import load_rules
from reforge.firms.screen import prepare_features
from reforge.firms.validity import effective_expiry, valid_sql, validity_years
from tests.conftest import put_tables
from tests.firms.factory import lg_exact, tables, twin

OLD = dict(kind="srdi_sme", granted_on="2019-06-01", expires_on=None, status="active")
RECENT = dict(kind="srdi_sme", granted_on="2021-06-01", expires_on=None, status="active")
OLD_LG = dict(kind="little_giant", granted_on="2019-06-01", expires_on=None, status="active")


def _firms() -> list[dict]:
    b = lg_exact("BASE")
    return [b, twin(b, "OLD", designations=[OLD, OLD_LG]), twin(b, "RECENT", designations=[RECENT])]


def test_default_expiry_by_kind_and_rule_set():
    assert validity_years("little_giant", date(2019, 6, 1)) == 3  # before 2022: the first rule set
    assert load_rules("2026").designation_validity_years["srdi_sme"] == 3
    assert effective_expiry("srdi_sme", date(2019, 6, 1), None) == date(2022, 6, 1)
    assert effective_expiry("srdi_sme", date(2019, 6, 1), date(2030, 1, 1)) == date(2030, 1, 1)  # given wins
    assert effective_expiry("rd_institution_national", date(2019, 6, 1), None) is None  # no default
    assert effective_expiry("little_giant", date(2020, 2, 29), None) == date(2023, 2, 28)


def test_granted_2019_without_expiry_not_valid_in_2023(any_engine):
    put_tables(any_engine, tables(_firms()))
    # screening year 2023: designations as of 2022-12-31 (the 2019 grant expired 2022-06-01)
    feats = prepare_features(any_engine, [2023, 2024])
    df = any_engine.fetch_df(f"SELECT uscc, year, des_srdi_sme, des_little_giant FROM {feats} "
                             f"WHERE uscc IN ('OLD', 'RECENT') ORDER BY uscc, year")
    got = {(r.uscc, int(r.year)): (int(r.des_srdi_sme), int(r.des_little_giant)) for r in df.itertuples()}
    assert got == {("OLD", 2023): (0, 0), ("OLD", 2024): (0, 0),
                   ("RECENT", 2023): (1, 0), ("RECENT", 2024): (1, 0)}  # 2021 grant: valid to 2024-06-01
    cond = valid_sql("DATE '2023-01-01'", granted="CAST(granted_on AS DATE)", expires="CAST(expires_on AS DATE)")
    on = any_engine.fetch_df(  # the SQL every consumer uses, on 2023-01-01 exactly
        f"SELECT uscc, kind, {cond} AS ok FROM designations ORDER BY uscc, kind")
    assert [(r.uscc, r.kind, bool(r.ok)) for r in on.itertuples()] == [
        ("BASE", "srdi_sme", True), ("OLD", "little_giant", False), ("OLD", "srdi_sme", False),
        ("RECENT", "srdi_sme", True)]
    s = {e["uscc"]: e for e in screen(any_engine, "little_giant", 2023, rules="2022").to_dict()["firms"]}
    assert "srdi_status" in {f["condition"] for f in s["OLD"]["failed"]}
    assert "srdi_status" not in {f["condition"] for f in s["RECENT"]["failed"]}


def test_warnings_review_and_profile_agree(duck):
    put_tables(duck, tables(_firms()))
    w = {f["uscc"] for f in warnings(duck, 2022).to_dict()["firms"]}
    assert "OLD" not in w and "RECENT" in w  # designated firms as of 2022-12-31
    assert "OLD" in {f["uscc"] for f in warnings(duck, 2021).to_dict()["firms"]}  # still valid in 2021
    exp = {(f["uscc"], f["kind"]): f["expires_on"] for f in review(duck, 2022).to_dict()["firms"]}
    assert exp == {("OLD", "srdi_sme"): "2022-06-01", ("OLD", "little_giant"): "2022-06-01"}
    p = profile(duck, "OLD")
    assert [(d["kind"], d["valid_until"], d["expiry_inferred"]) for d in p["designations"]] == [
        ("little_giant", "2022-06-01", True), ("srdi_sme", "2022-06-01", True)]
    base = profile(duck, "BASE")["designations"][0]
    assert base["valid_until"] == "2025-05-31" and base["expiry_inferred"] is False


def test_bad_validity_in_rules_is_rejected(tmp_path):
    from reforge.errors import ReforgeError
    text = (load_rules("2022").model_dump_json())
    import json
    d = json.loads(text)
    d["designation_validity_years"] = {"nonsense": 3}
    p = tmp_path / "r.yaml"
    import yaml
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReforgeError, match="unknown designation kinds"):
        load_rules(p)


