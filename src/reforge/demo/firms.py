"""Synthetic enterprises and their yearly panel (2015-2025), vectorised over firms.

Latent firm traits drive everything observable:
- ``q`` (quality, N(0,1)): R&D, growth level, IP, niche share, digitalisation;
  designations select on it (levels), never on yearly noise, so parallel trends hold;
- ``z`` (risk, corr(q, z) = -0.4): debt, margins, credit records and defaults.

Panel data-generating process (t = 2015..2025, firms enter in their founding year):
- revenue growth ``g_it = mu_i + gamma_t + EFFECT_GROWTH * D_it + e_it``, e ~ N(0, GROWTH_SD = 0.07),
  revenue_t = revenue_{t-1} * (1 + g_it);
- R&D intensity ``r_it = rho_i + theta_t + EFFECT_RD * D_it + u_it``, u ~ N(0, RD_SD = 0.003),
  rd_expense = r_it * revenue;
- ``D_it = 1`` when t >= (first Little Giant year) + 1: the effect starts the year after
  designation and stays (absorbing treatment); no other designation has an effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reforge.demo.atlas import designs, template
from reforge.demo.names import enterprise_names, short_place
from reforge.demo.uscc import make_uscc

YEARS = np.arange(2015, 2026)
HOME_PROVINCE = "320000"  # Jiangsu
HOME_SHARE = 0.70
EFFECT_RD = 0.008        # fraction points of rd_expense / revenue
EFFECT_GROWTH = 0.03     # fraction points of revenue growth
EFFECT_OFFSET = 1        # first affected year = designation year + 1
GROWTH_SD = 0.07         # sd of the iid yearly growth shock
RD_SD = 0.003            # sd of the iid yearly R&D-intensity shock
GAMMA = dict(zip(YEARS.tolist(), [0.0, 0.0, 0.03, 0.01, -0.01, -0.05, 0.06, -0.02, 0.0, 0.01, 0.0], strict=True))
THETA = dict(zip(YEARS.tolist(), [0.0, 0.0005, 0.001, 0.0015, 0.002, 0.001, 0.003, 0.0035, 0.004, 0.0045, 0.005],
                 strict=True))
EAST = ["110000", "120000", "130000", "310000", "330000", "350000", "370000", "440000", "460000"]
CENTRAL = ["140000", "340000", "360000", "410000", "420000", "430000", "210000", "220000", "230000"]
WEST = ["150000", "450000", "500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000",
        "640000", "650000"]
FOUNDATION_WEIGHT = {"end_product": 2.5, "component": 1.6, "electronic_component": 1.0, "material": 1.2,
                     "process": 1.2, "equipment": 0.8, "software": 0.9, "technology_foundation": 0.5}
STATE_WEIGHT = {"sound": 1.4, "weak": 0.9, "chokepoint": 0.45, "blank": 0.0}
OTHER_INDUSTRY = ["3311", "3484", "3489", "3499", "2929", "3399", "3824", "3979", "4090", "3670", "3599", "2669"]


@dataclass
class Firms:
    """Per-firm arrays (index = firm number) and the panel matrices (firm x YEARS)."""

    table: pd.DataFrame          # enterprises
    item_idx: np.ndarray         # index into items table, -1 = not in a chain
    chain: np.ndarray            # chain id of the main item (object, None when not in a chain)
    founded_year: np.ndarray
    q: np.ndarray
    z: np.ndarray
    exists: np.ndarray           # bool (n, 11)
    revenue: np.ndarray | None = None   # (n, 11), NaN before founding
    lev: np.ndarray | None = None
    margin: np.ndarray | None = None
    assets: np.ndarray | None = None


def _divisions() -> pd.DataFrame:
    from reforge.ingest.codes import current_divisions
    return current_divisions()


def place_firms(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Province, city and county codes: 70% Jiangsu, the rest east > central > west."""
    dv = _divisions()
    counties = dv[dv.level == "county"]
    prov = np.empty(n, dtype=object)
    home = rng.random(n) < HOME_SHARE
    prov[home] = HOME_PROVINCE
    k = int((~home).sum())
    region = rng.choice(3, size=k, p=[0.6, 0.25, 0.15])
    other = np.empty(k, dtype=object)
    for r, lst in enumerate((EAST, CENTRAL, WEST)):
        m = region == r
        other[m] = np.array(lst, dtype=object)[rng.integers(0, len(lst), int(m.sum()))]
    prov[~home] = other
    county = np.empty(n, dtype=object)
    by_prov = {p: g.code.to_numpy() for p, g in counties.groupby("province_code")}
    for p in np.unique(prov):
        m = prov == p
        codes = by_prov[p]
        county[m] = codes[rng.integers(0, len(codes), int(m.sum()))]
    level = dict(zip(dv.code, dv.level, strict=True))
    parent = dict(zip(counties.code, counties.parent_code, strict=True))
    name = dict(zip(dv.code, dv.name, strict=True))
    uniq = pd.unique(county)
    city_of = {c: (parent[c] if level.get(parent[c]) == "prefecture" else None) for c in uniq}
    city = pd.Series(county).map(city_of).to_numpy()
    place_of = {c: short_place(name[city_of[c]] if city_of[c] else name[c[:2] + "0000"]) for c in uniq}
    place = pd.Series(county).map(place_of).to_numpy()
    return pd.DataFrame({"province_code": prov, "city_code": city, "county_code": county, "place": place})


def assign_items(rng: np.random.Generator, n: int) -> np.ndarray:
    """Main chain item per firm (index into the items table, -1 for 15% outside the chains).

    Every item that has domestic producers gets at least one firm when n allows it.
    """
    items = template()["items"]
    ds = designs()
    w = np.array([FOUNDATION_WEIGHT[f] * STATE_WEIGHT[ds[i].state]
                  for i, f in zip(items.item_id, items.foundation, strict=True)])
    p = w / w.sum()
    out = rng.choice(len(items), size=n, p=p)
    out[rng.random(n) < 0.15] = -1
    must = np.flatnonzero(w > 0)
    k = min(len(must), n)
    first = rng.permutation(n)[:k]
    out[first] = rng.permutation(must)[:k]
    return out


def make_enterprises(rng: np.random.Generator, n: int, firm_offset: int = 0,
                     serial_base: int | None = None) -> Firms:
    """The enterprises table plus latent traits (no panel yet).

    USCC serials are ``(firm_offset + i) * 7,919,731 + base`` mod 10^8 (distinct for distinct
    ``firm_offset + i`` below 10^8); ``base`` is drawn from ``rng`` unless ``serial_base`` is given,
    which lets the shards of a national demo (``reforge.demo.national``) share one sequence."""
    t = template()
    items = t["items"]
    ci = t["chain_items"]
    first_chain = ci.drop_duplicates("item_id").set_index("item_id").chain_id
    item_idx = assign_items(rng, n)
    in_chain = item_idx >= 0
    item_ids = np.where(in_chain, items.item_id.to_numpy()[np.maximum(item_idx, 0)], None)
    chain = np.where(in_chain, first_chain.reindex(items.item_id).to_numpy()[np.maximum(item_idx, 0)], None)
    places = place_firms(rng, n)
    q = rng.standard_normal(n)
    z = -0.4 * q + np.sqrt(1 - 0.16) * rng.standard_normal(n)
    age = 1 + np.floor(rng.gamma(2.0, 6.0, n) + 0.3 * np.maximum(q, 0) * 4).astype(int)
    founded_year = np.clip(2025 - age, 1980, 2024)
    doy = rng.integers(0, 365, n)
    founded_on = (pd.to_datetime(founded_year.astype(str), format="%Y")
                  + pd.to_timedelta(doy, unit="D")).to_numpy().astype("datetime64[D]")
    drawn = int(rng.integers(0, 10**8))   # drawn either way: the rest of the stream stays the same
    base = drawn if serial_base is None else int(serial_base)
    serial = ((np.arange(n, dtype=np.int64) + int(firm_offset)) * 7_919_731 + base) % 10**8
    division = places.county_code.to_numpy().astype(np.int64)
    uscc = make_uscc(division, serial)
    industry = np.where(in_chain, items.industry.to_numpy()[np.maximum(item_idx, 0)],
                        np.array(OTHER_INDUSTRY, dtype=object)[rng.integers(0, len(OTHER_INDUSTRY), n)])
    ownership = rng.choice(np.array(["private", "state", "foreign", "mixed"], dtype=object), size=n,
                           p=[0.84, 0.05, 0.05, 0.06])
    ds = designs()
    state = pd.Series(item_ids, dtype=object).map({k: v.state for k, v in ds.items()}).fillna("sound").to_numpy()
    key_link = np.where(np.isin(state, ["chokepoint", "weak"]), rng.random(n) < 0.7, rng.random(n) < 0.1) & in_chain
    sei_p = pd.Series(chain).map({"industrial_robot": 0.8, "nev_battery": 0.85, "integrated_circuit": 0.9,
                                  "display_panel": 0.8, "cnc_machine_tool": 0.55,
                                  "construction_hydraulics": 0.5}).fillna(0.15).to_numpy()
    strategic = rng.random(n) < sei_p
    main_product = np.where(in_chain, items.name_zh.to_numpy()[np.maximum(item_idx, 0)], "通用机械零部件")
    table = pd.DataFrame({
        "uscc": uscc,
        "province_code": places.province_code.to_numpy(),
        "city_code": places.city_code.to_numpy(),
        "county_code": places.county_code.to_numpy(),
        "industry_code": industry,
        "founded_on": founded_on,
        "ownership": ownership,
        "main_product": main_product,
        "main_item_id": item_ids,
        "strategic_emerging": strategic,
        "key_chain_link": key_link,
    })
    table.attrs["place"] = places.place.to_numpy()
    exists = YEARS[None, :] >= founded_year[:, None]
    return Firms(table=table, item_idx=item_idx, chain=chain, founded_year=founded_year, q=q, z=z, exists=exists)


def finish_enterprises(rng: np.random.Generator, f: Firms) -> pd.DataFrame:
    """Add name, size class and listed status once the panel exists; return the enterprises table."""
    n = len(f.table)
    last = f.revenue[:, -1]
    rank = np.argsort(np.argsort(-last)) / max(n, 1)
    listed = (rank < 0.02) & (rng.random(n) < 0.5)
    names = enterprise_names(rng, f.table.attrs["place"], f.chain, listed)
    emp = f.table.attrs["employees_last"]
    size = np.where((emp >= 1000) & (last >= 4e8), "large",
                    np.where((emp >= 300) & (last >= 2e7), "medium",
                             np.where((emp >= 20) & (last >= 3e6), "small", "micro")))
    t = f.table.copy()
    t.insert(1, "name", names)
    t.insert(7, "size_class", size.astype(object))
    t.insert(9, "listed", listed)
    t.attrs = {}
    return t


def _firm_level(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    return mean + sd * rng.standard_normal(n)


def make_panel(rng: np.random.Generator, f: Firms, lg_year: np.ndarray) -> pd.DataFrame:
    """enterprise_years 2015-2025 with the planted Little Giant effect (see module docstring).

    ``lg_year``: first Little Giant designation year per firm, 0 when never designated.
    """
    n = len(f.table)
    ny = len(YEARS)
    q, z = f.q, f.z
    items = template()["items"]
    found = np.where(f.item_idx >= 0, items.foundation.to_numpy()[np.maximum(f.item_idx, 0)], "other")
    big = np.isin(found, ["end_product", "process"]).astype(float)
    treated = (lg_year > 0)[:, None] & (YEARS[None, :] >= (lg_year + EFFECT_OFFSET)[:, None])
    d_it = treated.astype(float)
    # revenue
    start = np.maximum(f.founded_year, 2015) - 2015
    young = f.founded_year >= 2015
    base = np.log(2.2e7) + 1.25 * rng.standard_normal(n) + 0.35 * q + 0.9 * big - 0.9 * young
    mu = 0.06 + 0.025 * q - 0.015 * z + 0.02 * rng.standard_normal(n)
    gamma = np.array([GAMMA[y] for y in YEARS])
    growth = mu[:, None] + gamma[None, :] + EFFECT_GROWTH * d_it + GROWTH_SD * rng.standard_normal((n, ny))
    growth = np.maximum(growth, -0.6)
    lg = np.log1p(growth)
    lg[:, 0] = 0.0
    cum = np.cumsum(lg, axis=1)
    logr = base[:, None] + cum - cum[np.arange(n), start][:, None]
    exists = f.exists
    revenue = np.where(exists, np.round(np.exp(logr)), np.nan)
    # R&D intensity
    rho = np.clip(0.008 + 0.011 * np.exp(0.6 * rng.standard_normal(n) + 0.5 * q), 0.008, 0.25)
    theta = np.array([THETA[y] for y in YEARS])
    rdi = rho[:, None] + theta[None, :] + EFFECT_RD * d_it + RD_SD * rng.standard_normal((n, ny))
    rdi = np.clip(rdi, 0.0, 0.6)
    rd_expense = np.round(rdi * revenue)
    # financial structure (z = risk)
    margin_i = 0.055 + 0.025 * q - 0.035 * z + 0.02 * rng.standard_normal(n)
    margin = margin_i[:, None] + 0.035 * rng.standard_normal((n, ny))
    lev_i = np.clip(0.47 + 0.11 * z - 0.04 * q + 0.07 * rng.standard_normal(n), 0.08, 0.92)
    lev = np.clip(lev_i[:, None] + 0.035 * rng.standard_normal((n, ny)), 0.03, 0.99)
    turnover = np.exp(-0.05 + 0.3 * rng.standard_normal(n))
    assets = np.round(revenue / turnover[:, None] * np.exp(0.05 * rng.standard_normal((n, ny))))
    liabilities = np.round(assets * lev)
    cur_a = np.round(assets * np.clip(0.55 + 0.1 * rng.standard_normal(n), 0.2, 0.9)[:, None])
    cur_l = np.round(liabilities * np.clip(0.75 + 0.1 * rng.standard_normal(n), 0.3, 1.0)[:, None])
    mshare_i = np.clip(0.78 + 0.06 * q + 0.13 * rng.standard_normal(n), 0.3, 1.0)
    mbr = np.round(revenue * np.clip(mshare_i[:, None] + 0.03 * rng.standard_normal((n, ny)), 0.3, 1.0))
    net_profit = np.round(revenue * margin)
    rev_per_emp = 6.5e5 * np.exp(0.35 * rng.standard_normal(n))
    employees = np.maximum(3, np.round(revenue / rev_per_emp[:, None]))
    rd_share = np.clip(0.06 + 0.05 * q + 0.04 * rng.standard_normal(n), 0.0, 0.8)
    rd_staff = np.round(employees * np.clip(rd_share[:, None] + 0.01 * rng.standard_normal((n, ny)), 0, 0.9))
    # IP stock: firm base, growing 8% a year
    yrs = (YEARS - 2015)[None, :]
    lam1 = np.exp(-1.3 + 1.5 * q + 0.35 * np.log(np.maximum(revenue[np.arange(n), -1], 1) / 3e7))
    ip1_base = rng.poisson(np.minimum(lam1, 500))
    class1 = np.round(ip1_base[:, None] * (0.55 + 0.07 * yrs))
    class1_self = np.round(class1 * np.clip(0.8 + 0.1 * rng.standard_normal(n), 0.3, 1)[:, None])
    class1_hv = np.round(class1_self * np.clip(0.3 + 0.1 * rng.standard_normal(n), 0, 1)[:, None])
    ip2_base = rng.poisson(np.exp(1.4 + 0.3 * q))
    class2 = np.round(ip2_base[:, None] * (0.6 + 0.06 * yrs))
    niche_off = rng.uniform(0, 3, n)
    niche_years = np.maximum(0.0, np.round(YEARS[None, :] - f.founded_year[:, None] - niche_off[:, None], 1))
    niche_i = np.clip(0.015 * np.exp(0.9 * q + 0.35 * np.log(np.maximum(revenue[np.arange(n), -1], 1) / 3e7)
                                     + 0.5 * rng.standard_normal(n)), 0.0005, 0.85)
    niche = np.clip(niche_i[:, None] * np.exp(0.05 * rng.standard_normal((n, ny))), 0, 0.95)
    global_rank = np.where(niche >= 0.25, np.ceil(0.6 / niche), np.nan)
    eq_hit = rng.random((n, ny)) < (0.02 + 0.03 * (q[:, None] > 1))
    new_equity = np.where(eq_hit, np.round(2e7 * np.exp(0.8 * rng.standard_normal((n, ny)))), 0.0)
    digital = np.clip(np.round(1.6 + 0.6 * q[:, None] + 0.12 * yrs + 0.5 * rng.standard_normal((n, ny))), 1, 4)
    exp_share = np.clip(0.08 + 0.08 * rng.standard_normal(n) + 0.04 * q, 0, 0.7)
    exports = np.round(revenue * exp_share[:, None])
    inst_score = q + 0.5 * rng.standard_normal(n)
    inst = np.select([inst_score > 2.6, inst_score > 1.6, inst_score > 0.8, inst_score > 0.0],
                     ["national", "provincial", "city", "lower"], "none").astype(object)
    info_on = 2015 + np.clip(np.round(6 - 3 * q + 3 * rng.standard_normal(n)), -5, 20)
    info_system = YEARS[None, :] >= info_on[:, None]
    cert = rng.random(n) < 1 / (1 + np.exp(-(0.6 + 1.2 * q)))
    brand = rng.random(n) < 1 / (1 + np.exp(-(0.5 + 1.2 * q)))
    award = rng.random(n) < 1 / (1 + np.exp(-(-2.8 + 1.0 * q)))
    standards = rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.0 * q)))
    f.revenue, f.lev, f.margin, f.assets = revenue, lev, margin, assets
    f.table.attrs["employees_last"] = employees[:, -1]

    rows_f, rows_y = np.nonzero(exists)

    def col(m: np.ndarray) -> np.ndarray:
        return m[rows_f, rows_y]

    def icol(m: np.ndarray) -> pd.arrays.IntegerArray:
        v = col(m)
        mask = np.isnan(v)
        return pd.arrays.IntegerArray(np.where(mask, 0, v).astype(np.int64), mask)

    nr = len(rows_f)
    miss = rng.random((4, nr))
    out = pd.DataFrame({
        "uscc": f.table.uscc.to_numpy()[rows_f],
        "year": YEARS[rows_y].astype(np.int32),
        "revenue": col(revenue),
        "main_business_revenue": col(mbr),
        "net_profit": col(net_profit),
        "total_assets": col(assets),
        "total_liabilities": col(liabilities),
        "current_assets": col(cur_a),
        "current_liabilities": col(cur_l),
        "employees": icol(employees),
        "rd_expense": col(rd_expense),
        "rd_staff": icol(rd_staff),
        "class1_ip": icol(class1),
        "class1_ip_self": icol(class1_self),
        "class1_ip_high_value": icol(class1_hv),
        "class2_ip": icol(class2),
        "niche_years": col(niche_years),
        "niche_market_share": np.round(col(niche), 5),
        "global_rank": icol(global_rank),
        "new_equity": col(new_equity),
        "digital_level": icol(digital),
        "exports": col(exports),
        "rd_institution_level": inst[rows_f],
        "info_system": col(info_system),
        "mgmt_certified": cert[rows_f],
        "own_brand": brand[rows_f],
        "quality_award": award[rows_f] & (rows_y >= 3),
        "drafted_standards": standards[rows_f] & (rows_y >= 2),
    })
    # a few missing values, as in real filings
    out.loc[miss[0] < 0.03, "rd_staff"] = pd.NA
    out.loc[miss[1] < 0.04, "digital_level"] = pd.NA
    out.loc[miss[2] < 0.02, "niche_market_share"] = np.nan
    out.loc[miss[3] < 0.05, "exports"] = np.nan
    return out
