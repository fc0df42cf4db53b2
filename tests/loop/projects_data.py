"""A hand-made project database (real DuckDB file) for the portfolio, board, API and page tests.

Chain C1 (end product END) holds A (chokepoint: 20 % domestic, imports all from JP), B (blank),
D (chokepoint, nobody works on it) and S (sound); chain C2 holds A again and E (blank). Projects:
P1 (lead F1, items A and B, completed, one milestone done late), P2 (lead F2 with F1 as partner,
item A, one milestone overdue, one cancelled), P3 (cancelled, item B), P4 (item E, starts after
AS_OF), P9 (lead F5 only, item S). Item Z is on no chain and has no data; A has a demand. F1 is the smallest USCC: the demo enterprise account's firm.
"""

from __future__ import annotations

AS_OF = "2025-06-30"
F1, F2, F3, F4, F5 = ("91320000000000001A", "91320000000000002B", "91320000000000003C", "91320000000000004D",
                      "91320000000000005E")
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


def fill(e, hostile: bool = False) -> None:
    """Insert the rows (bound values); ``hostile`` puts script text into P2's title."""
    ex = e.execute
    for u, n in ((F1, "甲公司"), (F2, "乙公司"), (F3, "丙公司"), (F4, "丁公司"), (F5, "戊公司")):
        ex("INSERT INTO enterprises (uscc, name, name_en, province_code, industry_code) VALUES (?, ?, ?, '320000', "
           "'3484')", [u, n, f"Firm {u[-1]}"])
    ex("INSERT INTO foreign_suppliers VALUES ('X1', 'Nippon Parts', 'JP')")
    ex("INSERT INTO institutions (institution_id, name, kind) VALUES ('I1', 'Uni 1', 'university')")
    ex("INSERT INTO chains (chain_id, name, name_zh) VALUES ('C1', 'Chain one', '链一'), ('C2', 'Chain two', '链二')")
    for i, f in (("END", "end_product"), ("A", "component"), ("B", "material"), ("D", "equipment"),
                 ("S", "software"), ("E", "material")):
        ex("INSERT INTO items (item_id, name, name_zh, foundation) VALUES (?, ?, ?, ?)", [i, f"Item {i}", f"产品{i}", f])
    for c, i, end in (("C1", "END", True), ("C1", "A", False), ("C1", "B", False), ("C1", "D", False),
                      ("C1", "S", False), ("C2", "END", True), ("C2", "A", False), ("C2", "E", False)):
        ex("INSERT INTO chain_items (chain_id, item_id, is_end_product, end_value) VALUES (?, ?, ?, ?)",
           [c, i, end, 1e9 if end else None])
    for c, i in (("C1", "A"), ("C1", "B"), ("C1", "D"), ("C1", "S"), ("C2", "A"), ("C2", "E")):
        ex("INSERT INTO chain_links VALUES (?, ?, 'END', 0.2, 1.0)", [c, i])
    for p, t, i, lv in ((F2, "enterprise", "A", 3), (F3, "enterprise", "S", 5), (F3, "enterprise", "D", 4),
                        ("X1", "foreign", "A", 5), ("X1", "foreign", "B", 5), ("X1", "foreign", "D", 5),
                        ("X1", "foreign", "E", 5)):
        ex("INSERT INTO capabilities (producer_id, producer_type, item_id, tech_level, capacity, since_year) "
           "VALUES (?, ?, ?, ?, 1000.0, 2010)", [p, t, i, lv])
    links = [(F2, "enterprise", "A", 2023, 10), ("X1", "foreign", "A", 2023, 90), (F2, "enterprise", "A", 2024, 20),
             ("X1", "foreign", "A", 2024, 80), ("X1", "foreign", "B", 2024, 100), (F3, "enterprise", "S", 2024, 100),
             (F3, "enterprise", "D", 2024, 20), ("X1", "foreign", "D", 2024, 80), ("X1", "foreign", "E", 2024, 50)]
    for s, t, i, y, v in links:
        ex("INSERT INTO supply_links VALUES (?, ?, ?, ?, ?, ?, 'observed', 1.0, NULL)", [s, t, F4, i, y, float(v)])
    t2 = HOSTILE if hostile else "乙项目"
    for pid, title, lead, start, end, st in (
            ("P1", "甲项目", F1, "2021-01-01", "2023-12-31", "completed"),
            ("P2", t2, F2, "2024-01-01", "2026-12-31", "active"),
            ("P3", "丙项目", F5, "2022-01-01", "2024-12-31", "cancelled"),
            ("P4", "丁项目", F2, "2026-01-01", "2028-12-31", "planned"),
            ("P9", "戊项目", F5, "2020-01-01", None, "active")):
        ex("INSERT INTO projects (project_id, title, title_en, lead_uscc, department, start_on, end_on, status) "
           "VALUES (?, ?, ?, ?, '工信厅', ?, ?, ?)", [pid, title, f"Project {pid}", lead, start, end, st])
    for pid, i in (("P1", "A"), ("P1", "B"), ("P2", "A"), ("P3", "B"), ("P4", "E"), ("P9", "S")):
        ex("INSERT INTO project_items (project_id, item_id) VALUES (?, ?)", [pid, i])
    ex("INSERT INTO project_partners VALUES ('P2', ?, 'enterprise', 'user'), ('P2', 'I1', 'institution', 'research')",
       [F1])
    for pid, src, amt in (("P1", "central", 100.0), ("P1", "enterprise", 50.0), ("P2", "provincial", 60.0),
                          ("P3", "central", 1000.0), ("P4", "local", 30.0), ("P9", "other", 7.0)):
        ex("INSERT INTO project_budget VALUES (?, ?, ?)", [pid, src, amt])
    for pid, mid, due, done, st in (
            ("P1", "M1", "2021-06-30", "2021-06-20", "done"),
            ("P1", "M2", "2023-06-30", "2025-09-01", "done"),      # done after AS_OF: overdue on AS_OF
            ("P2", "M1", "2024-06-30", None, "delayed"),           # overdue
            ("P2", "M2", "2025-12-31", None, "open"),              # not due yet
            ("P2", "M3", "2025-01-01", None, "cancelled"),         # cancelled: never overdue
            ("P3", "M1", "2022-01-01", None, "open")):             # project cancelled
        ex("INSERT INTO project_milestones VALUES (?, ?, ?, ?, ?, ?)", [pid, mid, f"里程碑{mid}", due, done, st])
    ex("INSERT INTO project_outputs (project_id, output_id, kind, title, year, quantity) "
       "VALUES ('P1', 'O1', 'patent', '专利', 2023, 2)")
    ex("INSERT INTO appraisals VALUES ('AP1', ?, 'first_set', '首台套A', 'A', 2024)", [F2])
    ex("INSERT INTO items (item_id, name, name_zh, foundation) VALUES ('Z', 'Item Z', '产品Z', 'process')")
    ex("INSERT INTO demands (demand_id, uscc, item_id, kind, text, value, required_level, year) "
       "VALUES ('D1', ?, 'A', 'purchase', '采购产品A', 50.0, 3, 2024)", [F4])


def make_db(path, hostile: bool = False):
    """Create the schema and the rows in a DuckDB file at ``path``; returns the path."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e, hostile)
    return path
