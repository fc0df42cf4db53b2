"""A small hand-made database for the API and browser tests (independent of the demo generator).

Three domestic firms and two foreign suppliers around one four-item robot chain:
E1 (robot maker, Suzhou) buys reducers only from Japan (F-JP), servos from E2 (Nanjing)
and F-DE, controllers from E3. Values are in CNY. USCCs carry valid check characters.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reforge.engine import DuckDBEngine
from reforge.ingest.codes import uscc_check_char
from reforge.schema import ensure_schema


def uscc(division: str, serial: str) -> str:
    """A valid 18-character USCC: registry 9, type 1, the division code, a 9-character org code."""
    first17 = "91" + division + serial
    return first17 + uscc_check_char(first17)


E1 = uscc("320500", "MA1RB0T00")
E2 = uscc("320100", "MA1PWM000")
E3 = uscc("320100", "MA1CTRL00")
E4 = uscc("320200", "MA1THER00")
ENTERPRISES = [E1, E2, E3, E4]


def frames() -> dict[str, pd.DataFrame]:
    """The tables of the small database."""
    ent = pd.DataFrame({
        "uscc": ENTERPRISES,
        "name": ["苏州机器人有限公司", "南京伺服电机有限公司", "南京控制器有限公司", "无锡其他制造有限公司"],
        "name_en": ["Suzhou Robot Co.", "Nanjing Servo Co.", "Nanjing Controller Co.", None],
        "province_code": ["320000"] * 4,
        "city_code": ["320500", "320100", "320100", "320200"],
        "industry_code": ["3491", "3812", "3811", "3399"],
        "size_class": ["medium", "small", "small", "micro"],
        "ownership": ["private"] * 4,
        "main_item_id": ["robot", "servo", "controller", None],
    })
    years = []
    for i, u in enumerate(ENTERPRISES):
        for y in (2022, 2023, 2024):
            years.append({"uscc": u, "year": y, "revenue": (i + 1) * 1e7 * (1 + 0.1 * (y - 2022)),
                          "net_profit": (i + 1) * 1e6, "employees": 50 * (i + 1), "rd_expense": (i + 1) * 5e5})
    chains = pd.DataFrame({"chain_id": ["robot_chain"], "name": ["Industrial robot"], "name_zh": ["工业机器人"],
                           "description": ["test chain"]})
    items = pd.DataFrame({"item_id": ["reducer", "servo", "controller", "robot"],
                          "name": ["Precision reducer", "Servo motor", "Controller", "Industrial robot"],
                          "name_zh": ["精密减速器", "伺服电机", "控制器", "工业机器人"],
                          "foundation": ["component", "component", "electronic_component", "end_product"],
                          "frontier_level": [5, 5, 5, 5]})
    chain_items = pd.DataFrame({"chain_id": ["robot_chain"] * 4, "item_id": ["reducer", "servo", "controller", "robot"],
                                "segment": ["upstream", "upstream", "midstream", "downstream"],
                                "is_end_product": [False, False, False, True],
                                "end_value": [None, None, None, 5e8]})
    links = pd.DataFrame({"chain_id": ["robot_chain"] * 3, "input_item": ["reducer", "servo", "controller"],
                          "output_item": ["robot"] * 3, "share": [0.35, 0.2, 0.15], "criticality": [1.0, 1.0, 1.0]})
    foreign = pd.DataFrame({"supplier_id": ["F-JP-1", "F-DE-1"], "name": ["Nabtesco", "Siemens"],
                            "country": ["JP", "DE"]})
    caps = pd.DataFrame({"producer_id": ["F-JP-1", E2, "F-DE-1", E3, E1],
                         "producer_type": ["foreign", "enterprise", "foreign", "enterprise", "enterprise"],
                         "item_id": ["reducer", "servo", "servo", "controller", "robot"],
                         "tech_level": [5, 3, 5, 4, 4], "capacity": [1e8, 5e7, 1e8, 3e7, 2e8],
                         "since_year": [2000, 2015, 2000, 2016, 2012]})
    supply = pd.DataFrame({"supplier_id": ["F-JP-1", E2, "F-DE-1", E3],
                           "supplier_type": ["foreign", "enterprise", "foreign", "enterprise"],
                           "buyer_uscc": [E1] * 4, "item_id": ["reducer", "servo", "servo", "controller"],
                           "year": [2024] * 4, "value": [1e7, 5e6, 2e6, 3e6], "basis": ["observed"] * 4,
                           "confidence": [1.0] * 4, "source": ["test"] * 4})
    des = pd.DataFrame({"uscc": [E1, E1, E2], "kind": ["srdi_sme", "little_giant", "innovative_sme"],
                        "batch": [2021, 2023, 2022], "level": ["provincial", "national", "provincial"],
                        "granted_on": pd.to_datetime(["2021-07-01", "2023-07-01", "2022-06-01"]).date,
                        "expires_on": pd.to_datetime(["2024-06-30", "2026-06-30", "2025-05-31"]).date,
                        "status": ["expired", "active", "active"], "rule_set": ["2022"] * 3})
    credit = pd.DataFrame({"record_id": ["C1", "C2"], "uscc": [E2, E3], "kind": ["tax_rating", "admin_penalty"],
                           "value": ["A", "20000"], "recorded_on": pd.to_datetime(["2024-04-01", "2023-09-01"]).date,
                           "expires_on": [None, None], "source": ["test", "test"]})
    support = pd.DataFrame({"event_id": ["S1", "S2"], "uscc": [E1, E2], "programme": ["little_giant_fund"] * 2,
                            "granted_on": pd.to_datetime(["2023-09-01", "2023-09-01"]).date, "amount": [1e6, 5e5]})
    ind = pd.DataFrame({"region_code": ["320000"] * 5, "indicator": ["manufacturing_va_share_gdp"] * 5,
                        "year": [2020, 2021, 2022, 2023, 2024], "value": [0.35, 0.355, 0.36, 0.352, 0.349],
                        "unit": ["fraction"] * 5, "source": ["test"] * 5})
    return {"enterprises": ent, "enterprise_years": pd.DataFrame(years), "chains": chains, "items": items,
            "chain_items": chain_items, "chain_links": links, "foreign_suppliers": foreign, "capabilities": caps,
            "supply_links": supply, "designations": des, "credit_records": credit, "support_events": support,
            "indicators": ind}


def build(path: str | Path) -> Path:
    """Create the database file at ``path`` with the schema and the rows of ``frames()``."""
    path = Path(path)
    with DuckDBEngine(path, read_only=False) as e:
        ensure_schema(e)
        for name, df in frames().items():
            cols = ", ".join(df.columns)
            e.con.register("_src", df)
            e.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _src")
            e.con.unregister("_src")
    return path
