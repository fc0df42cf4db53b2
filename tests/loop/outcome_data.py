"""A hand-made item panel (real DuckDB file) for the outcome tests: chain C1 with items T1-T4 under
projects and N1-N8 without, link years 2022-2024, frontier level 5.

With ``lag`` 3: T1-T3 (projects from 2020) are treated from 2023, T4 (from 2021) from 2024. Domestic
share (per cent of 100 purchased) in 2022/2023/2024 is ``SHARE``; the treated items gain 10 points
from their treatment year. Technology: every item has a domestic producer at level 3 since 2000; each
treated item gains a level-4 producer from its treatment year (all move by exactly one level: the
degenerate case of the placebo band), and N1 gains one in 2024 (a comparison item that moved too).
"""

from __future__ import annotations

SHARE = {"T1": (20, 31, 33), "T2": (25, 34, 37), "T3": (30, 41, 40), "T4": (22, 24, 35),
         "N1": (20, 22, 21), "N2": (25, 24, 27), "N3": (30, 33, 31), "N4": (35, 34, 38),
         "N5": (40, 43, 41), "N6": (45, 44, 47), "N7": (50, 52, 50), "N8": (55, 53, 56)}
START = {"T1": 2020, "T2": 2020, "T3": 2020, "T4": 2021}
YEARS = (2022, 2023, 2024)
LAG = 3
F1 = "91320000000000001A"


def make_outcome_db(path):
    """Create the schema and the rows in a DuckDB file at ``path``; returns the path."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        ex = e.execute
        ex("INSERT INTO enterprises (uscc, name, name_en, province_code, industry_code) VALUES (?, '甲公司', 'Firm A', "
           "'320000', '3484')", [F1])
        ex("INSERT INTO foreign_suppliers VALUES ('X1', 'Nippon Parts', 'JP')")
        ex("INSERT INTO chains (chain_id, name, name_zh) VALUES ('C1', 'Chain one', '链一')")
        for i in SHARE:
            ex("INSERT INTO items (item_id, name, name_zh, foundation) VALUES (?, ?, ?, 'component')",
               [i, f"Item {i}", f"产品{i}"])
            ex("INSERT INTO chain_items (chain_id, item_id, is_end_product) VALUES ('C1', ?, false)", [i])
            ex("INSERT INTO capabilities (producer_id, producer_type, item_id, tech_level, capacity, since_year) "
               "VALUES (?, 'enterprise', ?, 3, 1000.0, 2000)", [f"D{i}", i])
            up = START[i] + LAG if i in START else (2024 if i == "N1" else None)
            if up is not None:
                ex("INSERT INTO capabilities (producer_id, producer_type, item_id, tech_level, capacity, since_year) "
                   "VALUES (?, 'enterprise', ?, 4, 1000.0, ?)", [f"U{i}", i, up])
            for y, sh in zip(YEARS, SHARE[i], strict=True):
                for sup, kind, v in ((f"D{i}", "enterprise", float(sh)), ("X1", "foreign", float(100 - sh))):
                    ex("INSERT INTO supply_links VALUES (?, ?, ?, ?, ?, ?, 'observed', 1.0, NULL)",
                       [sup, kind, F1, i, y, v])
        for k, (i, start) in enumerate(START.items()):
            ex("INSERT INTO projects (project_id, title, title_en, lead_uscc, department, start_on, end_on, status) "
               "VALUES (?, ?, ?, ?, '工信厅', ?, NULL, 'completed')", [f"P{k}", f"项目{k}", f"Project {k}", F1,
                                                                     f"{start}-03-01"])
            ex("INSERT INTO project_items (project_id, item_id) VALUES (?, ?)", [f"P{k}", i])
    return path
