"""Macro indicators (CRITERIA §5 plus synthetic province series) and a small balanced IO table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import template

CN_SOURCE = "CRITERIA.md §5 (NBS figures via official-media reprints)"
SYNTH_SOURCE = "synthetic (reforge demo generator)"
# (indicator, year, value as fraction, confidence) -- exact values of CRITERIA §5
CN_SERIES = [
    ("manufacturing_va_share_gdp", 2020, 0.263, "A (approx.)"), ("manufacturing_va_share_gdp", 2021, 0.274, "A"),
    ("manufacturing_va_share_gdp", 2022, 0.277, "A"), ("manufacturing_va_share_gdp", 2023, 0.262, "A"),
    ("manufacturing_va_share_gdp", 2024, 0.249, "B"),
    ("manufacturing_fai_growth", 2021, 0.135, "A"), ("manufacturing_fai_growth", 2023, 0.065, "A"),
    ("manufacturing_fai_growth", 2024, 0.092, "A"),
]
DEMO_PROVINCES = {"320000": 0.36, "330000": 0.33, "440000": 0.31, "510000": 0.27}  # base VA share

IO_TABLE_ID = "demo_io_2020"
IO_SECTORS = [
    ("S01", "Agriculture", "农林牧渔业"), ("S02", "Mining", "采矿业"),
    ("S03", "Metals and non-metallic minerals", "金属与非金属矿物制品"), ("S04", "Chemicals and materials", "化学原料与材料"),
    ("S05", "General and special machinery", "通用与专用设备"), ("S06", "Electrical and electronic equipment", "电气与电子设备"),
    ("S07", "Transport equipment", "交通运输设备"), ("S08", "Services incl. software and IT", "服务业(含软件与信息技术)"),
]
FINAL = [("F_HH", "Household consumption", "居民消费"), ("F_GOV", "Government consumption", "政府消费"),
         ("F_GFCF", "Gross fixed capital formation", "固定资本形成"), ("F_EX", "Exports", "出口")]
FOUNDATION_SECTOR = {"material": "S04", "component": "S05", "electronic_component": "S06", "process": "S05",
                     "technology_foundation": "S08", "software": "S08", "equipment": "S05", "end_product": "S05"}
CHAIN_SECTOR = {"integrated_circuit": "S06", "display_panel": "S06", "nev_battery": "S07"}


def make_indicators(rng: np.random.Generator) -> pd.DataFrame:
    """China figures from CRITERIA §5 (exact) and synthetic 2015-2025 series for demo provinces."""
    rows = [("CN", ind, y, v, "fraction", CN_SOURCE, c) for ind, y, v, c in CN_SERIES]
    for prov, base in DEMO_PROVINCES.items():
        share = base
        for y in range(2015, 2026):
            share = float(np.clip(share - 0.002 + rng.normal(0, 0.004), 0.15, 0.5))
            rows.append((prov, "manufacturing_va_share_gdp", y, round(share, 4), "fraction", SYNTH_SOURCE,
                         "synthetic"))
            g = 0.08 + (-0.12 if y == 2020 else 0.0) + rng.normal(0, 0.03)
            rows.append((prov, "manufacturing_fai_growth", y, round(float(g), 4), "fraction", SYNTH_SOURCE,
                         "synthetic"))
    return pd.DataFrame(rows, columns=["region_code", "indicator", "year", "value", "unit", "source", "confidence"])


def make_io(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An 8-sector table in CNY, balanced exactly: row totals = column totals = gross output.

    Long format rows: sector x sector (Z), sector x final demand (F_*), VA x sector, and the
    totals (row ``TOTAL`` = total inputs, column ``TOTAL`` = total output).
    """
    n = len(IO_SECTORS)
    a = rng.uniform(0.01, 0.12, (n, n))
    a[np.arange(n), np.arange(n)] += 0.1
    a *= (rng.uniform(0.45, 0.7, n) / a.sum(axis=0))[None, :]
    fd_tot = rng.uniform(2e11, 1.5e12, n)
    x = np.linalg.solve(np.eye(n) - a, fd_tot)
    z = np.round(a * x[None, :], -6)
    x = np.round(x, -6)
    split = rng.dirichlet([4, 1, 2, 2], n)
    fd_need = x - z.sum(axis=1)
    fd = np.round(split * fd_need[:, None], -6)
    fd[:, 0] += fd_need - fd.sum(axis=1)              # exact row balance
    va = x - z.sum(axis=0)                              # exact column balance
    codes = [c for c, _, _ in IO_SECTORS]
    rows = []
    for i, r in enumerate(codes):
        for j, c in enumerate(codes):
            rows.append((IO_TABLE_ID, r, c, float(z[i, j])))
        for k, (fc, _, _) in enumerate(FINAL):
            rows.append((IO_TABLE_ID, r, fc, float(fd[i, k])))
        rows.append((IO_TABLE_ID, r, "TOTAL", float(x[i])))
    for j, c in enumerate(codes):
        rows.append((IO_TABLE_ID, "VA", c, float(va[j])))
        rows.append((IO_TABLE_ID, "TOTAL", c, float(x[j])))
    io = pd.DataFrame(rows, columns=["table_id", "row_code", "col_code", "value"])
    labels = ([(c, en, zh, "sector") for c, en, zh in IO_SECTORS] + [(c, en, zh, "final_demand") for c, en, zh in FINAL]
              + [("VA", "Value added", "增加值", "value_added"), ("TOTAL", "Total", "总计", "total")])
    sectors = pd.DataFrame([(IO_TABLE_ID, c, k + 1, en, zh, kind) for k, (c, en, zh, kind) in enumerate(labels)],
                           columns=["table_id", "code", "position", "name", "name_zh", "kind"])
    return io, sectors


def make_item_sectors() -> pd.DataFrame:
    """Concordance of chain items to the demo IO sectors (weights sum to 1 per item)."""
    t = template()
    first_chain = t["chain_items"].drop_duplicates("item_id").set_index("item_id").chain_id
    rows = []
    for r in t["items"].itertuples():
        sec = FOUNDATION_SECTOR[r.foundation]
        chain = first_chain[r.item_id]
        if r.foundation in ("component", "end_product", "equipment", "process") and chain in CHAIN_SECTOR:
            sec = CHAIN_SECTOR[chain]
        if r.foundation == "material" and r.industry[:2] in ("31", "32", "33", "30"):
            sec = "S03"
        if r.industry[:2] in ("08", "09", "10"):
            sec = "S02"
        if r.foundation == "end_product" and chain == "nev_battery":
            rows.append((r.item_id, IO_TABLE_ID, "S07", 1.0))
            continue
        if r.foundation == "electronic_component" and chain in ("industrial_robot", "construction_hydraulics"):
            rows.append((r.item_id, IO_TABLE_ID, "S06", 0.8))
            rows.append((r.item_id, IO_TABLE_ID, "S05", 0.2))
            continue
        rows.append((r.item_id, IO_TABLE_ID, sec, 1.0))
    return pd.DataFrame(rows, columns=["item_id", "table_id", "sector_code", "weight"])
