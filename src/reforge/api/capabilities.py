"""Calls into the capability libraries (chain, firms, policy, credit, sectors).

Each capability is written in its own package; when a function has not landed
yet, ``need`` raises ``NotAvailable`` and the API answers 501 (the web page says
"not available yet") instead of crashing.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd


class NotAvailable(Exception):
    """A capability function is not installed in this build."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"{feature} is not available in this build yet")
        self.feature = feature


def need(module: str, attr: str) -> Callable[..., Any]:
    """``module.attr`` or NotAvailable."""
    try:
        m = importlib.import_module(module)
    except ImportError:
        raise NotAvailable(f"{module}.{attr}") from None
    f = getattr(m, attr, None)
    if f is None or not callable(f):
        raise NotAvailable(f"{module}.{attr}")
    return f


def available(module: str, attr: str) -> bool:
    """Whether ``module.attr`` exists."""
    try:
        need(module, attr)
        return True
    except NotAvailable:
        return False


def jsonable(obj: Any) -> Any:
    """A JSON-safe version of a result object, DataFrame, numpy value or container (NaN -> None)."""
    if obj is None or isinstance(obj, bool | str | int):
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
