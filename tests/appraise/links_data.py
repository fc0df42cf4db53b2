"""Hand-made chain data for the appraisal links (on top of ``conftest.fill``).

Item BRG (bearing) sits on two chains: on ``mt`` it feeds the only end product SPN
(downstream reach 1), on ``wind`` nothing downstream needs it (reach 0). Its 2024
purchases: imports from F_JP (JP) 300 + 150, domestic 100 (the applicant) + 50 + 180
(SUPPLIER): import dependence 450 / 780 = 0.5769 >= 0.5, JP 100 % of imports, domestic
share 0.4231 >= 0.3, best domestic level 4 vs frontier 5 (gap 1 < 2). So BRG is a
chokepoint on ``mt`` (reach 1 >= 0.2) and sound on ``wind``.

Item GRS (grease) has only a foreign producer: blank on ``mt``; bought only in 2023.

Appraisals: AP9 (the applicant, BRG, first_set 2024), AP8 (SUPPLIER, GRS, first_batch
2024), AP7 (OTHER, BRG, first_set 2024: another firm's appraisal).
"""

from __future__ import annotations

from tests.appraise.conftest import APPLICANT, BUYER, OTHER, SUPPLIER

FIRM5 = "91440000000000005E"


def fill_links(e) -> None:
    """Insert the chain, purchases, capabilities, demands and appraisals (bound values)."""
    e.execute("INSERT INTO enterprises (uscc, name, province_code, industry_code) "
              "VALUES (?, 'firm 5E', '440000', '3484')", [FIRM5])
    e.execute("INSERT INTO foreign_suppliers VALUES ('F_JP', 'JP Bearings', 'JP')")
    for iid, name, zh, found in (("BRG", "Bearing", "轴承", "component"), ("GRS", "Grease", "润滑脂", "material"),
                                 ("SPN", "Spindle", "主轴", "end_product"), ("GEN", "Generator", "发电机", "end_product"),
                                 ("TWR", "Tower", "塔筒", "component")):
        e.execute("INSERT INTO items (item_id, name, name_zh, foundation, frontier_level) VALUES (?, ?, ?, ?, 5)",
                  [iid, name, zh, found])
    e.execute("INSERT INTO chains VALUES ('mt', 'Machine tools', '机床', NULL), ('wind', 'Wind power', '风电', NULL)")
    for chain, item, end, val in (("mt", "BRG", False, None), ("mt", "GRS", False, None), ("mt", "SPN", True, 100.0),
                                  ("wind", "BRG", False, None), ("wind", "TWR", False, None),
                                  ("wind", "GEN", True, 100.0)):
        e.execute("INSERT INTO chain_items (chain_id, item_id, is_end_product, end_value) VALUES (?, ?, ?, ?)",
                  [chain, item, end, val])
    for chain, a, b in (("mt", "BRG", "SPN"), ("mt", "GRS", "SPN"), ("wind", "TWR", "GEN")):
        e.execute("INSERT INTO chain_links (chain_id, input_item, output_item, share, criticality) "
                  "VALUES (?, ?, ?, 0.2, 1.0)", [chain, a, b])
    for pid, ptype, item, level, cap, spare in ((APPLICANT, "enterprise", "BRG", 4, 1000.0, 600.0),
                                                (SUPPLIER, "enterprise", "BRG", 3, 500.0, 0.0),
                                                ("F_JP", "foreign", "BRG", 5, 1e6, None),
                                                ("F_JP", "foreign", "GRS", 5, 1e6, None)):
        e.execute("INSERT INTO capabilities (producer_id, producer_type, item_id, tech_level, capacity, since_year, "
                  "spare_capacity) VALUES (?, ?, ?, ?, ?, 2015, ?)", [pid, ptype, item, level, cap, spare])
    for sup, st, buyer, item, year, value in (("F_JP", "foreign", BUYER, "BRG", 2024, 300.0),
                                              ("F_JP", "foreign", OTHER, "BRG", 2024, 150.0),
                                              (APPLICANT, "enterprise", BUYER, "BRG", 2024, 100.0),
                                              (SUPPLIER, "enterprise", OTHER, "BRG", 2024, 50.0),
                                              (SUPPLIER, "enterprise", FIRM5, "BRG", 2024, 180.0),
                                              (APPLICANT, "enterprise", FIRM5, "BRG", 2023, 70.0),
                                              ("F_JP", "foreign", BUYER, "GRS", 2023, 40.0)):
        e.execute("INSERT INTO supply_links VALUES (?, ?, ?, ?, ?, ?, 'observed', 1.0, NULL)",
                  [sup, st, buyer, item, year, value])
    for did, buyer, item, value, level in (("DM1", BUYER, "BRG", 500.0, 3), ("DM2", FIRM5, "BRG", 90.0, 5),
                                           ("DM3", BUYER, "GRS", 70.0, 1)):
        e.execute("INSERT INTO demands (demand_id, uscc, item_id, kind, text, value, required_level) "
                  "VALUES (?, ?, ?, 'purchase', 'precision part', ?, ?)", [did, buyer, item, value, level])
    for aid, uscc, kind, title, item in (("AP9", APPLICANT, "first_set", "precision bearing", "BRG"),
                                         ("AP8", SUPPLIER, "first_batch", "grease", "GRS"),
                                         ("AP7", OTHER, "first_set", "bearing two", "BRG")):
        e.execute("INSERT INTO appraisals VALUES (?, ?, ?, ?, ?, 2024)", [aid, uscc, kind, title, item])
