"""A hand-made item panel (real DuckDB file) for the outcome tests: chain C1 with items T1-T4 under
projects and N1-N8 without, link years 2022-2024, frontier level 5.

With ``lag`` 3: T1-T3 (projects from 2020) are treated from 2023, T4 (from 2021) from 2024. Domestic
share (per cent of 100 purchased) in 2022/2023/2024 is ``SHARE``; the treated items gain 10 points
from their treatment year. Technology: every item has a domestic producer at level 3 since 2000; each
treated item gains a level-4 producer from its treatment year (all move by exactly one level: the
degenerate case of the placebo band), and N1 gains one in 2024 (a comparison item that moved too).
"""

from __future__ import annotations

import pandas as pd

SHARE = {"T1": (20, 31, 33), "T2": (25, 34, 37), "T3": (30, 41, 40), "T4": (22, 24, 35),
         "N1": (20, 22, 21), "N2": (25, 24, 27), "N3": (30, 33, 31), "N4": (35, 34, 38),
         "N5": (40, 43, 41), "N6": (45, 44, 47), "N7": (50, 52, 50), "N8": (55, 53, 56)}
START = {"T1": 2020, "T2": 2020, "T3": 2020, "T4": 2021}
YEARS = (2022, 2023, 2024)
LAG = 3
F1 = "91320000000000001A"


def frames() -> dict[str, pd.DataFrame]:
    """The rows of every table, by column name."""
    items = list(SHARE)
    up = {i: s + LAG for i, s in START.items()} | {"N1": 2024}
    caps = [{"producer_id": f"D{i}", "producer_type": "enterprise", "item_id": i, "tech_level": 3,
             "capacity": 1000.0, "since_year": 2000} for i in items]
    caps += [{"producer_id": f"U{i}", "producer_type": "enterprise", "item_id": i, "tech_level": 4,
              "capacity": 1000.0, "since_year": y} for i, y in up.items()]
    links = [{"supplier_id": sup, "supplier_type": kind, "buyer_uscc": F1, "item_id": i, "year": y, "value": v,
              "basis": "observed", "confidence": 1.0}
             for i in items for y, sh in zip(YEARS, SHARE[i], strict=True)
             for sup, kind, v in ((f"D{i}", "enterprise", float(sh)), ("X1", "foreign", float(100 - sh)))]
    projects = [{"project_id": f"P{k}", "title": f"项目{k}", "title_en": f"Project {k}", "lead_uscc": F1,
                 "department": "工信厅", "start_on": pd.Timestamp(f"{s}-03-01"), "status": "completed"}
                for k, s in enumerate(START.values())]
    return {
        "enterprises": pd.DataFrame([{"uscc": F1, "name": "甲公司", "name_en": "Firm A", "province_code": "320000",
                                      "industry_code": "3484"}]),
        "foreign_suppliers": pd.DataFrame([{"supplier_id": "X1", "name": "Nippon Parts", "country": "JP"}]),
        "chains": pd.DataFrame([{"chain_id": "C1", "name": "Chain one", "name_zh": "链一"}]),
        "items": pd.DataFrame({"item_id": items, "name": [f"Item {i}" for i in items],
                               "name_zh": [f"产品{i}" for i in items], "foundation": "component"}),
        "chain_items": pd.DataFrame({"chain_id": "C1", "item_id": items, "is_end_product": False}),
        "capabilities": pd.DataFrame(caps), "supply_links": pd.DataFrame(links), "projects": pd.DataFrame(projects),
        "project_items": pd.DataFrame({"project_id": [f"P{k}" for k in range(len(START))], "item_id": list(START)}),
    }


def make_outcome_db(path):
    """Create the schema and the rows in a DuckDB file at ``path``; returns the path."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        with e.transaction():
            for name, df in frames().items():
                e.register("outcome_src", df)
                e.execute(f"INSERT INTO {name} BY NAME SELECT * FROM outcome_src")
                e.drop("outcome_src")
    return path
