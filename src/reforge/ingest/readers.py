"""Read CSV, Parquet and XLSX files into DataFrames, keeping codes as text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reforge.errors import ReforgeError

SUFFIXES = (".csv", ".parquet", ".pq", ".xlsx")


def read_table_file(path: str | Path) -> pd.DataFrame:
    """Read one file. CSV/XLSX columns come back as strings (empty -> missing);
    Parquet keeps its types. Raises ReforgeError naming the file on failure."""
    p = Path(path)
    if not p.exists():
        raise ReforgeError(f"{p}: file not found")
    suf = p.suffix.lower()
    try:
        if suf == ".csv":
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""],
                               encoding="utf-8-sig", skipinitialspace=False)
        if suf in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suf == ".xlsx":
            return pd.read_excel(p, dtype=str, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as e:
        raise ReforgeError(f"{p}: cannot read as {suf[1:]}: {str(e).splitlines()[0]}") from None
    raise ReforgeError(f"{p}: unsupported file type {suf!r}; use {', '.join(SUFFIXES)}")
