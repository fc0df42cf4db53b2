"""Readers: the documented Reforge CSV layout and the published tables in ``shared/data``.

Reforge CSV layout (one file, UTF-8, comma separated; see ``docs/sectors.md``)::

    code,[name,][name_zh,]S1,S2,…,Sn,final_demand[,more final-demand columns…][,total_output]
    S1,…,z11,z12,…,z1n,f1,…,x1
    …
    Sn,…
    value_added,…,v1,…,vn            (optional: gross value added)
    imports,…                        (optional: imported inputs of a competitive table)
    taxes,…                          (optional: net taxes on products)
    compensation,…                   (optional: compensation of employees, part of value added)
    employment,…                     (optional: persons employed; not money)
    M:S1,…  …  M:Sn,…                (optional: imported-use block of a non-competitive table)
    total_output,…                   (optional if the column exists)
    total_input,…                    (optional, ignored: totals are recomputed)

The n sector columns must carry the n sector row codes in the same order. Every other
column except ``total_output`` is a final-demand category (a negative ``imports`` column is
allowed). If ``total_output`` is missing in both places, ``x = Z·1 + Y·1``.

:func:`read_table` also recognises, by their headers, the ONS UK 2010 analytical table
(``io_uk2010``), the NBS China 2012 139-sector table and the 2020 42-sector
non-competitive table (``io_china``), and the Beutel Germany / Netherlands 2000 tables of
the Eurostat manual (``io_textbook``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from reforge.errors import ReforgeError
from reforge.sectors.table import IOTable

_RESERVED_ROWS = ("value_added", "imports", "taxes", "compensation", "employment", "total_output",
                  "total_input")


def _num(df: pd.DataFrame, where: str) -> np.ndarray:
    """Numeric block; blank cells → 0; text cells → a clear error.

    Columns the CSV reader already parsed as numbers (blank = NaN) are taken as they are; a
    block with a text column is checked cell by cell.
    """
    if all(np.issubdtype(t, np.number) for t in df.dtypes):
        a = df.to_numpy(dtype=float)
        a[np.isnan(a)] = 0.0
        return a
    out = df.apply(pd.to_numeric, errors="coerce")
    bad = out.isna() & df.notna() & (df.astype(str).apply(lambda s: s.str.strip()) != "")
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise ReforgeError(f"{where}: non-numeric value {df.iat[r, c]!r} at row {df.index[r]!r}, "
                           f"column {df.columns[c]!r}")
    return out.fillna(0.0).to_numpy(dtype=float)


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def read_table(path: str | Path, table_id: str | None = None) -> IOTable:
    """Read any supported file, detecting the layout from its header."""
    p = Path(path)
    if p.is_dir():
        hits = sorted(p.glob("*iot_domestic*.csv")) or sorted(p.glob("*noncompetitive*.csv"))
        if not hits:
            raise ReforgeError(f"{p}: directory has no recognised input-output table")
        p = hits[0]
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    h = _header(p)
    if not h:
        raise ReforgeError(f"{p}: empty file")
    tid = table_id or p.stem
    if h[0] == "uk_row":
        return read_uk2010(p, table_id=tid)
    if h[:2] == ["code", "name"] and {"TIU", "GO", "ERR", "IM"} <= set(h):
        return read_china2012(p, table_id=tid)
    if h[:2] == ["code", "name"] and {"TIU", "THC", "IM", "GO"} <= set(h):
        return read_china2020_eps(p, table_id=tid)
    if h[:2] == ["row", "name"] and {"S01", "TIU", "M", "GO"} <= set(h):
        return read_china2020_noncompetitive(p, table_id=tid)
    if "iotables_row" in h:
        return read_beutel(p, table_id=tid)
    if h[0] == "prod_na":
        return read_netherlands2000(p, table_id=tid)
    return read_csv(p, table_id=tid)


def read_csv(path: str | Path, table_id: str | None = None, unit: str = "") -> IOTable:
    """Read the Reforge CSV layout (module docstring)."""
    p = Path(path)
    h = _header(p)
    # numbers are parsed by the C reader (a column with any text cell stays text and is checked
    # by _num); blank cells are NaN there, "" in the code and label columns
    text = {c: str for c in (h[:1] + [c for c in h[1:3] if c in ("name", "name_zh")])}
    raw = pd.read_csv(p, dtype=text, keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                      float_precision="round_trip")  # exact: the same doubles as float(text)
    for c in text:
        if c in raw.columns:
            raw[c] = raw[c].fillna("")
    if raw.shape[1] < 3:
        raise ReforgeError(f"{p}: need a code column, at least one sector column and a final-demand column")
    cols = list(raw.columns)
    code_col = cols[0]
    label_cols = [c for c in cols[1:3] if c in ("name", "name_zh")]
    raw[code_col] = raw[code_col].str.strip()
    if raw[code_col].duplicated().any():
        dup = raw[code_col][raw[code_col].duplicated()].iloc[0]
        raise ReforgeError(f"{p}: row code {dup!r} appears twice")
    data_cols = cols[1 + len(label_cols):]
    row_codes = list(raw[code_col])
    n = 0
    while n < len(data_cols) and n < len(row_codes) and data_cols[n] == row_codes[n]:
        n += 1
    if n == 0:
        raise ReforgeError(f"{p}: the first data column {data_cols[0]!r} is not the first row code "
                           f"{row_codes[0]!r}; sector columns must repeat the sector row codes in order")
    codes = row_codes[:n]
    extra_cols = data_cols[n:]
    stray = [c for c in extra_cols if c in codes]
    if stray:
        raise ReforgeError(f"{p}: sector column {stray[0]!r} is out of order (sector columns must follow "
                           f"the sector rows' order: {', '.join(codes[:5])}…)")
    fd_cols = [c for c in extra_cols if c != "total_output"]
    if not fd_cols:
        raise ReforgeError(f"{p}: no final-demand column after the {n} sector columns")
    body = raw.set_index(code_col)
    sect = body.loc[codes]
    Z = _num(sect[codes], str(p))
    Y = _num(sect[fd_cols], str(p))
    others = row_codes[n:]
    imp_rows = [r for r in others if r.startswith("M:")]
    unknown = [r for r in others if r not in _RESERVED_ROWS and not r.startswith("M:")]
    if unknown:
        raise ReforgeError(f"{p}: unknown row {unknown[0]!r} after the sector rows; allowed: "
                           f"{', '.join(_RESERVED_ROWS)} or M:<sector code>")

    def row(name: str) -> np.ndarray | None:
        return _num(body.loc[[name], codes], str(p))[0] if name in others else None

    if "total_output" in extra_cols:
        x = _num(sect[["total_output"]], str(p))[:, 0]
    elif "total_output" in others:
        x = row("total_output")
    else:
        x = Z.sum(axis=1) + Y.sum(axis=1)
    inputs: dict[str, tuple[str, np.ndarray]] = {}
    satellite: dict[str, np.ndarray] = {}
    if "value_added" in others:
        inputs["value_added"] = ("value_added", row("value_added"))
        if "compensation" in others:
            satellite["compensation"] = row("compensation")
    elif "compensation" in others:
        inputs["compensation"] = ("value_added", row("compensation"))
    for name, kind in (("imports", "imports"), ("taxes", "taxes")):
        if name in others:
            inputs[name] = (kind, row(name))
    if "employment" in others:
        satellite["employment"] = row("employment")
    Zm = None
    if imp_rows:
        want = [f"M:{c}" for c in codes]
        missing = [r for r in want if r not in imp_rows]
        if missing:
            raise ReforgeError(f"{p}: imported-use block incomplete, missing row {missing[0]!r}")
        Zm = _num(body.loc[want, codes], str(p))
        if "imports" in inputs:
            raise ReforgeError(f"{p}: give either an 'imports' row or an M:<code> block, not both")
    names = list(sect["name"]) if "name" in label_cols else None
    names_zh = list(sect["name_zh"]) if "name_zh" in label_cols else None
    return IOTable(codes, Z, Y, fd_cols, x, names=names, names_zh=names_zh, inputs=inputs,
                   satellite=satellite, Zm=Zm, table_id=table_id or p.stem, title=p.stem, unit=unit)


def read_uk2010(path: str | Path, imports_path: str | Path | None = None,
                table_id: str | None = None) -> IOTable:
    """ONS UK Input-Output Analytical Tables 2010, product × product, £ million.

    ``path`` is ``uk2010_iot_domestic_pxp.csv``; the imports use table next to it (or
    ``imports_path``) becomes the imported block ``Zm``. Value added (GVA at basic prices) =
    compensation + gross operating surplus + taxes less subsidies on production; taxes less
    subsidies on products are an input of kind ``taxes``.
    """
    p = Path(path)
    d = pd.read_csv(p, index_col=0, dtype={"uk_row": str})
    d.columns = [str(c) for c in d.columns]
    first_extra = list(d.index).index("Total consumption")
    codes = [str(c) for c in d.index[:first_extra]]
    Z = d.loc[codes, codes].to_numpy(float)
    fd = ["Households", "Non-profit instns serving households", "Central government", "Local government",
          "Gross fixed capital formation", "Valuables", "Changes in inventories", "Exports of goods",
          "Exports of services"]
    Y = d.loc[codes, fd].fillna(0).to_numpy(float)
    x = d.loc["Total output", codes].to_numpy(float)
    r = {k: d.loc[k, codes].to_numpy(float) for k in
         ("Imported goods and services", "Taxes less subsidies on products", "Taxes less subsidies on production",
          "Compensation of employees", "Gross Operating Surplus")}
    inputs = {"compensation": ("value_added", r["Compensation of employees"]),
              "gross_operating_surplus": ("value_added", r["Gross Operating Surplus"]),
              "taxes_on_production": ("value_added", r["Taxes less subsidies on production"]),
              "taxes_on_products": ("taxes", r["Taxes less subsidies on products"])}
    ip = Path(imports_path) if imports_path else p.with_name("uk2010_imports_use_pxp.csv")
    Zm = None
    if ip.exists():
        m = pd.read_csv(ip, index_col=0, dtype={"uk_row": str})
        m.columns = [str(c) for c in m.columns]
        Zm = m.loc[codes, codes].fillna(0).to_numpy(float)
        # the imports row is the column total of the imported block (total, not only intermediate)
        rest = r["Imported goods and services"] - Zm.sum(axis=0)
        if np.max(np.abs(rest)) > 1e-6 * max(1.0, np.abs(r["Imported goods and services"]).max()):
            inputs["imports_other"] = ("imports", rest)
    else:
        inputs["imports"] = ("imports", r["Imported goods and services"])
    names = None
    lab = p.with_name("uk2010_labels.csv")
    if lab.exists():
        lm = pd.read_csv(lab, dtype=str).set_index("code")["label"].to_dict()
        names = [lm.get(c, c) for c in codes]
    return IOTable(codes, Z, Y, fd, x, names=names, inputs=inputs, Zm=Zm,
                   table_id=table_id or "uk2010", title="ONS UK Input-Output Analytical Tables 2010 (pxp)",
                   unit="GBP million")


def read_china2012(path: str | Path, table_id: str | None = None) -> IOTable:
    """NBS China 2012 competitive-import table, 139 products, 万元 (10,000 CNY).

    Final demand = rural and urban household, government consumption, GFCF, inventory
    change, exports, imports (negated) and the NBS balancing item ``ERR``; x = ``GO``.
    """
    p = Path(path)
    d = pd.read_csv(p, dtype={"code": str})
    d["code"] = d["code"].astype(str)
    d = d.set_index("code")
    codes = list(d.index[: list(d.index).index("TII")])
    Z = d.loc[codes, codes].to_numpy(float)
    fd = ["FU_rural_hh", "FU_urban_hh", "FU_gov", "GFCF", "INV", "EX", "IM", "ERR"]
    Y = d.loc[codes, fd].fillna(0).to_numpy(float)
    Y[:, fd.index("IM")] *= -1.0
    x = d.loc[codes, "GO"].to_numpy(float)
    va = {"VA001": "compensation", "VA002": "VA002", "VA003": "VA003", "VA004": "VA004"}
    inputs = {new: ("value_added", d.loc[old, codes].to_numpy(float)) for old, new in va.items()}
    labels = {"compensation": str(d.loc["VA001", "name"]), **{k: str(d.loc[k, "name"]) for k in va if k != "VA001"},
              **{c: c for c in fd}}
    return IOTable(codes, Z, Y, fd, x, names_zh=list(d.loc[codes, "name"]), inputs=inputs,
                   table_id=table_id or "cn2012", title="NBS China input-output table 2012 (139 products)",
                   unit="CNY 10,000", labels=labels)


def read_china2020_noncompetitive(path: str | Path, table_id: str | None = None) -> IOTable:
    """NBS-based China 2020 non-competitive table, 42 sectors, 万元.

    Rows ``D01…D42`` (domestic products) form ``Z``/``Y``; rows ``M01…M42`` (imported
    products) form ``Zm``/``Ym``. Sector codes are the column codes ``S01…S42``.
    """
    p = Path(path)
    d = pd.read_csv(p).set_index("row")
    codes = [c for c in d.columns if c.startswith("S") and c[1:].isdigit()]
    if not codes:
        raise ReforgeError(f"{p}: no sector columns S01…")
    drows = [f"D{c[1:]}" for c in codes]
    mrows = [f"M{c[1:]}" for c in codes]
    fd = ["TC", "FU201", "FU202", "EX"]
    Z = d.loc[drows, codes].to_numpy(float)
    Zm = d.loc[mrows, codes].to_numpy(float)
    Y = d.loc[drows, fd].fillna(0).to_numpy(float)
    Ym = d.loc[mrows, fd].fillna(0).to_numpy(float)
    x = d.loc[drows, "GO"].to_numpy(float)
    va = {"VA001": "compensation", "VA002": "VA002", "VA003": "VA003", "VA004": "VA004"}
    inputs = {new: ("value_added", d.loc[old, codes].to_numpy(float)) for old, new in va.items()}
    return IOTable(codes, Z, Y, fd, x, names_zh=list(d.loc[drows, "name"]), inputs=inputs, Zm=Zm, Ym=Ym,
                   table_id=table_id or "cn2020nc",
                   title="China input-output table 2020, non-competitive imports (42 sectors)",
                   unit="CNY 10,000", labels={"compensation": str(d.loc["VA001", "name"])})


def read_china2020_eps(path: str | Path, table_id: str | None = None) -> IOTable:
    """EPS re-aggregation of the 2020 NBS table (42 EPS sectors, 万元; see SOURCE.md: GO ≠ TI for two
    sectors and row sums ≠ TIU, so the balance check fails on it by design). x = ``TI`` (column
    totals); final demand = rural/urban household, government, GFCF, inventories, exports, −imports."""
    p = Path(path)
    d = pd.read_csv(p).set_index("code")
    codes = list(d.index[: list(d.index).index("TII")])
    fd = ["FU101", "FU102", "FU103", "FU201", "FU202", "EX", "IM"]
    Z = d.loc[codes, codes].to_numpy(float)
    Y = d.loc[codes, fd].fillna(0).to_numpy(float)
    Y[:, fd.index("IM")] *= -1.0
    x = d.loc["TI", codes].to_numpy(float)
    va = {"VA001": "compensation", "VA002": "VA002", "VA003": "VA003", "VA004": "VA004"}
    inputs = {new: ("value_added", d.loc[old, codes].to_numpy(float)) for old, new in va.items()}
    return IOTable(codes, Z, Y, fd, x, names_zh=list(d.loc[codes, "name"]), inputs=inputs,
                   table_id=table_id or "cn2020eps", title="China 2020 IO table, EPS 42-sector re-aggregation",
                   unit="CNY 10,000")


def read_beutel(path: str | Path, table_id: str | None = None) -> IOTable:
    """Eurostat manual (Beutel 2008) German 6-sector SIOT 1995, million EUR, from iotables' CSV.

    ``x`` = row ``output_bp``; GVA = row ``gva_bp``; imports and net taxes on products are
    inputs; ``employment`` = ``employment_total`` (thousand persons).
    """
    p = Path(path)
    d = pd.read_csv(p).set_index("iotables_row")
    codes = ["agriculture_group", "manufacturing_group", "construction_group", "trade_group",
             "business_services_group", "other_services_group"]
    fd = ["consumption_expenditure_household", "consumption_expenditure_government", "gross_capital_formation",
          "inventory_change", "export_goods_services"]
    Z = d.loc[codes, codes].to_numpy(float)
    Y = d.loc[codes, fd].to_numpy(float)
    x = d.loc["output_bp", codes].to_numpy(float)
    inputs = {"imports": ("imports", d.loc["import_goods_services", codes].to_numpy(float)),
              "taxes": ("taxes", d.loc["net_tax_production", codes].to_numpy(float)),
              "value_added": ("value_added", d.loc["gva_bp", codes].to_numpy(float))}
    satellite = {"compensation": d.loc["compensation_employees", codes].to_numpy(float),
                 "employment": d.loc["employment_total", codes].to_numpy(float)}
    return IOTable(codes, Z, Y, fd, x, names=list(d.loc[codes, "t_rows2_lab"]), inputs=inputs,
                   satellite=satellite, table_id=table_id or "de1995_beutel",
                   title="Germany 1995 SIOT (Eurostat manual, Beutel)", unit="EUR million")


def read_netherlands2000(path: str | Path, table_id: str | None = None) -> IOTable:
    """Netherlands 2000 6-sector SIOT (Eurostat manual / iotables), million EUR.

    The source repeats private consumption as ``final_consumption_households``; only
    ``final_consumption_private`` is used, so ``Z·1 + Y·1 = output_bp``.
    """
    p = Path(path)
    d = pd.read_csv(p).set_index("prod_na")
    codes = ["agriculture_group", "mining_group", "manufacturing_group", "utilities_group",
             "construction_group", "services_group"]
    fd = ["final_consumption_private", "final_consumption_government", "gross_fixed_capital_formation", "exports"]
    Z = d.loc[codes, codes].to_numpy(float)
    Y = d.loc[codes, fd].to_numpy(float)
    x = d.loc["output_bp", codes].to_numpy(float)
    inputs = {"imports": ("imports", d.loc["imports", codes].to_numpy(float)),
              "taxes": ("taxes", d.loc["net_tax", codes].to_numpy(float)),
              "value_added": ("value_added", d.loc["value_added_bp", codes].to_numpy(float))}
    satellite = {"compensation": d.loc["compensation_employees", codes].to_numpy(float)}
    return IOTable(codes, Z, Y, fd, x, inputs=inputs, satellite=satellite,
                   table_id=table_id or "nl2000", title="Netherlands 2000 SIOT", unit="EUR million")
