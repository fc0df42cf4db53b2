"""Input-output tables in the database (``io_tables`` long format + ``io_sectors`` labels).

Encoding (value = flow from ``row_code`` to ``col_code``; zero cells are not stored):

==========================  ====================  ==========================================
row_code                    col_code              meaning
==========================  ====================  ==========================================
sector i                    sector j              intermediate flow z_ij
sector i                    final-demand code     final demand (imports column negative)
sector i                    ``total_output``      total output x_i
``M:`` + sector i           sector j / fd code    imported-use block (non-competitive tables)
input code (e.g. ``value_added``)  sector j       primary input of sector j
satellite code (``employment``)    sector j       satellite row (not money)
==========================  ====================  ==========================================

``io_sectors.kind`` tells which codes are sectors (``position`` = order), final-demand
categories, ``value_added`` / ``imports`` / ``taxes`` input rows, ``satellite`` rows and the
``total`` column. Queries are plain SQL that runs on either engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.sectors.table import IOTable, fd_role

TOTAL = "total_output"


def table_frames(t: IOTable, table_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``io_tables`` and ``io_sectors`` rows of a table (pure; no database)."""
    tid = table_id or t.table_id
    if not tid:
        raise ReforgeError("a table id is needed to store an input-output table")
    parts: list[tuple[list[str], list[str], np.ndarray]] = [
        (t.codes, t.codes, t.Z), (t.codes, t.fd_codes, t.Y), (t.codes, [TOTAL], t.x[:, None])]
    mcodes = [f"M:{c}" for c in t.codes]
    if t.Zm is not None:
        parts.append((mcodes, t.codes, t.Zm))
        if t.Ym is not None:
            parts.append((mcodes, t.fd_codes, t.Ym))
    for code, (_, v) in t.inputs.items():
        parts.append(([code], t.codes, np.asarray(v, float)[None, :]))
    for code, v in t.satellite.items():
        parts.append(([code], t.codes, np.asarray(v, float)[None, :]))
    frames = []
    for rows, cols, M in parts:
        i, j = np.nonzero(M)
        frames.append(pd.DataFrame({"row_code": np.asarray(rows, dtype=object)[i],
                                    "col_code": np.asarray(cols, dtype=object)[j], "value": M[i, j]}))
    cells = pd.concat(frames, ignore_index=True)
    cells.insert(0, "table_id", tid)
    labels: list[dict] = []

    def add(code: str, kind: str, name: str | None = None, name_zh: str | None = None) -> None:
        labels.append({"table_id": tid, "code": code, "position": len(labels) + 1, "name": name,
                       "name_zh": name_zh, "kind": kind})

    for k, c in enumerate(t.codes):
        add(c, "sector", t.names[k] if t.names else None, t.names_zh[k] if t.names_zh else None)
    for c in t.fd_codes:
        add(c, "imports" if fd_role(c) == "imports" else "final_demand", t.labels.get(c))
    for c, (kind, _) in t.inputs.items():
        add(c, kind, t.labels.get(c))
    for c in t.satellite:
        add(c, "satellite", t.labels.get(c))
    if t.Zm is not None:
        for k, c in enumerate(mcodes):
            add(c, "imports", f"imported {t.label(k)}")
    add(TOTAL, "total", "total output")
    return cells, pd.DataFrame(labels)


def save_table(engine: Engine, t: IOTable, table_id: str | None = None, replace: bool = True) -> dict:
    """Write a table (replacing one with the same id if ``replace``) in one transaction."""
    cells, labels = table_frames(t, table_id)
    tid = str(cells["table_id"].iloc[0]) if len(cells) else (table_id or t.table_id)
    exists = engine.fetch_scalar("SELECT COUNT(*) FROM io_sectors WHERE table_id = ?", [tid])
    if exists and not replace:
        raise ReforgeError(f"IO table {tid!r} already exists (use replace)")
    tc, tl = engine.temp_name("io_cells"), engine.temp_name("io_labels")
    engine.register(tc, cells)
    engine.register(tl, labels)
    try:
        with engine.transaction():
            engine.execute("DELETE FROM io_tables WHERE table_id = ?", [tid])
            engine.execute("DELETE FROM io_sectors WHERE table_id = ?", [tid])
            engine.execute(f"INSERT INTO io_tables (table_id, row_code, col_code, value) "
                           f"SELECT table_id, row_code, col_code, value FROM {tc}")
            engine.execute(f"INSERT INTO io_sectors (table_id, code, position, name, name_zh, kind) "
                           f"SELECT table_id, code, CAST(position AS INTEGER), name, name_zh, kind FROM {tl}")
    finally:
        engine.drop(tc)
        engine.drop(tl)
    return {"table_id": tid, "sectors": t.n, "cells": len(cells)}


def list_tables(engine: Engine) -> list[dict]:
    """``[{table_id, sectors, cells}]`` for every stored table, ordered by id."""
    df = engine.fetch_df("""
        WITH c AS (SELECT table_id, COUNT(*) AS cells FROM io_tables GROUP BY table_id),
             s AS (SELECT table_id, SUM(CASE WHEN kind = 'sector' THEN 1 ELSE 0 END) AS sectors
                   FROM io_sectors GROUP BY table_id)
        SELECT c.table_id, CAST(COALESCE(s.sectors, 0) AS BIGINT) AS sectors, c.cells
        FROM c LEFT JOIN s ON c.table_id = s.table_id
        ORDER BY c.table_id""")
    return [{"table_id": str(r.table_id), "sectors": int(r.sectors), "cells": int(r.cells)}
            for r in df.itertuples(index=False)]


def load_table(engine: Engine, table_id: str) -> IOTable:
    """Rebuild an :class:`IOTable` from the database (inverse of :func:`save_table`).

    Tables written by others (e.g. the demo) need only ``sector`` rows in ``io_sectors`` and
    sector→sector and sector→final-demand cells; total output is the ``total_output`` column or
    else a column of kind ``total`` (e.g. ``TOTAL``), and if none, ``Z·1 + Y·1``. Rows of kind
    ``total`` (total inputs) are ignored.
    Codes present in ``io_tables`` but unlabelled are treated as final demand (columns) or
    value added (rows).
    """
    lab = engine.fetch_df("SELECT code, position, name, name_zh, kind FROM io_sectors "
                          "WHERE table_id = ? ORDER BY position, code", [table_id])
    cells = engine.fetch_df("SELECT row_code, col_code, value FROM io_tables WHERE table_id = ? "
                            "ORDER BY row_code, col_code", [table_id])
    if cells.empty:
        known = ", ".join(r["table_id"] for r in list_tables(engine)) or "none"
        raise ReforgeError(f"IO table {table_id!r} not found (stored: {known})")
    sec = lab[lab["kind"] == "sector"]
    codes = [str(c) for c in sec["code"]]
    if not codes:
        raise ReforgeError(f"IO table {table_id!r} has no rows of kind 'sector' in io_sectors")
    kind = dict(zip(lab["code"].astype(str), lab["kind"].astype(str), strict=False))
    cells["row_code"] = cells["row_code"].astype(str)
    cells["col_code"] = cells["col_code"].astype(str)
    pos = {c: k for k, c in enumerate(codes)}
    n = len(codes)
    in_rows = cells["row_code"].isin(pos)
    totals = {c for c, k in kind.items() if k == "total"} | {TOTAL}
    sector_cols = list(dict.fromkeys(cells.loc[in_rows, "col_code"]))
    x_col = TOTAL if TOTAL in sector_cols else next((c for c in sector_cols if c in totals), None)
    col_extra = [c for c in sector_cols if c not in pos and c not in totals]
    fd_lab = [c for c in lab["code"].astype(str) if kind.get(c) in ("final_demand", "imports")
              and not c.startswith("M:") and c in set(col_extra)]
    fd_codes = fd_lab + [c for c in col_extra if c not in fd_lab]

    def block(rows: list[str], cols: list[str]) -> np.ndarray:
        M = np.zeros((len(rows), len(cols)))
        rp = {c: k for k, c in enumerate(rows)}
        cp = {c: k for k, c in enumerate(cols)}
        sel = cells[cells["row_code"].isin(rp) & cells["col_code"].isin(cp)]
        M[sel["row_code"].map(rp).to_numpy(), sel["col_code"].map(cp).to_numpy()] = sel["value"].to_numpy(float)
        return M

    Z = block(codes, codes)
    Y = block(codes, fd_codes) if fd_codes else np.zeros((n, 0))
    x = block(codes, [x_col])[:, 0] if x_col else Z.sum(axis=1) + Y.sum(axis=1)
    mcodes = [f"M:{c}" for c in codes]
    has_m = bool(cells["row_code"].isin(set(mcodes)).any())
    Zm = block(mcodes, codes) if has_m else None
    Ym = block(mcodes, fd_codes) if has_m and fd_codes else None
    other_rows = [r for r in dict.fromkeys(cells.loc[cells["col_code"].isin(pos), "row_code"])
                  if r not in pos and not r.startswith("M:")]
    order = {c: k for k, c in enumerate(lab["code"].astype(str))}
    other_rows.sort(key=lambda r: order.get(r, len(order)))
    inputs: dict[str, tuple[str, np.ndarray]] = {}
    satellite: dict[str, np.ndarray] = {}
    for r in other_rows:
        vec = block([r], codes)[0]
        k = kind.get(r, "value_added")
        if k == "satellite":
            satellite[r] = vec
        elif k in ("value_added", "imports", "taxes"):
            inputs[r] = (k, vec)
    names = [None if pd.isna(v) else str(v) for v in sec["name"]]
    names_zh = [None if pd.isna(v) else str(v) for v in sec["name_zh"]]
    labels = {str(r.code): str(r.name) for r in lab.itertuples(index=False)
              if r.kind != "sector" and isinstance(r.name, str)}
    return IOTable(codes, Z, Y, fd_codes, x, names=names if any(names) else None,
                   names_zh=names_zh if any(names_zh) else None, inputs=inputs, satellite=satellite,
                   Zm=Zm, Ym=Ym, table_id=table_id, labels=labels)
