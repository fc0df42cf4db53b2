"""Value helpers shared by the screening steps: the comparison tolerance and plain-Python
cells (NaN / NA / numpy scalars to None or Python numbers), yes/no states and short number texts."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

EPS = 1e-9
"""Tolerance of every threshold comparison (in the metric's own unit)."""


def _val(x: Any) -> Any:
    if x is None:
        return None
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(x, float):
        return round(x, 10) if math.isfinite(x) else None
    if hasattr(x, "item"):
        return _val(x.item())
    return x


def _state(x: Any) -> bool | None:
    v = _val(x)
    return None if v is None else bool(v)


def _fmt(v: Any) -> str:
    if v is None:
        return "missing"
    if isinstance(v, float):
        if abs(v) >= 1e5:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(v)

