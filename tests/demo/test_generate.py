"""Demo province generator: determinism, codes, schema conformance and the planted truth.

Oracles are independent of the generator: the GB 32100-2015 algorithm written out
here, the official code lists, CRITERIA.md §5 numbers typed in by hand, issue 3's label
rules computed with pandas/networkx (``labels.py``), a hand-rolled 2x2 DiD per cohort,
and a plain logistic regression for the default signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.demo.generate import PLANTED, build_tables
from reforge.schema.tables import DATA_TABLES, get_table
from tests.demo.labels import item_metrics

N, SEED = 3000, 11
CHAINS = {"industrial_robot", "nev_battery", "cnc_machine_tool", "integrated_circuit",
          "construction_hydraulics", "display_panel"}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return build_tables(N, SEED)


# --- GB 32100-2015, written out independently -------------------------------------
_ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _gb32100_check(code17: str) -> str:
    total = sum(_ALPHA.index(ch) * (3 ** i % 31) for i, ch in enumerate(code17))
    c = 31 - total % 31
    return _ALPHA[0 if c == 31 else c]


def test_gb32100_oracle_on_a_published_code():
    # a real, publicly listed code (Huawei Technologies Co., Ltd.)
    assert _gb32100_check("91440300192203821") == "6"   # 914403001922038216


def test_every_uscc_check_digit_is_valid(tables):
    codes = tables["enterprises"].uscc
    assert codes.str.len().eq(18).all()
    assert codes.is_unique
    bad = [c for c in codes if _gb32100_check(c[:17]) != c[17]]
    assert bad == []


def test_uscc_division_part_matches_county(tables):
    from reforge.ingest.codes import division_codes
    e = tables["enterprises"]
    assert (e.uscc.str[2:8] == e.county_code).all()
    assert e.uscc.str[2:8].isin(division_codes()).all()


def test_determinism_and_seed_sensitivity():
    a = build_tables(600, 5)
    b = build_tables(600, 5)
    assert set(a) == set(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    c = build_tables(600, 6)
    assert not a["enterprises"].uscc.equals(c["enterprises"].uscc)


# --- schema conformance ---------------------------------------------------------------
def test_every_data_table_present_and_nonempty(tables):
    assert set(tables) == set(DATA_TABLES)
    assert all(len(df) > 0 for df in tables.values())


@pytest.mark.parametrize("name", DATA_TABLES)
def test_columns_required_and_keys(tables, name):
    t = get_table(name)
    df = tables[name]
    assert set(df.columns) <= set(t.names)
    for c in t.columns:
        if c.required or c.name in t.key:
            assert c.name in df.columns, c.name
            assert df[c.name].notna().all(), f"{name}.{c.name} has nulls"
    assert not df.duplicated(list(t.key)).any(), f"duplicate keys in {name}"


@pytest.mark.parametrize("name", DATA_TABLES)
def test_references_resolve(tables, name):
    t = get_table(name)
    df = tables[name]
    for ref in t.references:
        if ref.column not in df:
            continue
        rows = df
        if ref.when:
            rows = df[df[ref.when[0]] == ref.when[1]]
        vals = rows[ref.column].dropna()
        allowed = set().union(*[set(tables[tt][cc]) for tt, cc in ref.targets])
        missing = set(vals) - allowed
        assert not missing, f"{name}.{ref.column}: {sorted(missing)[:5]}"


@pytest.mark.parametrize("name", DATA_TABLES)
def test_value_rules(tables, name):
    from reforge.ingest.codes import country_codes, division_codes, industry_codes
    t = get_table(name)
    df = tables[name]
    for c in t.columns:
        if c.name not in df or not c.rule:
            continue
        v = df[c.name].dropna()
        if c.rule == "share":
            assert ((v >= 0) & (v <= 1)).all(), c.name
        elif c.rule == "nonneg":
            assert (v >= 0).all(), c.name
        elif c.rule == "level5":
            assert v.between(1, 5).all(), c.name
        elif c.rule == "enum":
            assert v.isin(c.choices).all(), (c.name, set(v) - set(c.choices))
        elif c.rule == "division":
            assert v.isin(division_codes()).all(), c.name
        elif c.rule == "industry":
            assert v.isin(industry_codes()).all(), c.name
            assert v.str.len().eq(4).all()
        elif c.rule == "country":
            assert v.isin(country_codes()).all(), c.name
        elif c.rule == "year":
            assert v.between(1949, 2100).all(), c.name


def test_imports_through_the_real_importer():
    from reforge.engine import DuckDBEngine
    from reforge.ingest import import_tables
    t = build_tables(600, 2)
    eng = DuckDBEngine(":memory:")
    try:
        res = import_tables(eng, {k: [(k, v)] for k, v in t.items()}, mode="append")
        assert res.ok, res.problems.head(10).to_string()
        assert eng.count("enterprises") == 600
    finally:
        eng.close()


def test_bad_sizes_rejected():
    with pytest.raises(ValueError, match="between 500"):
        build_tables(10)
    with pytest.raises(ValueError, match="integer"):
        build_tables("1000")  # type: ignore[arg-type]


def test_progress_reported():
    seen: list[tuple[str, float]] = []
    build_tables(600, 1, progress=lambda s, f: seen.append((s, f)))
    fr = [f for _, f in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0 and len(seen) >= 5


# --- places and firms -------------------------------------------------------------------
def test_places_consistent(tables):
    from reforge.ingest.codes import current_divisions
    dv = current_divisions().set_index("code")
    e = tables["enterprises"]
    assert (e.county_code.map(dv.province_code) == e.province_code).all()
    has_city = e.city_code.notna()
    assert (e.county_code[has_city].map(dv.parent_code) == e.city_code[has_city]).all()
    assert (dv.loc[e.city_code[has_city], "level"] == "prefecture").all()
    home = (e.province_code == "320000").mean()
    assert 0.65 < home < 0.75
    east = e.province_code.isin(["110000", "120000", "130000", "310000", "330000", "350000", "370000",
                                 "440000", "460000"]).sum()
    west = e.province_code.str[:2].isin(["15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]).sum()
    assert east > west
    assert e.name.str.endswith("有限公司").all()


def test_panel_ranges(tables):
    ey = tables["enterprise_years"]
    assert ey.year.between(2015, 2025).all()
    assert (ey.main_business_revenue <= ey.revenue + 1).all()
    assert 0.005 < ey.rd_staff.isna().mean() < 0.08
    rdi = ey.rd_expense / ey.revenue
    assert 0.015 < rdi.median() < 0.05
    lev = ey.total_liabilities / ey.total_assets
    assert 0.35 < lev.median() < 0.6
    e = tables["enterprises"].set_index("uscc")
    first = ey.groupby("uscc").year.min()
    assert (first == e.founded_on.dt.year.clip(lower=2015).reindex(first.index)).all()


# --- the chain atlas and planted labels -------------------------------------------------
def test_chain_template_sizes(tables):
    ci = tables["chain_items"]
    assert set(tables["chains"].chain_id) == CHAINS
    assert ci.groupby("chain_id").size().min() >= 25
    assert tables["items"].item_id.nunique() >= 150
    assert (ci.item_id == "bearing_steel").sum() == 2
    ends = ci[ci.is_end_product]
    assert ends.end_value.gt(0).all() and ci[~ci.is_end_product].end_value.isna().all()


@pytest.mark.parametrize("chain_id", sorted(CHAINS))
@pytest.mark.parametrize("buyers_in_chain", [False, True])
def test_planted_labels_hold(tables, chain_id, buyers_in_chain):
    m = item_metrics(tables, chain_id, buyers_in_chain).set_index("item_id")
    for lab in ("blank", "chokepoint", "weak", "sound"):
        for item in PLANTED[lab][chain_id]:
            assert m.at[item, "label"] == lab, (item, m.loc[item].to_dict())
            assert m.at[item, "n_rules"] <= 1, (item, "meets more than one rule")
    assert len(PLANTED["blank"][chain_id]) >= 1
    assert len(PLANTED["weak"][chain_id]) >= 1
    assert len(PLANTED["chokepoint"][chain_id]) >= 1
    assert len(PLANTED["sound"][chain_id]) >= 5


def test_chokepoint_countries_and_examples(tables):
    fs = tables["foreign_suppliers"].set_index("supplier_id").country
    sl = tables["supply_links"]
    sl = sl[(sl.year == PLANTED["link_year"]) & (sl.supplier_type == "foreign")]
    for item, cc in PLANTED["chokepoint_country"].items():
        s = sl[sl.item_id == item]
        if len(s):
            assert s.groupby(s.supplier_id.map(fs)).value.sum().idxmax() == cc
    assert PLANTED["chokepoint_country"]["rv_reducer"] == "JP"
    assert PLANTED["chokepoint_country"]["photoresist"] == "JP"
    assert PLANTED["chokepoint_country"]["eda"] == "US"
    assert PLANTED["chokepoint_country"]["litho_scanner"] == "NL"
    assert "tactile_sensor" in PLANTED["blank"]["industrial_robot"]


def test_link_count_proportional(tables):
    per_firm = len(tables["supply_links"]) / N
    assert 4 <= per_firm <= 12
    sl = tables["supply_links"]
    assert set(sl.basis) == {"observed", "inferred"}
    assert (sl.loc[sl.basis == "observed", "confidence"] == 1).all()


# --- designations and the planted Little Giant effect ------------------------------------
def test_designation_structure(tables):
    d = tables["designations"]
    lg = d[d.kind == "little_giant"].groupby("uscc").granted_on.min()
    srdi = d[d.kind == "srdi_sme"].groupby("uscc").granted_on.min()
    assert lg.index.isin(srdi.index).all()
    assert (srdi.reindex(lg.index).dt.year <= lg.dt.year).all()
    assert lg.dt.year.between(2019, 2025).all() and lg.dt.year.nunique() >= 6
    days = (d.expires_on - d.granted_on).dt.days
    tiers = d.kind.isin(["little_giant", "srdi_sme", "innovative_sme"])
    assert days[tiers].between(1090, 1100).all()
    assert 0.01 < len(lg) / N < 0.06
    assert (d.kind == "single_champion").any()
    inn = d[d.kind == "innovative_sme"].granted_on.dt.year
    assert inn.min() >= 2022


def _did(tables, outcome: str) -> pd.Series:
    """Per event time: size-weighted 2x2 DiD of each cohort vs never-designated (base g-1)."""
    ey = tables["enterprise_years"].sort_values(["uscc", "year"]).copy()
    if outcome == "rd_intensity":
        ey["y"] = ey.rd_expense / ey.revenue
    else:
        ey["y"] = ey.groupby("uscc").revenue.pct_change()
    d = tables["designations"]
    g = d[d.kind == "little_giant"].groupby("uscc").granted_on.min().dt.year
    wide = ey.pivot(index="uscc", columns="year", values="y")
    grp = g.reindex(wide.index).fillna(0).astype(int)
    never = wide[grp == 0]
    rows = []
    for gg in sorted(set(grp[grp > 0])):
        tr = wide[grp == gg]
        for t in range(2016, 2026):
            base = gg - 1 if t >= gg else t - 1
            if base < 2016 and outcome != "rd_intensity" or base < 2015:
                continue
            dt = (tr[t] - tr[base]).dropna()
            dc = (never[t] - never[base]).dropna()
            if len(dt) >= 3:
                rows.append((t - gg, dt.mean() - dc.mean(), len(dt)))
    r = pd.DataFrame(rows, columns=["e", "att", "n"])
    return r.groupby("e").apply(lambda x: np.average(x.att, weights=x.n), include_groups=False)


@pytest.fixture(scope="module")
def tables_20k() -> dict[str, pd.DataFrame]:
    return build_tables(20000, 7)


@pytest.mark.extended  # the planted effect on 20,000 firms; the estimators are tested against published references
def test_little_giant_effect_recovered(tables_20k):
    tables = tables_20k
    eff = PLANTED["little_giant_effect"]
    assert eff["first_effect_year_offset"] == 1
    rd = _did(tables, "rd_intensity")
    post = rd[(rd.index >= 1) & (rd.index <= 4)]
    pre = rd[(rd.index <= -1) & (rd.index >= -5)]
    assert np.allclose(post, eff["rd_intensity"], atol=0.0015), post.to_dict()
    assert np.allclose(pre, 0, atol=0.0015), pre.to_dict()
    assert abs(rd.loc[0]) < 0.0015           # no effect in the designation year itself
    gr = _did(tables, "revenue_growth")
    # about 600 treated firms, shock sd 0.07: the standard error of these means is about 0.003
    assert abs(gr[(gr.index >= 1) & (gr.index <= 4)].mean() - eff["revenue_growth"]) < 0.012
    assert abs(gr[(gr.index <= -1) & (gr.index >= -4)].mean()) < 0.012


# --- credit ------------------------------------------------------------------------------
def test_defaults_rate_and_out_of_time_signal(tables):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    df = tables["defaults"]
    assert 0.01 < df.defaulted.mean() < 0.08
    ey = tables["enterprise_years"]
    prev = ey[["uscc", "year"]].copy()
    prev["year"] += 1
    prev["lev"] = ey.total_liabilities / ey.total_assets
    prev["margin"] = ey.net_profit / ey.revenue
    prev["ln_assets"] = np.log(ey.total_assets)
    cr = tables["credit_records"]
    feat = df.merge(prev, on=["uscc", "year"])
    for kind in ("admin_penalty", "dishonest_debtor", "abnormal_operation"):
        c = cr[cr.kind == kind][["uscc"]].assign(year=cr.recorded_on.dt.year + 1, **{kind: 1}).drop_duplicates()
        feat = feat.merge(c, on=["uscc", "year"], how="left")
    tax = cr[cr.kind == "tax_rating"]
    tax = pd.DataFrame({"uscc": tax.uscc, "year": tax.recorded_on.dt.year + 1,
                        "tax_cd": tax.value.isin(["C", "D"]).astype(int)})
    feat = feat.merge(tax, on=["uscc", "year"], how="left")
    x = ["lev", "margin", "ln_assets", "admin_penalty", "dishonest_debtor", "abnormal_operation", "tax_cd"]
    feat[x] = feat[x].fillna(0)
    train, test = feat[feat.year <= 2022], feat[feat.year >= 2023]
    model = LogisticRegression(max_iter=1000).fit(train[x], train.defaulted)
    auc = roc_auc_score(test.defaulted, model.predict_proba(test[x])[:, 1])
    assert auc >= 0.75
    rating = cr[cr.kind == "tax_rating"].value.value_counts(normalize=True)
    assert set(rating.index) <= {"A", "B", "M", "C", "D"} and rating["B"] > 0.2 and rating["C"] > 0.03


# --- macro and IO ------------------------------------------------------------------------
def test_china_indicators_match_criteria(tables):
    ind = tables["indicators"]
    cn = ind[ind.region_code == "CN"].set_index(["indicator", "year"]).value
    # CRITERIA.md §5, typed in by hand
    expected = {("manufacturing_va_share_gdp", 2021): 0.274, ("manufacturing_va_share_gdp", 2022): 0.277,
                ("manufacturing_va_share_gdp", 2023): 0.262, ("manufacturing_va_share_gdp", 2024): 0.249,
                ("manufacturing_va_share_gdp", 2020): 0.263, ("manufacturing_fai_growth", 2021): 0.135,
                ("manufacturing_fai_growth", 2023): 0.065, ("manufacturing_fai_growth", 2024): 0.092}
    for k, v in expected.items():
        assert cn[k] == pytest.approx(v, abs=1e-12)
    prov = ind[ind.region_code != "CN"]
    assert prov.source.str.contains("synthetic").all()
    assert set(prov.year) == set(range(2015, 2026))


def test_io_table_balanced(tables):
    io = tables["io_tables"]
    sec = tables["io_sectors"].set_index("code").kind
    w = io.pivot(index="row_code", columns="col_code", values="value")
    s = [c for c in sec.index if sec[c] == "sector"]
    fd = [c for c in sec.index if sec[c] == "final_demand"]
    out_row = w.loc[s, s].sum(axis=1) + w.loc[s, fd].sum(axis=1)
    assert np.allclose(out_row, w.loc[s, "TOTAL"], rtol=0, atol=1e-3)
    inp_col = w.loc[s, s].sum(axis=0) + w.loc["VA", s]
    assert np.allclose(inp_col, w.loc["TOTAL", s], rtol=0, atol=1e-3)
    assert np.allclose(w.loc[s, "TOTAL"].to_numpy(), w.loc["TOTAL", s].to_numpy())
    a = w.loc[s, s].to_numpy() / w.loc["TOTAL", s].to_numpy()[None, :]
    assert (a.sum(axis=0) < 1).all()
    its = tables["item_sectors"]
    assert np.allclose(its.groupby("item_id").weight.sum(), 1.0)
    assert set(its.sector_code) <= set(s)


def test_planted_md_mirrors_planted():
    from pathlib import Path

    import reforge.demo as demo_pkg
    text = (Path(demo_pkg.__file__).parent / "PLANTED.md").read_text(encoding="utf-8")
    for chain, items in PLANTED["planted"].items():
        assert f"`{chain}`" in text
        for item, lab in items.items():
            assert f"`{item}`" in text and f"**{lab}**" in text
    for lab in ("blank", "chokepoint", "weak", "sound"):
        for items in PLANTED[lab].values():
            for item in items:
                assert f"`{item}`" in text, item
    assert "0.008" in text and "0.03" in text
    eff = PLANTED["little_giant_effect"]
    assert (eff["rd_intensity"], eff["revenue_growth"]) == (0.008, 0.03)
