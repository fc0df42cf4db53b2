"""Spreadsheet-safe exports: every CSV or XLSX Reforge writes goes through this module.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed (or their full-width forms ``＝ ＋ － ＠``, which spreadsheet input methods turn into the
ASCII ones) is run as a formula by Excel, WPS or LibreOffice when the file is opened:
``=cmd|' /C calc'!A0`` starts a program. Following OWASP's "CSV Injection" advice such a cell
gets a leading apostrophe (``'=cmd…``), which spreadsheets show but do not evaluate.

Numbers stay numbers: numeric columns are written as they are, and so is a text cell that is
just a plain number (``-7``, ``+1.5e3``), which no spreadsheet evaluates as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """``value`` safe for a spreadsheet cell: a formula-like string gets a leading ``'``.

    Non-strings (numbers, dates, None) are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell neutralised (numeric and date columns untouched);
    column names are neutralised too."""
    import pandas as pd
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[c] = col.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv_frame(df: pd.DataFrame, dest: str | Path | IO[str], **to_csv: Any) -> None:
    """``df.to_csv`` of the neutralised frame (no index unless asked)."""
    to_csv.setdefault("index", False)
    safe_frame(df).to_csv(dest, **to_csv)


def write_csv_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], dest: IO[str]) -> None:
    """CSV of plain rows (None as an empty cell) with every text cell neutralised."""
    w = csv.writer(dest, lineterminator="\n")
    w.writerow([neutralise(str(c)) for c in columns])
    w.writerows(["" if v is None else neutralise(v) for v in r] for r in rows)


def csv_text(df: pd.DataFrame) -> str:
    """The neutralised CSV text of ``df`` (for HTTP downloads)."""
    buf = io.StringIO()
    write_csv_frame(df, buf)
    return buf.getvalue()


def write_xlsx(frames: dict[str, pd.DataFrame], dest: str | Path | IO[bytes]) -> None:
    """An XLSX workbook with one sheet per frame (sheet names cut to Excel's 31 characters),
    every text cell neutralised. Needs openpyxl (a dependency of the importer)."""
    import pandas as pd
    with pd.ExcelWriter(dest, engine="openpyxl") as xw:
        for name, df in frames.items():
            safe_frame(df).to_excel(xw, sheet_name=str(name)[:31] or "Sheet1", index=False)
