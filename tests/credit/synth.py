"""A small hand-made province for credit tests: firms whose next-year default follows a
known latent risk (debt ratio up, profitability down, public-credit entries up)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_province(n_firms: int = 600, years: tuple[int, int] = (2018, 2023), seed: int = 1
                  ) -> dict[str, pd.DataFrame]:
    """Tables enterprises, enterprise_years, credit_records, supply_links, defaults.

    Defaults are recorded for years ``years[0] + 1 .. years[1] + 1``; the default
    probability in year t + 1 is ``sigmoid(-4.2 + 4 debt_ratio - 12 roa + 1.2 overdue
    + 0.8 penalty + 1.5 dishonest)`` from year-t figures.
    """
    rng = np.random.default_rng(seed)
    ids = [f"9132000{i:011d}" for i in range(n_firms)]
    ent = pd.DataFrame({
        "uscc": ids, "name": [f"firm {i}" for i in range(n_firms)], "province_code": "320000",
        "industry_code": "3484",
        "founded_on": pd.to_datetime([f"{y}-06-01" for y in rng.integers(1995, 2016, n_firms)]).date,
    })
    base_debt = rng.beta(2, 3, n_firms)
    base_roa = rng.normal(0.05, 0.06, n_firms)
    size = np.exp(rng.normal(17, 1.2, n_firms))
    rows, recs, links, dfl = [], [], [], []
    dead = np.zeros(n_firms, dtype=bool)
    prev_rev = size * 0.8
    rid = 0
    for y in range(years[0], years[1] + 1):
        debt = np.clip(base_debt + rng.normal(0, 0.05, n_firms), 0.01, 1.5)
        roa = base_roa + rng.normal(0, 0.02, n_firms)
        assets = size * np.exp(rng.normal(0, 0.05, n_firms))
        rev = prev_rev * np.exp(rng.normal(0.05, 0.1, n_firms))
        overdue = rng.random(n_firms) < 0.05 + 0.15 * (debt > 0.7)
        penalty = rng.random(n_firms) < 0.08
        dishonest = rng.random(n_firms) < 0.03
        for i in np.flatnonzero(~dead):
            rows.append({"uscc": ids[i], "year": y, "revenue": rev[i], "net_profit": roa[i] * assets[i],
                         "total_assets": assets[i], "total_liabilities": debt[i] * assets[i],
                         "current_assets": 0.5 * assets[i], "current_liabilities": 0.4 * debt[i] * assets[i],
                         "employees": int(assets[i] / 2e5), "rd_expense": rev[i] * rng.uniform(0, 0.08),
                         "class1_ip": int(rng.poisson(2)), "class2_ip": int(rng.poisson(4))})
            for kind, flag, val in (("overdue_loan", overdue[i], None), ("admin_penalty", penalty[i], "50000"),
                                    ("dishonest_debtor", dishonest[i], None)):
                if flag:
                    rid += 1
                    recs.append({"record_id": f"R{rid}", "uscc": ids[i], "kind": kind, "value": val,
                                 "recorded_on": pd.Timestamp(f"{y}-05-01").date(),
                                 "expires_on": pd.Timestamp(f"{y + 2}-05-01").date(), "source": "synthetic"})
            rid += 1
            rating = "ABMCD"[min(4, int(debt[i] * 3 + rng.random()))]
            recs.append({"record_id": f"R{rid}", "uscc": ids[i], "kind": "tax_rating", "value": rating,
                         "recorded_on": pd.Timestamp(f"{y}-04-15").date(), "expires_on": None,
                         "source": "synthetic"})
            for b in rng.choice(n_firms, size=int(rng.integers(0, 4)), replace=False):
                if b != i:
                    links.append({"supplier_id": ids[i], "supplier_type": "enterprise", "buyer_uscc": ids[b],
                                  "item_id": f"ITEM{int(rng.integers(0, 5))}", "year": y,
                                  "value": float(rng.uniform(1e5, 1e7)), "basis": "observed",
                                  "confidence": 1.0, "source": "synthetic"})
        z = -4.2 + 4 * debt - 12 * roa + 1.2 * overdue + 0.8 * penalty + 1.5 * dishonest
        p = 1 / (1 + np.exp(-z))
        d = (rng.random(n_firms) < p) & ~dead
        for i in np.flatnonzero(~dead):
            dfl.append({"uscc": ids[i], "year": y + 1, "defaulted": bool(d[i])})
        dead |= d
        prev_rev = rev
    return {"enterprises": ent, "enterprise_years": pd.DataFrame(rows),
            "credit_records": pd.DataFrame(recs), "supply_links": pd.DataFrame(links),
            "defaults": pd.DataFrame(dfl)}


def load_into(duck, tables: dict[str, pd.DataFrame]) -> None:
    """Insert the tables into a DuckDB engine that has the schema (columns by name)."""
    for name, df in tables.items():
        tmp = f"__in_{name}"
        duck.register(tmp, df)
        cols = ", ".join(df.columns)
        duck.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {tmp}")
        duck.drop(tmp)
