"""Row validation for imports: types, required fields, value rules and codes.

Pure functions over DataFrames: ``column_problems(table, columns, file)`` checks a
header before the body is read; ``coerce_and_check(table, df, file, rows)`` returns
the typed frame and a frame of problems (file, row, column, value, reason, code,
params). Row numbers come from the reader, never from the data. Integers are
checked against their SQL type's range (INTEGER is 32-bit). Key uniqueness and
references across tables are checked in ``load`` with SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.ingest.codes import country_codes, division_codes, industry_codes, uscc_problems
from reforge.ingest.messages import TYPE_WORDS, text
from reforge.ingest.problems import problem_frame
from reforge.schema.tables import Column, Table

YEAR_MIN, YEAR_MAX = 1949, 2100
_TRUE = {"true", "t", "1", "yes", "y", "是", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "0.0"}
# inclusive ranges of the integer SQL types (DuckDB INTEGER is 32-bit, BIGINT 64-bit); BIGINT is
# limited to +-2**53 here because values pass through float64 and must stay exact
INT_RANGE = {"INTEGER": (-(2**31), 2**31 - 1), "BIGINT": (-(2**53), 2**53)}


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        f = s.dropna().to_numpy()
        if (f == np.floor(f)).all():
            s = s.astype("Int64")
    t = s.astype("string[pyarrow]").str.strip()
    return t.mask(t == "", pd.NA)


def coerce_column(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert ``raw`` to the column type; return (values, mask of values that failed the type).
    Whole numbers outside the SQL type's range come back as missing with ``bad`` False; see
    ``range_problems``."""
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        present = raw.notna() & ~(raw.astype("string[pyarrow]").str.strip() == "").fillna(False)
    else:
        present = raw.notna()
    ty = col.type
    if ty == "VARCHAR":
        return _as_text(raw), pd.Series(False, index=raw.index)
    if ty in ("INTEGER", "BIGINT", "DOUBLE"):
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            num = pd.to_numeric(raw, errors="coerce").astype("float64")
        else:
            num = pd.to_numeric(raw.astype("string").str.strip().str.replace(",", "", regex=False),
                                errors="coerce").astype("float64")
        bad = present & (num.isna() | ~np.isfinite(num.fillna(0)))
        if ty != "DOUBLE":
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            bad = bad | frac
            lo, hi = INT_RANGE[ty]
            num = num.where(~bad & (num >= lo) & (num <= hi))
            return num.round().astype("Int64"), bad
        return num.where(~bad), bad
    if ty in ("DATE", "TIMESTAMP"):
        if pd.api.types.is_datetime64_any_dtype(raw):
            d = raw
        else:
            txt = raw.astype("string").str.strip()
            d = pd.to_datetime(txt, errors="coerce", format="ISO8601")
        bad = present & d.isna()
        if ty == "DATE":
            d = d.dt.normalize()
        return d, bad
    if ty == "BOOLEAN":
        if pd.api.types.is_bool_dtype(raw):
            return raw.astype("boolean"), pd.Series(False, index=raw.index)
        txt = raw.astype("string").str.strip().str.lower()
        val = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        val[txt.isin(_TRUE).fillna(False)] = True
        val[txt.isin(_FALSE).fillna(False)] = False
        bad = present & val.isna()
        return val, bad
    raise ValueError(f"unsupported column type {ty}")


def range_problems(col: Column, raw: pd.Series, bad: pd.Series) -> pd.Series:
    """Mask of whole numbers outside the range of the column's integer type (not already ``bad``)."""
    if col.type not in INT_RANGE:
        return pd.Series(False, index=raw.index)
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
    else:
        num = pd.to_numeric(raw.astype("string").str.strip().str.replace(",", "", regex=False),
                            errors="coerce").astype("float64")
    lo, hi = INT_RANGE[col.type]
    return (~bad & num.notna() & ((num < lo) | (num > hi))).fillna(False).astype(bool)


def column_problems(table: Table, columns: list[str], file: str) -> pd.DataFrame:
    """Header problems (row None): unknown, repeated or missing required columns. When the file
    looks like another table (no key column and most columns unknown) the result is ONE
    ``ingest.table.mismatch`` problem instead of one per column."""
    known = set(table.names)
    cols = [str(c).strip() for c in columns]
    unknown = [c for c in cols if c not in known]
    has_key = any(k in cols for k in table.key)
    if cols and unknown and not has_key and len(unknown) * 2 >= len(cols):
        req = [c.name for c in table.columns if c.required or c.name in table.key]
        expected = ", ".join(req) + (f" (+{len(table.names) - len(req)} optional)"
                                     if len(table.names) > len(req) else "")
        params = {"file": file, "table": table.name, "unknown": len(unknown), "columns": len(cols),
                  "sample": ", ".join(unknown[:3]) + (", ..." if len(unknown) > 3 else ""), "expected": expected}
        return problem_frame(file, [None], None, None, text("ingest.table.mismatch", params),
                             "ingest.table.mismatch", params)
    problems = []
    for c in unknown:
        params = {"table": table.name}
        problems.append(problem_frame(file, [None], c, None, text("ingest.column.unknown", params),
                                      "ingest.column.unknown", params))
    for c in sorted({c for c in cols if cols.count(c) > 1}):
        problems.append(problem_frame(file, [None], c, None, text("ingest.column.duplicate"),
                                      "ingest.column.duplicate"))
    for c in [c.name for c in table.columns if (c.required or c.name in table.key) and c.name not in cols]:
        problems.append(problem_frame(file, [None], c, None, text("ingest.column.missing"), "ingest.column.missing"))
    return pd.concat(problems, ignore_index=True) if problems else problem_frame(file, [], None, None, "")


def rule_problems(col: Column, v: pd.Series) -> pd.Series:
    """Reason per row where the value breaks the column's rule, else None."""
    reasons = pd.Series(np.full(len(v), None, dtype=object), index=v.index)
    if not col.rule:
        return reasons
    present = v.notna()
    if not present.any():
        return reasons
    r = col.rule
    if r == "uscc":
        return uscc_problems(v)
    if r == "division":
        txt = v.astype("string")
        bad = present & ~txt.isin(division_codes()).fillna(False)
        reasons[bad] = "not a GB/T 2260 administrative division code"
    elif r == "industry":
        txt = v.astype("string")
        bad = present & ~txt.isin(industry_codes()).fillna(False)
        reasons[bad] = "not a GB/T 4754-2017 industry code"
    elif r == "country":
        txt = v.astype("string")
        bad = present & ~txt.isin(country_codes()).fillna(False)
        reasons[bad] = "not an ISO 3166-1 alpha-2 country code"
    elif r == "share":
        bad = present & ((v < 0) | (v > 1)).fillna(False)
        reasons[bad] = "must be a fraction between 0 and 1"
    elif r == "nonneg":
        bad = present & (v < 0).fillna(False)
        reasons[bad] = "must not be negative"
    elif r == "year":
        bad = present & ((v < YEAR_MIN) | (v > YEAR_MAX)).fillna(False)
        reasons[bad] = f"year outside {YEAR_MIN}-{YEAR_MAX}"
    elif r == "level5":
        bad = present & ((v < 1) | (v > 5)).fillna(False)
        reasons[bad] = "must be a level from 1 to 5"
    elif r == "sha256":
        bad = present & ~v.astype("string").str.fullmatch(r"[0-9a-f]{64}").fillna(False)
        reasons[bad] = "must be a SHA-256 hash (64 lowercase hexadecimal characters)"
    elif r == "enum":
        bad = present & ~v.astype("string").isin(col.choices).fillna(False)
        reasons[bad] = "must be one of " + ", ".join(col.choices)
    return reasons


def coerce_and_check(table: Table, df: pd.DataFrame, file: str,
                     rows: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every column and check required fields, integer ranges and value rules.

    ``rows`` holds the data row number (1-based) of each frame row, from the reader; by
    default 1..n. Returns (typed frame with the table's columns in order plus ``_row``,
    problems). Header problems (see ``column_problems``) return an empty frame.
    """
    df = df.copy(deep=False)
    df.columns = [str(c).strip() for c in df.columns]
    head = column_problems(table, list(df.columns), file)
    if len(head):
        return pd.DataFrame(), head
    problems: list[pd.DataFrame] = []
    rows = pd.Series(np.arange(1, len(df) + 1) if rows is None else np.asarray(rows, dtype=np.int64),
                     index=df.index)
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        if col.name not in df:
            out[col.name] = pd.Series(index=df.index, dtype=_empty_dtype(col.type))
            continue
        raw = df[col.name]
        val, bad = coerce_column(col, raw)
        if bad.any():
            en, zh = TYPE_WORDS.get(col.type, (col.type, col.type))
            params = {"kind": en, "kind_zh": zh}
            problems.append(problem_frame(file, rows[bad], col.name, raw[bad], text("ingest.value.type", params),
                                          "ingest.value.type", params))
        big = range_problems(col, raw, bad)
        if big.any():
            lo, hi = INT_RANGE[col.type]
            vals = raw[big]
            plist = [{"value": str(v)[:40], "sql_type": col.type, "low": lo, "high": hi} for v in vals]
            problems.append(problem_frame(file, rows[big], col.name, vals,
                                          pd.Series([text("ingest.value.range", p) for p in plist]),
                                          "ingest.value.range", plist))
        if col.required or col.name in table.key:
            miss = val.isna() & ~bad & ~big
            if miss.any():
                problems.append(problem_frame(file, rows[miss], col.name, None, text("ingest.value.missing"),
                                              "ingest.value.missing"))
        reasons = rule_problems(col, val)
        rb = reasons.notna()
        if rb.any():
            problems.append(problem_frame(file, rows[rb], col.name, val[rb], reasons[rb], "ingest.value.rule"))
        out[col.name] = val
    out["_row"] = rows.to_numpy()
    prob = pd.concat(problems, ignore_index=True) if problems else problem_frame(file, [], None, None, "")
    return out, prob


def _empty_dtype(ty: str) -> str:
    return {"VARCHAR": "string", "INTEGER": "Int64", "BIGINT": "Int64", "DOUBLE": "float64",
            "BOOLEAN": "boolean", "DATE": "datetime64[ns]", "TIMESTAMP": "datetime64[ns]"}[ty]
