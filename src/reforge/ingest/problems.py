"""Import problems and results: what was wrong, where (file, row, column), and what was written."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REPORT_LIMIT = 50


@dataclass
class ImportResult:
    """Outcome of one import. ``ok`` is False when any problem was found (then nothing was written).

    ``problems`` holds every problem found (columns file, row, column, value, reason);
    ``row`` is the 1-based data row in its file (the header line is not counted).
    """

    tables: list[str]
    mode: str
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["file", "row", "column", "value", "reason"]))

    @property
    def ok(self) -> bool:
        return len(self.problems) == 0

    @property
    def error_count(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[dict]:
        """The first REPORT_LIMIT problems as dicts."""
        return _records(self.problems.head(REPORT_LIMIT))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "tables": self.tables, "mode": self.mode,
                "rows_read": self.rows_read, "rows_written": self.rows_written,
                "error_count": self.error_count, "errors": self.errors,
                "errors_not_shown": max(0, self.error_count - REPORT_LIMIT)}

    def summary(self) -> str:
        if self.ok:
            parts = ", ".join(f"{t}: {n:,}" for t, n in self.rows_written.items())
            return f"imported ({self.mode}) {parts}"
        return f"{self.error_count:,} problem(s) found; nothing was written"


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.itertuples(index=False):
        row = None if pd.isna(r.row) else int(r.row)
        out.append({"file": r.file, "row": row, "column": r.column,
                    "value": None if r.value is None or (isinstance(r.value, float) and pd.isna(r.value))
                    else str(r.value), "reason": r.reason})
    return out


def problem_frame(file: str, rows: pd.Series | list, column: str | None, values, reason) -> pd.DataFrame:
    """Build problem rows; ``reason`` may be one string or a Series aligned with ``rows``."""
    rows = pd.Series(rows).reset_index(drop=True)
    vals = pd.Series(values).reset_index(drop=True) if not isinstance(values, str | type(None)) \
        else pd.Series([values] * len(rows))
    reasons = pd.Series(reason).reset_index(drop=True) if not isinstance(reason, str) \
        else pd.Series([reason] * len(rows))
    return pd.DataFrame({"file": file, "row": rows.astype("Int64"), "column": column,
                         "value": vals.astype(object).where(vals.notna(), None).map(
                             lambda v: None if v is None else str(v)[:200]),
                         "reason": reasons})
