"""Import problems and results: what was wrong, where (file, row, column), and what was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reforge.ingest.messages import CATALOG, rule_zh, text

REPORT_LIMIT = 50
COLUMNS = ["file", "row", "column", "value", "reason", "code", "params"]


class FileProblem(Exception):
    """A problem with a whole file (unreadable, too large, wrong type...): a stable ``code`` and
    ``params`` (see ingest.messages). The importer reports it as a file-level problem."""

    def __init__(self, code: str, column: str | None = None, **params: Any) -> None:
        self.code, self.column, self.params = code, column, params
        super().__init__(text(code, params))

    @property
    def reason(self) -> str:
        return text(self.code, self.params)


@dataclass
class ImportResult:
    """Outcome of one import. ``ok`` is False when any problem was found (then nothing was written).

    ``problems`` holds every problem found (columns file, row, column, value, reason,
    code, params); ``row`` is the 1-based data row in its file (the header is not counted);
    ``header_rows`` maps a spreadsheet-like file (CSV, XLSX) to the sheet row of its
    header, so that ``sheet_row`` = header row + data row is the row a spreadsheet shows.
    ``removed`` holds rows deleted by a ``replace`` (table -> rows, the replaced tables'
    old rows and, with cascade, dependent rows); ``nulled`` dependent references set to
    NULL by a cascade (table -> rows).
    """

    tables: list[str]
    mode: str
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    header_rows: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    nulled: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return len(self.problems) == 0

    @property
    def error_count(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[dict]:
        """The first REPORT_LIMIT problems as dicts."""
        return _records(self.problems.head(REPORT_LIMIT), self.header_rows)

    @property
    def codes(self) -> dict[str, int]:
        """Problems per code."""
        if not len(self.problems):
            return {}
        return {str(k): int(v) for k, v in self.problems["code"].fillna("ingest.other").value_counts().items()}

    def to_dict(self) -> dict:
        return {"ok": self.ok, "tables": self.tables, "mode": self.mode,
                "rows_read": self.rows_read, "rows_written": self.rows_written,
                "rows_removed": self.removed, "rows_nulled": self.nulled,
                "error_count": self.error_count, "error_codes": self.codes, "errors": self.errors,
                "errors_not_shown": max(0, self.error_count - REPORT_LIMIT)}

    def summary(self) -> str:
        if self.ok:
            parts = ", ".join(f"{t}: {n:,}" for t, n in self.rows_written.items())
            return f"imported ({self.mode}) {parts}"
        return f"{self.error_count:,} problem(s) found; nothing was written"


def _records(df: pd.DataFrame, header_rows: dict[str, int]) -> list[dict]:
    out = []
    for r in df.itertuples(index=False):
        row = None if pd.isna(r.row) else int(r.row)
        hdr = header_rows.get(r.file)
        code = r.code if isinstance(r.code, str) else "ingest.other"
        params = r.params if isinstance(r.params, dict) else {}
        reason = str(r.reason)
        zh = text(code, params, "zh") if code in CATALOG and code != "ingest.value.rule" else rule_zh(reason)
        out.append({"file": r.file, "row": row, "sheet_row": row + hdr if row is not None and hdr else None,
                    "column": r.column,
                    "value": None if r.value is None or (isinstance(r.value, float) and pd.isna(r.value))
                    else str(r.value), "reason": reason, "reason_zh": zh, "code": code, "params": params})
    return out


def problem_frame(file: str, rows: pd.Series | list, column: str | None, values, reason,
                  code: str | None = None, params: dict[str, Any] | list[dict] | None = None) -> pd.DataFrame:
    """Build problem rows; ``reason`` may be one string or a Series aligned with ``rows``;
    ``code`` and ``params`` (one dict for all rows, or a list aligned with ``rows``) name the
    problem for translation."""
    rows = pd.Series(rows).reset_index(drop=True)
    vals = pd.Series(values).reset_index(drop=True) if not isinstance(values, str | type(None)) \
        else pd.Series([values] * len(rows))
    reasons = pd.Series(reason).reset_index(drop=True) if not isinstance(reason, str) \
        else pd.Series([reason] * len(rows))
    return pd.DataFrame({"file": file, "row": rows.astype("Int64"), "column": column,
                         "value": vals.astype(object).where(vals.notna(), None).map(
                             lambda v: None if v is None else str(v)[:200]),
                         "reason": reasons, "code": code or "ingest.other",
                         "params": list(params) if isinstance(params, list)
                         else [dict(params or {}) for _ in range(len(rows))]})
