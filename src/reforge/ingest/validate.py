"""Row validation for imports: types, required fields, value rules and codes.

Pure functions over DataFrames: ``coerce_and_check(table, df, file)`` returns
the typed frame and a frame of problems (file, row, column, value, reason).
Key uniqueness and references across tables are checked in ``load`` with SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.ingest.codes import country_codes, division_codes, industry_codes, uscc_problems
from reforge.ingest.problems import problem_frame
from reforge.schema.tables import Column, Table

YEAR_MIN, YEAR_MAX = 1949, 2100
_TRUE = {"true", "t", "1", "yes", "y", "是", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "0.0"}


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        f = s.dropna().to_numpy()
        if (f == np.floor(f)).all():
            s = s.astype("Int64")
    t = s.astype("string[pyarrow]").str.strip()
    return t.mask(t == "", pd.NA)


def coerce_column(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert ``raw`` to the column type; return (values, mask of values that failed)."""
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
            num = num.where(~bad)
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


_TYPE_WORD = {"INTEGER": "a whole number", "BIGINT": "a whole number", "DOUBLE": "a number",
              "DATE": "a date (YYYY-MM-DD)", "TIMESTAMP": "a date-time", "BOOLEAN": "true or false"}


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
    elif r == "enum":
        bad = present & ~v.astype("string").isin(col.choices).fillna(False)
        reasons[bad] = "must be one of " + ", ".join(col.choices)
    return reasons


def coerce_and_check(table: Table, df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every column and check required fields and value rules.

    Returns (typed frame with the table's columns in order plus ``_row``, problems).
    Unknown or missing required columns are file-level problems (row None).
    """
    problems: list[pd.DataFrame] = []
    known = set(table.names)
    cols = [str(c).strip() for c in df.columns]
    df = df.copy()
    df.columns = cols
    unknown = [c for c in cols if c not in known and c != "_row"]
    for c in unknown:
        problems.append(problem_frame(file, [None], c, None,
                                      f"unknown column for table {table.name} (known: {', '.join(table.names)})"))
    dup = [c for c in set(cols) if cols.count(c) > 1]
    for c in dup:
        problems.append(problem_frame(file, [None], c, None, "column appears more than once"))
    missing_req = [c.name for c in table.columns if (c.required or c.name in table.key) and c.name not in cols]
    for c in missing_req:
        problems.append(problem_frame(file, [None], c, None, "required column is missing"))
    if problems:
        return pd.DataFrame(), pd.concat(problems, ignore_index=True)
    rows = df["_row"] if "_row" in df else pd.Series(np.arange(1, len(df) + 1), index=df.index)
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        if col.name not in df:
            out[col.name] = pd.Series(index=df.index, dtype=_empty_dtype(col.type))
            continue
        raw = df[col.name]
        val, bad = coerce_column(col, raw)
        if bad.any():
            problems.append(problem_frame(file, rows[bad], col.name, raw[bad],
                                          f"not {_TYPE_WORD.get(col.type, col.type)}"))
        if col.required or col.name in table.key:
            miss = val.isna() & ~bad
            if miss.any():
                problems.append(problem_frame(file, rows[miss], col.name, None, "required value is missing"))
        reasons = rule_problems(col, val)
        rb = reasons.notna()
        if rb.any():
            problems.append(problem_frame(file, rows[rb], col.name, val[rb], reasons[rb]))
        out[col.name] = val
    out["_row"] = rows.to_numpy()
    prob = pd.concat(problems, ignore_index=True) if problems else problem_frame(file, [], None, None, "")
    return out, prob


def _empty_dtype(ty: str) -> str:
    return {"VARCHAR": "string", "INTEGER": "Int64", "BIGINT": "Int64", "DOUBLE": "float64",
            "BOOLEAN": "boolean", "DATE": "datetime64[ns]", "TIMESTAMP": "datetime64[ns]"}[ty]
