"""Concordance from chain items to IO sectors, and each item's sector linkages.

The shipped concordance ``data/concordance_cn2020.csv`` maps every item of the six demo
chains (``shared/spec/CHAIN_ATLAS.md`` ids) to sectors of the 2020 42-sector
non-competitive table (stored as ``cn2020nc``). It is a plain CSV (``#`` comment lines,
columns ``item_id, table_id, sector_code, weight`` plus free-text columns) meant to be
edited: an item may be split over several sectors with weights summing to 1.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError

REQUIRED = ("item_id", "table_id", "sector_code", "weight")


def default_concordance_path() -> Path:
    """Path of the shipped concordance file."""
    return Path(str(resources.files("reforge.sectors") / "data" / "concordance_cn2020.csv"))


def read_concordance(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate a concordance CSV → ``item_id, table_id, sector_code, weight``.

    Errors name the line: missing columns, empty ids, negative or non-numeric weights,
    duplicate (item, table, sector) rows, weights of an item not summing to 1 (±1e-6).
    """
    p = Path(path) if path else default_concordance_path()
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such concordance file")
    df = pd.read_csv(p, comment="#", dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReforgeError(f"{p}: missing column(s) {', '.join(missing)} (need {', '.join(REQUIRED)})")
    df = df[list(REQUIRED)].copy()
    for c in ("item_id", "table_id", "sector_code"):
        df[c] = df[c].str.strip()
        empty = df.index[df[c] == ""]
        if len(empty):
            raise ReforgeError(f"{p}: data row {empty[0] + 1}: empty {c}")
    w = pd.to_numeric(df["weight"], errors="coerce")
    bad = df.index[w.isna() | (w < 0) | (w > 1)]
    if len(bad):
        raise ReforgeError(f"{p}: data row {bad[0] + 1} (item {df.at[bad[0], 'item_id']}): weight "
                           f"{df.at[bad[0], 'weight']!r} is not a number in 0-1")
    df["weight"] = w.astype(float)
    dup = df.duplicated(["item_id", "table_id", "sector_code"])
    if dup.any():
        r = df[dup].iloc[0]
        raise ReforgeError(f"{p}: item {r.item_id} is mapped to sector {r.sector_code} of {r.table_id} twice")
    tot = df.groupby(["item_id", "table_id"])["weight"].sum()
    off = tot[(tot - 1.0).abs() > 1e-6]
    if len(off):
        (item, tid), s = off.index[0], off.iloc[0]
        raise ReforgeError(f"{p}: weights of item {item} in table {tid} sum to {s:g}, not 1")
    return df.sort_values(["item_id", "table_id", "sector_code"]).reset_index(drop=True)


def save_concordance(engine: Engine, df: pd.DataFrame, replace: bool = True) -> int:
    """Write concordance rows into ``item_sectors`` (replacing rows of the same tables)."""
    tmp = engine.temp_name("conc")
    engine.register(tmp, df[list(REQUIRED)])
    try:
        with engine.transaction():
            if replace:
                engine.execute(f"DELETE FROM item_sectors WHERE table_id IN (SELECT DISTINCT table_id FROM {tmp})")
            engine.execute(f"INSERT INTO item_sectors (item_id, table_id, sector_code, weight) "
                           f"SELECT item_id, table_id, sector_code, weight FROM {tmp}")
    finally:
        engine.drop(tmp)
    return len(df)


def item_linkages(engine: Engine, table_id: str, chain_id: str | None = None,
                  forward: str = "ghosh") -> pd.DataFrame:
    """Per chain item: weighted backward/forward linkage, output multiplier and import
    dependence of its sector(s) in ``table_id``, plus the class of its main (largest-weight)
    sector. Items come from ``item_sectors`` (and ``chain_items`` when ``chain_id`` is given).
    """
    from reforge.sectors.analysis import analyze_table
    from reforge.sectors.store import load_table

    res = analyze_table(load_table(engine, table_id), forward=forward)  # type: ignore[arg-type]
    cols = ["code", "name", "output_multiplier", "backward_linkage", "forward_linkage", "class"]
    f = res.frame.copy()
    if "product_import_share" not in f.columns:
        f["product_import_share"] = float("nan")
    f = f[cols + ["product_import_share"]]
    tmp = engine.temp_name("sector_res")
    engine.register(tmp, f)
    params: dict[str, str] = {"table_id": table_id}
    chain_join = ""
    if chain_id is not None:
        chain_join = "JOIN chain_items ci ON ci.item_id = m.item_id AND ci.chain_id = $chain_id"
        params["chain_id"] = chain_id
    try:
        return engine.fetch_df(f"""
            WITH m AS (SELECT item_id, sector_code, weight FROM item_sectors WHERE table_id = $table_id),
            j AS (
              SELECT m.item_id, m.sector_code, COALESCE(m.weight, 1.0) AS w, r.name, r.output_multiplier,
                     r.backward_linkage, r.forward_linkage, r."class" AS cls, r.product_import_share,
                     ROW_NUMBER() OVER (PARTITION BY m.item_id
                                        ORDER BY COALESCE(m.weight, 1.0) DESC, m.sector_code) AS rk
              FROM m {chain_join} JOIN {tmp} r ON r.code = m.sector_code)
            SELECT item_id,
                   MAX(CASE WHEN rk = 1 THEN sector_code END) AS sector_code,
                   MAX(CASE WHEN rk = 1 THEN name END) AS sector_name,
                   MAX(CASE WHEN rk = 1 THEN cls END) AS sector_class,
                   SUM(w * output_multiplier) / SUM(w) AS output_multiplier,
                   SUM(w * backward_linkage) / SUM(w) AS backward_linkage,
                   SUM(w * forward_linkage) / SUM(w) AS forward_linkage,
                   SUM(w * product_import_share) / SUM(w) AS import_dependence
            FROM j GROUP BY item_id ORDER BY item_id""", params)
    finally:
        engine.drop(tmp)
