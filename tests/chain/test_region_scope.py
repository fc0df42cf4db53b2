"""Chain metrics of a region (issue 19): with ``region`` the purchases are those whose buyer is an
enterprise of that GB/T 2260 region or below; producer counts and the best domestic technology
level stay national. Checked against a brute-force pandas computation on random purchases among
firms of two provinces (prefecture, county and city-less firms), on DuckDB and on Spark.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from reforge.chain import bottlenecks, chain_map
from reforge.chain.metrics import purchases_sql
from reforge.errors import InvalidInput, ReforgeError
from tests.chain.toy import toy_tables
from tests.conftest import put_tables

YEAR = 2024
# (province, city, county) of the firms; a None city with a county code counts under the county's prefecture
PLACES = [("320000", "320500", "320506"), ("320000", "320500", None), ("320000", None, "320506"),
          ("320000", None, "320505"), ("320000", "320100", "320102"), ("320000", "320100", None),
          ("440000", "440300", "440305"), ("440000", "440300", None)]
REGIONS = ["320000", "320500", "320506", "320100", "320102", "440300", "440000", "110000"]
FOREIGN = {"F_JP1": "JP", "F_JP2": "JP", "F_DE": "DE", "F_US": "US"}


def region_tables(seed: int = 3) -> dict[str, pd.DataFrame]:
    """The toy chain's template with 24 random firms and random purchases (unique per supplier,
    buyer and item within a year; some in 2023, which must be ignored)."""
    rnd = random.Random(seed)
    t = toy_tables()
    firms = [f"F{i:02d}" for i in range(24)]
    places = [PLACES[i % len(PLACES)] for i in range(len(firms))]
    t["enterprises"] = pd.DataFrame({
        "uscc": firms, "name": firms, "name_en": firms,
        "province_code": [p[0] for p in places], "city_code": [p[1] for p in places],
        "county_code": [p[2] for p in places], "industry_code": ["3311"] * len(firms),
        "main_item_id": [None] * len(firms)})
    t["foreign_suppliers"] = pd.DataFrame({"supplier_id": list(FOREIGN), "name": list(FOREIGN),
                                           "country": list(FOREIGN.values())})
    items = list(t["chain_items"]["item_id"])
    caps = []
    for it in items[:-1]:  # X keeps no capability
        for f in rnd.sample(firms, 2):
            caps.append((f, "enterprise", it, rnd.randint(1, 5), 1e6, rnd.choice([None, 2010, 2025])))
        caps.append((rnd.choice(list(FOREIGN)), "foreign", it, 5, 1e6, 2000))
    t["capabilities"] = pd.DataFrame(caps, columns=["producer_id", "producer_type", "item_id", "tech_level",
                                                    "capacity", "since_year"])
    links = []
    suppliers = [(f, "enterprise") for f in firms] + [(f, "foreign") for f in FOREIGN]
    for year in (2023, YEAR):
        for b in firms:
            for it in items[:-1]:
                if rnd.random() < 0.45:
                    for s, st in rnd.sample([x for x in suppliers if x[0] != b], rnd.randint(1, 3)):
                        links.append((s, st, b, it, year, float(rnd.randint(1, 50) * 10)))
    t["supply_links"] = pd.DataFrame(links, columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id",
                                                     "year", "value"])
    return t


def in_region(province: str | None, city: str | None, county: str | None, region: str) -> bool:
    """GB/T 2260 "region or below", written out independently of the SQL."""
    if region[2:] == "0000":
        return province == region
    if region[4:] == "00":
        return city == region or (city is None and county is not None and county[:4] == region[:4])
    return county == region


def brute_force(t: dict[str, pd.DataFrame], region: str | None) -> dict[str, dict]:
    """The metrics of every chain item from plain pandas: purchases of the region's buyers,
    producers and best domestic level over the whole country."""
    ent = t["enterprises"]
    inside = {r.uscc for r in ent.itertuples() if region is None or in_region(
        r.province_code, r.city_code, r.county_code, region)}
    year_links = t["supply_links"][t["supply_links"]["year"] == YEAR]
    links = year_links[year_links["buyer_uscc"].isin(inside)]
    caps = t["capabilities"]
    caps = caps[caps["since_year"].isna() | (caps["since_year"] <= YEAR)]
    out = {}
    for it in t["chain_items"]["item_id"]:
        li = links[links["item_id"] == it]
        total = float(li["value"].sum())
        dom = float(li.loc[li["supplier_type"] == "enterprise", "value"].sum())
        by_sup = li.groupby("supplier_id")["value"].sum()
        fo = li[li["supplier_type"] == "foreign"]
        by_country = fo.groupby(fo["supplier_id"].map(FOREIGN))["value"].sum()
        per_buyer = li.groupby("buyer_uscc").size()
        national = year_links[year_links["item_id"] == it]
        c = caps[caps["item_id"] == it]

        def producers(kind: str, c=c, national=national) -> int:
            return len(set(c.loc[c["producer_type"] == kind, "producer_id"])
                       | set(national.loc[national["supplier_type"] == kind, "supplier_id"]))
        levels = c.loc[c["producer_type"] == "enterprise", "tech_level"]
        out[it] = {
            "total_value": total, "domestic_value": dom,
            "domestic_share": dom / total if total else None,
            "import_dependence": (total - dom) / total if total else None,
            "n_buyers": int(li["buyer_uscc"].nunique()),
            "single_supplier_buyers": int((per_buyer == 1).sum()),
            "n_suppliers": len(by_sup),
            "supplier_hhi": float(((by_sup / total) ** 2).sum()) if total else None,
            "top1_share": float(by_sup.max() / total) if total else None,
            "foreign_country_hhi": float(((by_country / by_country.sum()) ** 2).sum()) if len(fo) else None,
            "top_country_share": float(by_country.max() / by_country.sum()) if len(fo) else None,
            "domestic_producers": producers("enterprise"), "foreign_producers": producers("foreign"),
            "best_domestic_level": float(levels.max()) if len(levels) else None,
        }
    return out


def _check(got: dict[str, dict], want: dict[str, dict], what: str) -> None:
    assert set(got) == set(want), what
    for it, w in want.items():
        for k, v in w.items():
            g = got[it][k]
            if v is None:
                assert g is None, (what, it, k, g)
            else:
                assert g == pytest.approx(v, rel=1e-9, abs=1e-9), (what, it, k, g, v)


@pytest.fixture
def engine(any_engine):
    t = region_tables()
    put_tables(any_engine, t)
    return any_engine, t


def test_region_metrics_equal_a_brute_force_computation(engine):
    e, t = engine
    national = bottlenecks(e, "toy")
    _check({i["item_id"]: i for i in national.items}, brute_force(t, None), "national")
    assert national.region is None and "region" not in national.to_dict() and "scope" not in national.to_dict()
    for region in REGIONS:
        b = bottlenecks(e, "toy", region=region)
        assert b.region == region and b.year == national.year
        want = brute_force(t, region)
        _check({i["item_id"]: i for i in b.items}, want, region)
        if region == "110000":  # no firm there: nothing bought, producers still national
            assert all(w["total_value"] == 0 for w in want.values())
    # the data really differ by region, so a filter that does nothing would be noticed
    assert brute_force(t, "320500") != brute_force(t, None) != brute_force(t, "440000")


def test_labels_and_map_follow_the_region_metrics(engine):
    e, t = engine
    nat = {i["item_id"]: i for i in bottlenecks(e, "toy").items}
    sz = {i["item_id"]: i for i in bottlenecks(e, "toy", region="320506").items}
    for it in ("A", "B", "C", "D"):  # producers national, so missing/blank agree
        assert (sz[it]["label"] in ("missing", "blank")) == (nat[it]["label"] in ("missing", "blank"))
    m = chain_map(e, "toy", region="320506")
    assert {n["id"]: n["label"] for n in m["nodes"]} == {k: v["label"] for k, v in sz.items()}
    assert chain_map(e, "toy") == chain_map(e, "toy", region=None)


def test_whole_province_equals_the_unscoped_result_when_every_buyer_is_in_it(engine):
    e, t = engine
    ent = t["enterprises"].assign(province_code="320000")
    put_tables(e, {"enterprises": ent})
    nat, prov = bottlenecks(e, "toy"), bottlenecks(e, "toy", region="320000")
    assert [i["item_id"] for i in nat.items] == [i["item_id"] for i in prov.items]
    for a, b in zip(nat.items, prov.items, strict=True):
        assert set(a) == set(b)
        for k in a:  # sums may add up in another order: equal to the last bits, not bit for bit
            assert _close(a[k], b[k]), (a["item_id"], k, a[k], b[k])


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float | int):
        return b == pytest.approx(a, rel=1e-12, abs=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_a_simulation_reported_for_regions_partitions_the_national_report(engine):
    """The cascade runs over the whole network; a region's report keeps its firms and its buyers'
    losses, so the two provinces' reports add up to the national one (every buyer is in one)."""
    from reforge.chain import simulate
    e, t = engine
    nat = simulate(e, remove_country="JP", year=YEAR)
    assert nat.disrupted_firms and nat.region is None
    parts = {r: simulate(e, remove_country="JP", year=YEAR, region=r) for r in ("320000", "440000")}
    assert sorted(f for p in parts.values() for f in p.disrupted_firms) == sorted(nat.disrupted_firms)
    assert sum(p.lost_value for p in parts.values()) == pytest.approx(nat.lost_value, rel=1e-12)
    for it in {r["item_id"] for r in nat.by_item}:
        def lost(res, item=it):
            return sum(r["lost_value"] for r in res.by_item if r["item_id"] == item)
        assert sum(lost(p) for p in parts.values()) == pytest.approx(lost(nat), rel=1e-12), it
    for p in parts.values():
        assert set(p.removed) == set(nat.removed)  # foreign suppliers: no region's firms
        assert 0 < p.lost_value < nat.lost_value
    ent = t["enterprises"]
    sz = set(ent.loc[(ent.city_code == "320500") | (ent.city_code.isna() & ent.county_code.str.startswith("3205",
                                                                                                         na=False)),
                     "uscc"])
    city = simulate(e, remove_country="JP", year=YEAR, region="320500")
    assert set(city.disrupted_firms) == set(nat.disrupted_firms) & sz


def test_the_region_is_checked_and_bound(duck, monkeypatch):
    put_tables(duck, region_tables())
    for bad in ("3205' OR 1=1 --", "32050", "3205000", 320500, "３２０５００", ""):
        with pytest.raises(InvalidInput) as ei:
            bottlenecks(duck, "toy", region=bad)  # type: ignore[arg-type]
        assert ei.value.code == "region.bad_code" and isinstance(ei.value, ReforgeError)
    seen = []
    real = duck.fetch_df
    monkeypatch.setattr(duck, "fetch_df", lambda sql, params=None: seen.append((sql, params)) or real(sql, params))
    bottlenecks(duck, "toy", region="320506")
    metric_sql = [(s, p) for s, p in seen if "buyer_uscc IN (SELECT e.uscc FROM enterprises e WHERE" in s]
    assert len(metric_sql) == 1
    sql, params = metric_sql[0]
    assert "320506" not in sql and "3205" not in sql and params["reg_code"] == "320506"
    assert purchases_sql("SELECT 1", YEAR) == purchases_sql("SELECT 1", YEAR, None)
    assert "enterprises" not in purchases_sql("SELECT 1", YEAR)
