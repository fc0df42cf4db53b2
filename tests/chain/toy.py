"""A hand-made chain ("toy") with hand-computed metrics; see test_metrics.py for the numbers.

Template: A -> C, B -> C, C -> E1, C -> E2, D -> E2; X has no links; E1 (300 CNY) and
E2 (100 CNY) are the end products. Domestic firms D1, D2, D3; foreign F_JP1 (JP),
F_DE (DE), F_US (US). Supply links in 2024 (and one 2023 link that must be ignored).
"""

from __future__ import annotations

import pandas as pd


def toy_tables() -> dict[str, pd.DataFrame]:
    chains = pd.DataFrame({"chain_id": ["toy"], "name": ["Toy"], "name_zh": ["玩具链"],
                           "description": [None]})
    items = pd.DataFrame({
        "item_id": ["A", "B", "C", "D", "E1", "E2", "X"],
        "name": ["Alloy", "Bearing", "Core", "Driver sw", "End one", "End two", "Xprocess"],
        "name_zh": ["合金", "轴承", "核心", "驱动软件", "终端一", "终端二", "工艺"],
        "foundation": ["material", "component", "component", "software", "end_product", "end_product",
                       "process"],
        "hs_code": [None] * 7,
        "frontier_level": [5, 5, 5, 5, 5, 5, None],
    })
    chain_items = pd.DataFrame({
        "chain_id": ["toy"] * 7, "item_id": ["A", "B", "C", "D", "E1", "E2", "X"],
        "segment": ["upstream", "upstream", "midstream", "upstream", "downstream", "downstream", "upstream"],
        "is_end_product": [False, False, False, False, True, True, False],
        "end_value": [None, None, None, None, 300.0, 100.0, None],
        "status_note": [None] * 7,
    })
    chain_links = pd.DataFrame({
        "chain_id": ["toy"] * 5,
        "input_item": ["A", "B", "C", "C", "D"],
        "output_item": ["C", "C", "E1", "E2", "E2"],
        "share": [0.3, 0.2, 0.6, 0.5, 0.2],
        "criticality": [1.0, 1.0, 1.0, 1.0, 1.0],
    })
    enterprises = pd.DataFrame({
        "uscc": ["D1", "D2", "D3"], "name": ["甲", "乙", "丙"], "name_en": ["D one", "D two", "D three"],
        "province_code": ["320000", "320000", "440000"], "city_code": ["320100", "320500", "440300"],
        "county_code": [None, None, None], "industry_code": ["3311", "3484", "3491"],
        "main_item_id": ["A", "C", "E1"],
    })
    foreign = pd.DataFrame({"supplier_id": ["F_JP1", "F_DE", "F_US"],
                            "name": ["JP One", "DE One", "US One"], "country": ["JP", "DE", "US"]})
    caps = pd.DataFrame([
        ("D1", "enterprise", "A", 3, 1e6, 2010), ("F_JP1", "foreign", "A", 5, 1e6, 2000),
        ("F_JP1", "foreign", "B", 5, 1e6, 2000), ("F_DE", "foreign", "B", 5, 1e6, 2000),
        ("D2", "enterprise", "B", 4, 1e5, 2025),  # not active in 2024
        ("D2", "enterprise", "C", 4, 1e6, 2012), ("D3", "enterprise", "C", 5, 1e6, 2012),
        ("D1", "enterprise", "D", 4, 1e5, 2015), ("F_US", "foreign", "D", 5, 1e6, 2000),
        ("D3", "enterprise", "E1", 5, 1e7, 2012), ("D3", "enterprise", "E2", 5, 1e7, 2012),
    ], columns=["producer_id", "producer_type", "item_id", "tech_level", "capacity", "since_year"])
    links = pd.DataFrame([
        ("D1", "enterprise", "D2", "A", 2024, 60.0), ("F_JP1", "foreign", "D2", "A", 2024, 40.0),
        ("F_JP1", "foreign", "D3", "A", 2024, 100.0),
        ("F_JP1", "foreign", "D2", "B", 2024, 30.0), ("F_DE", "foreign", "D2", "B", 2024, 10.0),
        ("F_DE", "foreign", "D3", "B", 2024, 60.0),
        ("D2", "enterprise", "D3", "C", 2024, 300.0),
        ("F_US", "foreign", "D3", "D", 2024, 80.0), ("D1", "enterprise", "D3", "D", 2024, 20.0),
        ("D1", "enterprise", "D3", "A", 2023, 999.0),  # other year: ignored
    ], columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])
    links["basis"] = "observed"
    links["confidence"] = 1.0
    links["source"] = "hand"
    return {"chains": chains, "items": items, "chain_items": chain_items, "chain_links": chain_links,
            "enterprises": enterprises, "foreign_suppliers": foreign, "capabilities": caps,
            "supply_links": links}
