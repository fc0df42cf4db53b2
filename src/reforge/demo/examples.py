"""Write ``examples/<table>.csv``: one small, mutually consistent example file per table,
cut from a small demo province (so importing them in dependency order succeeds).

``python -m reforge.demo.examples examples``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from reforge.schema.tables import DATA_TABLES

N_FIRMS = 20
ROWS = 40


def example_tables(seed: int = 11) -> dict[str, pd.DataFrame]:
    """Small consistent subsets of every data table."""
    from reforge.demo.generate import build_tables
    from reforge.demo.projects import project_examples
    t = build_tables(n_firms=500, seed=seed)
    firms = set(t["enterprises"]["uscc"].head(N_FIRMS))
    firms |= set(t["demands"]["uscc"].head(5)) | set(t["appraisals"]["uscc"].dropna().head(5))
    out: dict[str, pd.DataFrame] = {}
    out["enterprises"] = t["enterprises"][t["enterprises"].uscc.isin(firms)]
    for name in ("enterprise_years", "designations", "support_events", "credit_records", "defaults"):
        out[name] = t[name][t[name].uscc.isin(firms)].head(ROWS)
    sl = t["supply_links"]
    ok_sup = (sl.supplier_type == "foreign") | sl.supplier_id.isin(firms)
    out["supply_links"] = sl[ok_sup & sl.buyer_uscc.isin(firms)].head(ROWS)
    cap = t["capabilities"]
    out["capabilities"] = cap[(cap.producer_type == "foreign") | cap.producer_id.isin(firms)].head(ROWS)
    used_foreign = set(out["supply_links"].loc[out["supply_links"].supplier_type == "foreign", "supplier_id"]) | \
        set(out["capabilities"].loc[out["capabilities"].producer_type == "foreign", "producer_id"])
    out["foreign_suppliers"] = t["foreign_suppliers"][t["foreign_suppliers"].supplier_id.isin(used_foreign)]
    for name in ("chains", "items", "chain_items", "chain_links", "institutions", "institution_fields",
                 "experts", "indicators", "io_tables", "io_sectors", "item_sectors"):
        out[name] = t[name]
    d = t["demands"]
    out["demands"] = d[d.uscc.isin(firms)].head(ROWS)
    o = t["offers"]
    out["offers"] = o[(o.provider_type == "institution") | o.provider_id.isin(firms)].head(ROWS)
    a = t["appraisals"]
    out["appraisals"] = a[a.uscc.isna() | a.uscc.isin(firms)].head(ROWS)
    s = t["appraisal_scores"]
    out["appraisal_scores"] = s[s.appraisal_id.isin(out["appraisals"].appraisal_id)]
    out.update(project_examples(t, out))
    c = t["collaborations"]
    out["collaborations"] = c[c.uscc.isin(firms)].head(ROWS)
    out["personnel_moves"] = t["personnel_moves"].head(ROWS)
    out["platforms"], out["platform_fields"] = t["platforms"], t["platform_fields"]
    u = t["platform_usage"]
    out["platform_usage"] = u[u.uscc.isin(firms)].head(ROWS)
    missing = set(DATA_TABLES) - set(out)
    if missing:
        raise RuntimeError(f"no example for {sorted(missing)}")
    return out


def write_examples(folder: str | Path) -> list[Path]:
    """Write every example table as CSV; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in example_tables().items():
        p = folder / f"{name}.csv"
        df.to_csv(p, index=False, date_format="%Y-%m-%d")
        paths.append(p)
    return paths


if __name__ == "__main__":  # pragma: no cover
    for p in write_examples(sys.argv[1] if len(sys.argv) > 1 else "examples"):
        print(p)
