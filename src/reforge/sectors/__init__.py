"""Sectors: input-output key-sector analysis and macro indicators.

Entry points (JSON-safe dicts for the API/web; result objects for the library):

- :func:`analyze` — ``{"sectors": [{code, output_multiplier, backward_linkage,
  forward_linkage, class, extraction_loss}], "n": n}`` for a table, file or path;
- :func:`key_sectors` — the ranked key-sector table of a table stored in the database;
- :func:`list_tables` — stored tables ``[{table_id, sectors, cells}]``;
- :func:`indicators` / :func:`indicators_plot` — macro indicators with year-on-year changes;
- :func:`item_linkages` — chain items with their IO sectors' linkages and import dependence
  (through ``item_sectors``), for the chain bottleneck view.

The textbook algebra lives in :mod:`reforge.sectors.io` (``calc_A``, ``calc_L``, ``calc_B``,
``calc_G``, ``linkages``, ``extraction``, ``import_structure`` …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reforge.engine import Engine
from reforge.sectors.analysis import SectorAnalysis, analyze_table
from reforge.sectors.concordance import item_linkages
from reforge.sectors.indicators import indicator_records, indicators_plot, seed_national
from reforge.sectors.readers import read_table
from reforge.sectors.store import list_tables, load_table, save_table
from reforge.sectors.table import IOTable, check_balance

__all__ = ["analyze", "analyze_table", "key_sectors", "list_tables", "indicators", "indicators_plot",
           "read_table", "load_table", "save_table", "check_balance", "seed_national", "IOTable",
           "SectorAnalysis", "item_linkages"]


def analyze(table: IOTable | str | Path, forward: str = "ghosh") -> dict[str, Any]:
    """Key-sector analysis of a table (an :class:`IOTable` or a file path) as the JSON contract
    ``{"sectors": [{code, output_multiplier, backward_linkage, forward_linkage, class,
    extraction_loss}], "n": n}`` (``extraction_loss`` = share 0–1 of total output lost when the
    sector is extracted)."""
    t = table if isinstance(table, IOTable) else read_table(table)
    return analyze_table(t, forward=forward).to_dict()  # type: ignore[arg-type]


def key_sectors(engine: Engine, table_id: str, forward: str = "ghosh") -> dict[str, Any]:
    """Ranked key sectors of a stored table: ``{"table_id", "forward", "n", "sectors": [{rank,
    code, name, class, backward_linkage, forward_linkage, output_multiplier, extraction_loss,
    …}]}`` ordered key → backward_oriented → forward_oriented → weak, strongest first."""
    res = analyze_table(load_table(engine, table_id), forward=forward)  # type: ignore[arg-type]
    kt = res.key_table()
    kt = kt.astype(object).where(kt.notna(), None)
    recs = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in kt.to_dict(orient="records")]
    return {"table_id": table_id, "forward": forward, "n": res.n, "sectors": recs}


def indicators(engine: Engine, region: str | None = None, indicator: str | None = None) -> list[dict[str, Any]]:
    """Indicator records ``{region_code, indicator, year, value, unit, source, confidence,
    change, pct_change}`` (changes on the previous calendar year; null when it is missing)."""
    return indicator_records(engine, region, indicator)
