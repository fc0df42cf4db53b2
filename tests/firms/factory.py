"""Hand-made firms for the screening tests.

``lg_exact()`` meets every 2022 Little Giant condition exactly on its threshold
(CRITERIA.md §1.3), for screening year 2024 (data years 2021-2023). Figures are
chosen by hand from the criteria text, not from the code under test.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

YEAR = 2024  # screening year; "last year" = 2023

YEAR_COLS = ["uscc", "year", "revenue", "main_business_revenue", "net_profit", "total_assets",
             "total_liabilities", "employees", "rd_expense", "rd_staff", "class1_ip", "class1_ip_self",
             "class1_ip_high_value", "class2_ip", "niche_years", "niche_market_share", "global_rank",
             "new_equity", "digital_level", "rd_institution_level", "info_system", "mgmt_certified",
             "own_brand", "quality_award", "drafted_standards"]


def lg_exact(uscc: str = "F0001") -> dict[str, Any]:
    """A firm on every 2022 Little Giant threshold (revenue band > 100m CNY: revenue one fen over
    100m, the nearest a strict bound allows; ratios to revenue move by 1e-10, inside the tolerance; R&D
    0.1 fen over 3e6 so its intensity does not dip below last year's 3 %)."""
    y2023 = dict(revenue=1e8 + 0.01, main_business_revenue=7e7, net_profit=5e6, total_assets=1e8,
                 total_liabilities=7e7, employees=200, rd_expense=3e6 + 0.001, rd_staff=20, class1_ip=2,
                 class1_ip_self=2, class1_ip_high_value=0, class2_ip=3, niche_years=3.0,
                 niche_market_share=0.10, global_rank=20, new_equity=0.0, digital_level=2,
                 rd_institution_level="lower", info_system=True, mgmt_certified=True, own_brand=True,
                 quality_award=False, drafted_standards=False)
    y2022 = dict(y2023, main_business_revenue=7e7, revenue=1e8, rd_expense=3e6, niche_years=2.0)
    # growth 2022 = 10%, growth 2023 = 0% -> average exactly 5%
    y2021 = dict(y2023, main_business_revenue=7e7 / 1.1, revenue=1e8 / 1.1, rd_expense=3e6, niche_years=1.0)
    return {
        "uscc": uscc,
        "firm": dict(uscc=uscc, name=f"firm {uscc}", province_code="320000", industry_code="3484",
                     main_item_id="I_COMP", strategic_emerging=True, key_chain_link=True, fills_gap=False),
        "years": {2021: y2021, 2022: y2022, 2023: y2023},
        "designations": [dict(uscc=uscc, kind="srdi_sme", granted_on="2022-06-01", expires_on="2025-05-31",
                              status="active")],
        "credit": [],
    }


def twin(base: dict[str, Any], uscc: str, **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` under a new code; ``y2023={...}`` etc. update a year, ``firm={...}`` the firm."""
    f = copy.deepcopy(base)
    f["uscc"] = uscc
    f["firm"]["uscc"] = uscc
    f["firm"]["name"] = f"firm {uscc}"
    for d in f["designations"] + f["credit"]:
        d["uscc"] = uscc
    for k, v in changes.items():
        if k.startswith("y"):
            f["years"][int(k[1:])].update(v)
        elif k == "firm":
            f["firm"].update(v)
        elif k in ("designations", "credit", "appraisals"):
            f[k] = [dict(d, uscc=uscc) for d in v]
        else:
            raise KeyError(k)
    return f


def tables(firms: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """The input tables for a list of hand-made firms."""
    ent = pd.DataFrame([f["firm"] for f in firms])
    rows = []
    for f in firms:
        for y, vals in f["years"].items():
            rows.append({"uscc": f["uscc"], "year": y, **vals})
    ey = pd.DataFrame(rows)[YEAR_COLS]
    for c in ("employees", "rd_staff", "class1_ip", "class1_ip_self", "class1_ip_high_value", "class2_ip",
              "global_rank", "digital_level"):
        ey[c] = ey[c].astype("Int64")
    for c in ("info_system", "mgmt_certified", "own_brand", "quality_award", "drafted_standards"):
        ey[c] = ey[c].astype("boolean")
    des = pd.DataFrame([d for f in firms for d in f["designations"]],
                       columns=["uscc", "kind", "granted_on", "expires_on", "status"])
    cr = pd.DataFrame([d for f in firms for d in f["credit"]],
                      columns=["record_id", "uscc", "kind", "recorded_on", "expires_on"])
    for df, cols in ((des, ["granted_on", "expires_on"]), (cr, ["recorded_on", "expires_on"])):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    for c in ("strategic_emerging", "key_chain_link", "fills_gap"):
        ent[c] = ent[c].astype("boolean")
    items = pd.DataFrame({"item_id": ["I_COMP", "I_END"], "name": ["part", "machine"], "name_zh": ["零件", "整机"],
                          "foundation": ["component", "end_product"]})
    apr = pd.DataFrame([a for f in firms for a in f.get("appraisals", [])],
                       columns=["appraisal_id", "uscc", "kind", "title", "year"])
    apr["year"] = apr["year"].astype("Int64")
    return {"enterprises": ent, "enterprise_years": ey, "designations": des, "credit_records": cr, "items": items,
            "appraisals": apr}
