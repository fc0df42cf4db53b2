"""Reason codes: the factors that cost a firm the most points, in words.

For each scorecard feature the loss is the points of the feature's best bin minus the
points the firm got; the top adverse factors read like
``"debt ratio 0.82 (bin ≥ 0.75) −34 points"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MINUS = "\u2212"


def fmt_value(v: Any) -> str:
    """A feature value for people: 4 significant digits, thousands separators when large."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "missing"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f.is_integer() and abs(f) < 1e15:
            return f"{int(f):,}"
        return f"{f:,.0f}" if abs(f) >= 1e4 else f"{f:.4g}"
    return str(v)


def bin_text(fspec: dict, idx: int) -> str:
    """Describe bin ``idx`` of a feature (regular bins first, then missing, then other)."""
    n = len(fspec["points"])
    if idx == n:
        return "missing"
    if idx == n + 1:
        return "category not seen in development"
    if fspec["dtype"] == "categorical":
        cats = fspec["categories"][idx]
        shown = ", ".join(cats[:4]) + (f" +{len(cats) - 4} more" if len(cats) > 4 else "")
        return f"bin {shown}"
    s = fspec["splits"]
    if len(s) == 0:
        return "all values"
    if idx == 0:
        return f"bin < {fmt_value(s[0])}"
    if idx == len(s):
        return f"bin \u2265 {fmt_value(s[-1])}"
    return f"bin {fmt_value(s[idx - 1])}\u2013{fmt_value(s[idx])}"


def best_points(fspec: dict) -> int:
    """The most points the feature can give (over regular bins and a populated missing bin)."""
    cand = list(fspec["points"])
    if fspec.get("missing_count", 0) > 0:
        cand.append(fspec["points_missing"])
    return int(max(cand))


def reason_lines(specs: list[dict], values: list[Any], bins: list[int], points: list[int],
                 top: int = 3) -> list[str]:
    """Top adverse factors of one firm: values, bin indices and points per feature."""
    losses = []
    for j, f in enumerate(specs):
        loss = best_points(f) - int(points[j])
        if loss > 0:
            losses.append((loss, j))
    losses.sort(key=lambda t: (-t[0], t[1]))
    out = []
    for loss, j in losses[:top]:
        f = specs[j]
        out.append(f"{f['label']} {fmt_value(values[j])} ({bin_text(f, bins[j])}) {MINUS}{loss} points")
    return out
