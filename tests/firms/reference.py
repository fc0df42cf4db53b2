"""An independent pandas implementation of the 2022 Little Giant hard conditions
(CRITERIA.md §1.3, §1.5), written from the criteria text without the rule files or the
SQL compiler, and a random firm-panel generator. Used as an oracle by the tests and as
the peer of ``bench/firms_bench.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EPS = 1e-9
LEVEL = {"national": 4, "provincial": 3, "city": 2, "lower": 1, "none": 0}
SIX = {"component", "electronic_component", "material", "process", "technology_foundation", "software"}


def random_panel(n: int, years: range = range(2015, 2026), seed: int = 0,
                 missing: float = 0.01) -> dict[str, pd.DataFrame]:
    """Random firms whose figures straddle the Little Giant thresholds.

    About ``missing`` of the values of each of a few fields are left empty.
    """
    rng = np.random.default_rng(seed)
    ny = len(years)
    uscc = np.array([f"R{i:09d}" for i in range(n)])
    ent = pd.DataFrame({
        "uscc": uscc, "province_code": rng.choice(["320000", "510000", "110000"], n),
        "industry_code": rng.choice(["3484", "1310", "3911"], n),
        "main_item_id": rng.choice(["I_COMP", "I_END"], n, p=[0.8, 0.2]),
        "strategic_emerging": rng.random(n) < 0.6, "key_chain_link": rng.random(n) < 0.9,
        "fills_gap": rng.random(n) < 0.2})
    size = np.exp(rng.normal(np.log(8e7), 0.6, n))
    rows = n * ny
    u = np.repeat(uscc, ny)
    yr = np.tile(np.array(list(years)), n)
    t = np.tile(np.arange(ny), n)
    rev = np.repeat(size, ny) * (1.06 + rng.normal(0, 0.04, n)).repeat(ny) ** t * rng.lognormal(0, 0.03, rows)
    share = np.clip(np.repeat(rng.uniform(0.66, 1.0, n), ny) + rng.normal(0, 0.02, rows), 0, 1)
    rdi = np.clip(np.repeat(rng.uniform(0.02, 0.10, n), ny) + rng.normal(0, 0.005, rows), 0, None)
    emp = np.maximum(10, (rev / 5e5).astype(np.int64))
    assets = rev * rng.uniform(0.8, 1.5, rows)
    ey = pd.DataFrame({
        "uscc": u, "year": yr, "revenue": rev, "main_business_revenue": rev * share,
        "net_profit": rev * rng.normal(0.06, 0.04, rows), "total_assets": assets,
        "total_liabilities": assets * np.clip(rng.normal(0.5, 0.1, rows), 0.05, 1.2),
        "employees": emp, "rd_expense": rev * rdi,
        "rd_staff": (emp * np.clip(rng.normal(0.25, 0.15, rows), 0, 1)).astype(np.int64),
        "class1_ip": rng.poisson(4, rows), "class2_ip": rng.poisson(3, rows),
        "niche_years": np.repeat(rng.uniform(0, 12, n), ny) + t,
        "niche_market_share": np.clip(np.repeat(rng.uniform(0.06, 0.3, n), ny) + rng.normal(0, 0.01, rows), 0, 1),
        "global_rank": rng.integers(1, 30, rows), "new_equity": np.where(rng.random(rows) < 0.1, rng.uniform(1e6, 6e7, rows), 0.0),
        "digital_level": rng.integers(1, 5, rows),
        "rd_institution_level": rng.choice(["none", "lower", "city", "provincial", "national"], rows,
                                           p=[0.1, 0.4, 0.25, 0.2, 0.05]),
        "info_system": rng.random(rows) < 0.95, "mgmt_certified": rng.random(rows) < 0.95,
        "own_brand": rng.random(rows) < 0.95, "quality_award": rng.random(rows) < 0.3,
        "drafted_standards": rng.random(rows) < 0.3})
    ey["class1_ip_self"] = np.minimum(ey["class1_ip"], rng.poisson(2, rows))
    ey["class1_ip_high_value"] = np.minimum(ey["class1_ip_self"], rng.poisson(0.5, rows))
    for c in ("rd_staff", "niche_market_share", "main_business_revenue", "info_system"):
        m = rng.random(rows) < missing
        ey[c] = ey[c].astype("Float64" if ey[c].dtype.kind == "f" else
                             ("Int64" if ey[c].dtype.kind == "i" else "boolean"))
        ey.loc[m, c] = pd.NA
    k = rng.random(n) < 0.7
    g = pd.to_datetime([f"{y}-07-01" for y in rng.integers(years[0], years[-1] + 1, n)])
    des = pd.DataFrame({"uscc": uscc[k], "kind": "srdi_sme", "granted_on": g[k],
                        "expires_on": g[k] + pd.DateOffset(years=3), "status": "active"})
    aw = rng.random(n) < 0.03
    des2 = pd.DataFrame({"uscc": uscc[aw], "kind": "st_award_provincial", "granted_on": g[aw],
                         "expires_on": pd.NaT, "status": "active"})
    cm = rng.random(n) < 0.03
    cr = pd.DataFrame({"record_id": [f"C{i}" for i in range(int(cm.sum()))], "uscc": uscc[cm],
                       "kind": rng.choice(["abnormal_operation", "major_incident", "tax_evasion"], int(cm.sum())),
                       "recorded_on": g[cm], "expires_on": g[cm] + pd.DateOffset(years=2)})
    items = pd.DataFrame({"item_id": ["I_COMP", "I_END"], "foundation": ["component", "end_product"]})
    return {"enterprises": ent, "enterprise_years": ey, "designations": pd.concat([des, des2], ignore_index=True),
            "credit_records": cr, "items": items}


def _tri(values: pd.Series, ok: pd.Series) -> pd.Series:
    """True/False, or NA where ``values`` is missing."""
    out = ok.astype("boolean")
    out[values.isna()] = pd.NA
    return out


def lg2022_reference(t: dict[str, pd.DataFrame], year: int) -> pd.Series:
    """Outcome ('pass' / 'fail' / 'insufficient_data') per uscc for screening ``year``."""
    d = year - 1
    ey = t["enterprise_years"].set_index(["uscc", "year"])
    cur = ey.xs(d, level="year")
    idx = cur.index
    p1 = ey.xs(d - 1, level="year").reindex(idx) if (d - 1) in ey.index.get_level_values(1) else cur * np.nan
    p2 = ey.xs(d - 2, level="year").reindex(idx) if (d - 2) in ey.index.get_level_values(1) else cur * np.nan
    f = lambda s: s.astype("Float64")  # noqa: E731
    ent = t["enterprises"].set_index("uscc").reindex(idx)
    found = ent["main_item_id"].map(t["items"].set_index("item_id")["foundation"])
    as_of = pd.Timestamp(f"{d}-12-31")
    des = t["designations"]
    valid = des[(des.granted_on <= as_of) & (des.expires_on.isna() | (des.expires_on >= as_of))
                & (des.status != "revoked")]
    srdi = idx.isin(valid[valid.kind.isin(["srdi_sme", "little_giant"])].uscc)  # a current LG keeps the status
    recent = des[(des.granted_on <= as_of) & (des.granted_on.dt.year > d - 3)]
    direct = pd.Series(idx.isin(recent[recent.kind.isin(["st_award_national", "st_award_provincial",
                                                         "chuangke_top50"])].uscc), index=idx)
    rev, mbr = f(cur.revenue), f(cur.main_business_revenue)
    share = mbr / rev
    g1 = f(cur.main_business_revenue) / f(p1.main_business_revenue) - 1
    g2 = f(p1.main_business_revenue) / f(p2.main_business_revenue) - 1
    growth = (g1 + g2) / 2
    rdi0, rdi1 = f(cur.rd_expense) / rev, f(p1.rd_expense) / f(p1.revenue)
    rdmin = pd.concat([rdi0, rdi1], axis=1).min(axis=1, skipna=False)
    debt = f(cur.total_liabilities) / f(cur.total_assets)
    eq2 = cur.new_equity.fillna(0) + p1.new_equity.fillna(0)
    rdsum = f(cur.rd_expense) + f(p1.rd_expense)
    staff = f(cur.rd_staff) / f(cur.employees)
    conds = {
        "srdi": pd.Series(srdi, index=idx).astype("boolean"),
        "niche": (_tri(cur.niche_years, cur.niche_years >= 3 - EPS)
                  | (_tri(cur.niche_years, cur.niche_years >= 2 - EPS) & ent.fills_gap.astype("boolean"))),
        "share": _tri(share, share >= 0.7 - EPS),
        "growth": _tri(growth, growth >= 0.05 - EPS),
        "info": cur.info_system.astype("boolean"),
        "cert": cur.mgmt_certified.astype("boolean"),
        "debt": _tri(debt, debt <= 0.7 + EPS),
        "niche_share": _tri(cur.niche_market_share, f(cur.niche_market_share) >= 0.1 - EPS),
        "brand": cur.own_brand.astype("boolean"),
        "ip": _tri(cur.class1_ip, cur.class1_ip >= 2) | direct,
        "inst": _tri(cur.rd_institution_level, cur.rd_institution_level.map(LEVEL) >= 1) | direct,
        "chain": ent.key_chain_link.astype("boolean"),
        "product": (pd.Series(found.isin(SIX), index=idx).astype("boolean") | ent.strategic_emerging.astype("boolean")),
    }
    large = _tri(rdmin, rdmin >= 0.03 - EPS) | direct
    mid = _tri(rdmin, rdmin >= 0.06 - EPS) | direct
    small = ((eq2 >= 8e7 - EPS).astype("boolean") & _tri(rdsum, rdsum >= 3e7 - EPS)
             & _tri(staff, staff >= 0.5 - EPS)) | direct
    band = pd.Series(pd.NA, index=idx, dtype="object")
    band[(rev >= 1e8 - EPS).fillna(False)] = "large"
    band[((rev >= 5e7 - EPS) & (rev < 1e8 - EPS)).fillna(False)] = "mid"
    band[(rev < 5e7 - EPS).fillna(False)] = "small"
    novelty = pd.Series(pd.NA, index=idx, dtype="boolean")
    for b, c in (("large", large), ("mid", mid), ("small", small)):
        novelty[band == b] = c[band == b]
    # revenue unknown: satisfied only if every band's test (or a direct route) holds
    unknown = band.isna()
    novelty[unknown] = (large & mid & small)[unknown].map(lambda v: True if v is True else pd.NA)
    conds["novelty"] = novelty
    cd = pd.DataFrame(conds)
    cr = t["credit_records"]
    active = cr[(cr.recorded_on <= as_of) & (cr.expires_on.isna() | (cr.expires_on >= as_of))
                & cr.kind.isin(["abnormal_operation", "serious_dishonesty"])]
    window = cr[(cr.recorded_on <= as_of) & (cr.recorded_on.dt.year > d - 3)
                & cr.kind.isin(["major_incident", "tax_evasion", "data_fraud"])]
    veto = idx.isin(active.uscc) | idx.isin(window.uscc)
    any_false = (cd == False).fillna(False).any(axis=1)  # noqa: E712
    all_true = (cd == True).fillna(False).all(axis=1)  # noqa: E712
    out = pd.Series("insufficient_data", index=idx)
    out[all_true.to_numpy()] = "pass"
    out[(any_false | veto).to_numpy()] = "fail"
    return out.sort_index()
