"""Render the import contract (docs/data-contract.md) from the table definitions.

Run ``python -m reforge.schema.contract docs/data-contract.md`` after changing
``tables.py``; a test checks the file is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reforge.ingest.load import dependency_order
from reforge.schema.ddl import SCHEMA_VERSION
from reforge.schema.tables import DATA_TABLES, TABLE_BY_NAME

_RULES = {
    "uscc": "18-char USCC, GB 32100-2015 check digit, chars 3-8 a GB/T 2260 code (current or historical)",
    "division": "GB/T 2260 division code (current or historical)",
    "industry": "GB/T 4754-2017 code (any level)",
    "country": "ISO 3166-1 alpha-2",
    "share": "0 ≤ value ≤ 1",
    "nonneg": "≥ 0",
    "year": "1949-2100",
    "level5": "1-5",
    "sha256": "SHA-256 hex digest: 64 lowercase hexadecimal characters",
}


def render() -> str:
    """The whole Markdown document."""
    out = [
        "# Data contract (import)",
        "",
        f"Schema version {SCHEMA_VERSION}. Generated from `src/reforge/schema/tables.py` by "
        "`python -m reforge.schema.contract docs/data-contract.md`; do not edit by hand.",
        "",
        "- Files: CSV (header row; UTF-8 with or without BOM, or GBK/GB18030 as Excel writes on Chinese "
        "Windows, detected), Parquet or XLSX (first sheet; the first non-empty row is the header); one table "
        "per file; column names as below (any order; optional columns may be left out; unknown columns are an "
        "error). The header is checked before the rows are read.",
        "- Limits per file (environment `REFORGE_IMPORT_MAX_ROWS`, `…_MAX_COLUMNS`, `…_MAX_UNZIPPED_MB`, "
        "`…_MAX_ZIP_RATIO`): 2,000,000 data rows (XLSX: Excel's 1,048,576 rows), 200 columns; an XLSX "
        "unpacks to at most 2,048 MB with no part compressed more than 200:1. XLSX sheets are read as a "
        "stream; a declared dimension beyond the limits is rejected before any cell is read.",
        "- Money is in CNY (yuan); shares and ratios are fractions 0-1; dates are `YYYY-MM-DD`; booleans "
        "`true/false`, `1/0`, `yes/no` or `是/否`. Codes are text: keep leading zeros.",
        "- `reforge import TABLE FILE… [--mode append|upsert|replace]` validates every row first and writes "
        "all rows in one transaction, or nothing. Problems are reported with file, data row (1-based, the "
        "header is not counted), the spreadsheet row (header = row 1) for CSV/XLSX, column, value, reason "
        "and a stable code; exit code 2. Rejected imports are recorded in the audit log too.",
        "- `--mode replace` refuses to leave rows of other tables pointing at removed rows (it lists the "
        "tables and counts); `--cascade` deletes them (optional references are set to NULL). Whole numbers "
        "must fit their type (INTEGER: 32-bit).",
        "- A template per table (header and one example row): `GET /api/v1/imports/templates/<table>"
        "?format=xlsx|csv`, or the data page.",
        "- Keys must be unique in the files and, with `--mode append`, new to the database. References must "
        "exist in the database or in the same import.",
        f"- Import order when loading several tables: {', '.join(dependency_order(list(DATA_TABLES)))}.",
        "- One example file per table: `examples/<table>.csv`.",
        "",
    ]
    for name in DATA_TABLES:
        t = TABLE_BY_NAME[name]
        out += [f"## `{name}`", "", t.doc, "", f"Key: ({', '.join(t.key)})", ""]
        if t.references:
            refs = []
            for r in t.references:
                tg = " or ".join(f"`{a}.{b}`" for a, b in r.targets)
                cond = f" when `{r.when[0]}` = `{r.when[1]}`" if r.when else ""
                refs.append(f"`{r.column}` → {tg}{cond}")
            out += ["References: " + "; ".join(refs), ""]
        out += ["| column | type | required | rule | meaning |", "|---|---|---|---|---|"]
        for c in t.columns:
            rule = "one of " + ", ".join(f"`{x}`" for x in c.choices) if c.rule == "enum" else _RULES.get(c.rule or "", "")
            req = "yes" if c.required or c.name in t.key else ""
            out.append(f"| `{c.name}` | {c.type} | {req} | {rule} | {c.doc} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data-contract.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
