"""Exact numeric literals for the SQL of the fits (the constants the per-cell sums use)."""

from __future__ import annotations

import math

from reforge.policy import influence as inf


def lit(v: float) -> str:
    """Exact numeric literal, parenthesised so that negative values compose."""
    f = float(v)
    if not math.isfinite(f):
        raise inf.SingularCell("non-finite constant")
    return f"({f!r})"
