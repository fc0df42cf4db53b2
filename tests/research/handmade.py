"""A hand-made joint-research database (real DuckDB file) with known proposals.

Item ``X`` (blank in chain ``c``), its chain neighbour ``N``. Producers of ``X``: ``A`` (tax A, active
serious dishonesty), ``B`` (tax A, Little Giant, a dishonest-debtor record of 2024-05-01 expired on 2025-01-01), ``C`` (tax C, below the
floor B), ``D`` (no rating); ``E`` makes ``N`` only (tax B). Institutions ``I1`` (strength 0.9 on X,
same province as B) and ``I2`` (0.4, another province, collaborated with B in 2023). Platform ``P1``
serves X with open services. Buyers of X: ``F`` (imports) and ``G`` (abnormal operation, active).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reforge.engine import DuckDBEngine
from reforge.schema import ensure_schema

U = {k: f"9132000000000000{k}0"[:18] for k in "ABCDEFG"}
LABELS = pd.DataFrame({"chain_id": ["c"], "item_id": ["X"], "name": ["Ex"], "name_zh": ["某件"], "label": ["blank"],
                       "weight": [1.0]})
AS_OF = "2025-06-30"


def tables() -> dict[str, pd.DataFrame]:
    ent = pd.DataFrame({"uscc": [U[k] for k in "ABCDEFG"], "name": [f"企业{k}" for k in "ABCDEFG"],
                        "province_code": ["320000"] * 6 + ["310000"], "industry_code": "3484",
                        "size_class": ["large", "medium", "small", "small", "micro", "large", "medium"]})
    cap = pd.DataFrame({"producer_id": [U[k] for k in "ABCDE"], "producer_type": "enterprise",
                        "item_id": ["X", "X", "X", "X", "N"], "tech_level": [3, 3, 4, 2, 3]})
    cr = pd.DataFrame({
        "record_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
        "uscc": [U["A"], U["A"], U["B"], U["B"], U["C"], U["E"], U["G"]],
        "kind": ["tax_rating", "serious_dishonesty", "tax_rating", "dishonest_debtor", "tax_rating", "tax_rating",
                 "abnormal_operation"],
        "value": ["A", None, "A", None, "C", "B", None],
        "recorded_on": pd.to_datetime(["2024-04-01", "2025-01-01", "2024-04-01", "2024-05-01", "2024-04-01",
                                       "2024-04-01", "2025-02-01"]).date,
        "expires_on": [None, None, None, pd.Timestamp("2025-01-01").date(), None, None, None]})
    des = pd.DataFrame({"uscc": [U["B"]], "kind": ["little_giant"], "granted_on": [pd.Timestamp("2023-07-01").date()],
                        "expires_on": [pd.Timestamp("2026-07-01").date()], "status": ["active"]})
    inst = pd.DataFrame({"institution_id": ["I1", "I2"], "name": ["一号大学", "二号研究院"], "name_en": ["U1", "R2"],
                         "kind": ["university", "institute"], "province_code": ["320000", "110000"]})
    fields = pd.DataFrame({"institution_id": ["I1", "I2"], "field": ["X", "X"], "strength": [0.9, 0.4]})
    col = pd.DataFrame({"collab_id": ["K1"], "uscc": [U["B"]], "institution_id": ["I2"], "kind": ["joint_project"],
                        "item_id": ["X"], "field": ["X"], "year": [2023], "value": [1e6], "led_by": ["enterprise"]})
    plat = pd.DataFrame({"platform_id": ["P1"], "name": ["一号平台"], "name_en": ["Platform One"],
                         "kind": ["testing"], "open_services": [True]})
    pf = pd.DataFrame({"platform_id": ["P1", "P1"], "field": ["X", "X"], "service": ["testing", "rd"]})
    pu = pd.DataFrame({"platform_id": ["P1", "P1"], "uscc": [U["F"], U["C"]], "year": [2024, 2024], "uses": [3, 1]})
    sl = pd.DataFrame({"supplier_id": ["FS1", "FS1"], "supplier_type": "foreign", "buyer_uscc": [U["F"], U["G"]],
                       "item_id": "X", "year": 2024, "value": [5e6, 9e6], "basis": "observed"})
    return {"enterprises": ent, "items": pd.DataFrame({"item_id": ["X", "N"], "name": ["Ex", "En"],
                                                       "name_zh": ["某件", "邻件"], "foundation": "component"}),
            "foreign_suppliers": pd.DataFrame({"supplier_id": ["FS1"], "name": ["F"], "country": ["JP"]}),
            "chain_links": pd.DataFrame({"chain_id": ["c"], "input_item": ["N"], "output_item": ["X"]}),
            "chains": pd.DataFrame({"chain_id": ["c"], "name": ["C"], "name_zh": ["链"]}),
            "capabilities": cap, "credit_records": cr, "designations": des, "institutions": inst,
            "institution_fields": fields, "collaborations": col, "platforms": plat, "platform_fields": pf,
            "platform_usage": pu, "supply_links": sl}


def handmade_db(path: Path) -> Path:
    """Write the tables into a DuckDB file with the schema (returns ``path``)."""
    order = ["chains", "items", "foreign_suppliers", "enterprises", "chain_links", "capabilities", "credit_records",
             "designations", "institutions", "institution_fields", "collaborations", "platforms", "platform_fields",
             "platform_usage", "supply_links"]
    t = tables()
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        with e.transaction():
            for name in order:
                e.register(f"__h_{name}", t[name])
                e.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __h_{name}")
                e.drop(f"__h_{name}")
    return path


MOVES = [("M1", "university", "private_enterprise", "X", 2024, "full_move"),
         ("M2", "private_enterprise", "institute", "X", 2024, "secondment"),
         ("M3", "private_enterprise", "platform", "N", 2024, "part_time"),
         ("M4", "state_enterprise", "private_enterprise", None, 2023, "full_move")]


def faces_db(path: Path) -> Path:
    """:func:`handmade_db` plus four personnel moves (2024: one out of the system, two into it)
    and the demo logins (for the CLI, API and page tests)."""
    from reforge.cli.serve import create_demo_accounts
    handmade_db(path)
    with DuckDBEngine(path) as e:
        for m in MOVES:
            e.execute("INSERT INTO personnel_moves (move_id, person_key, from_type, to_type, field, year, kind) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", [m[0], "a" * 64, *m[1:]])
    create_demo_accounts(path)
    return path
