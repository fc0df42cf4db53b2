"""Import templates: one file per table with the header and one example row.

The example row is the first row of ``examples/<table>.csv`` when the examples
directory is present (a source checkout); otherwise the template holds the
header only. Codes stay text (leading zeros kept); numeric columns are numbers
in the XLSX template.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from reforge.errors import ReforgeError
from reforge.report.export import neutralise
from reforge.schema.tables import DATA_TABLES, get_table

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def example_row(table: str, examples_dir: Path | None = None) -> dict[str, str]:
    """The first data row of ``examples/<table>.csv`` (column -> text), or {} when absent."""
    f = (examples_dir or EXAMPLES_DIR) / f"{table}.csv"
    if not f.is_file():
        return {}
    with f.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.DictReader(fh), None) or {}


def template_bytes(table: str, fmt: str = "xlsx", examples_dir: Path | None = None) -> tuple[bytes, str, str]:
    """(file content, media type, file name) of the import template for ``table``."""
    if table not in DATA_TABLES:
        raise _error(f"unknown table {table!r}; known: {', '.join(DATA_TABLES)}", "ingest.table.unknown",
                     table=table)
    if fmt not in FORMATS:
        raise _error(f"unknown template format {fmt!r}; use csv or xlsx", "ingest.template.format", format=fmt)
    t = get_table(table)
    ex = example_row(table, examples_dir)
    values = [ex.get(c, "") or "" for c in t.names]
    name = f"{table}_template.{fmt}"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(t.names)
        if ex:
            w.writerow([neutralise(v) for v in values])  # spreadsheet formulas never pass (report.export)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), FORMATS[fmt], name
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table[:31])
    ws.append(t.names)
    if ex:
        ws.append([neutralise(_cell(t.column(c).type, v)) for c, v in zip(t.names, values, strict=True)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), FORMATS[fmt], name


def _error(message: str, code: str, **params: object) -> ReforgeError:
    e = ReforgeError(message)
    e.code, e.params = code, dict(params)  # type: ignore[attr-defined]
    return e


def _cell(sql_type: str, v: str) -> str | int | float | None:
    if v == "":
        return None
    if sql_type in ("INTEGER", "BIGINT", "DOUBLE"):
        try:
            f = float(v)
            return int(f) if sql_type != "DOUBLE" and f.is_integer() else f
        except ValueError:
            return v
    return v
