"""JSON-safe conversion of capability results for the API and the dashboard.

(A capability that is missing or broken is no longer reported as 501 "not available": the API
imports the libraries directly, so a broken module fails loudly.)
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd


def jsonable(obj: Any) -> Any:
    """A JSON-safe version of a result object, DataFrame, numpy value or container (NaN -> None)."""
    t = type(obj)  # exact-type fast paths first: results hold millions of plain values
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in obj.items()}
    if t is list:
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        return None if (math.isnan(obj) or math.isinf(obj)) else obj
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.astype(object).to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return jsonable(obj.tolist())
    if isinstance(obj, pd.Timestamp | datetime):
        if pd.isna(obj):
            return None
        if obj.hour == obj.minute == obj.second == obj.microsecond == 0:
            return obj.date().isoformat()  # DATE columns come back from pandas as midnight timestamps
        return obj.isoformat()
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    if hasattr(obj, "item"):
        try:
            return jsonable(obj.item())
        except (ValueError, TypeError):
            pass
    if obj is pd.NaT or (hasattr(pd, "NA") and obj is pd.NA):
        return None
    return str(obj)
