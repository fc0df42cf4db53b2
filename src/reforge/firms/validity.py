"""Designation validity: when a designation without ``expires_on`` stops being valid.

The criteria (CRITERIA.md §1) make a gradient designation valid 3 years, then reviewed.
Data often carry no ``expires_on``; then the designation expires ``N`` years after
``granted_on`` (the anniversary is the last valid day, as a stored ``expires_on`` is),
``N`` per kind from ``designation_validity_years`` of the rule set in force on the grant
date (grants before the first rule set use the first). A kind with no entry never expires
by default. Every consumer (screening features, warnings and cohorts, review, profiles)
uses ``expiry_sql`` / ``effective_expiry`` so they agree.
"""

from __future__ import annotations

from datetime import date

from reforge.engine.sqlbuild import literal
from reforge.firms.rules_model import available_rules, load_rules


def validity_years(kind: str, granted_on: date) -> int | None:
    """Default validity (years) of a designation of ``kind`` granted on ``granted_on``."""
    return load_rules(granted_on).designation_validity_years.get(kind)


def _plus_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February -> 28 February
        return d.replace(year=d.year + n, day=28)


def effective_expiry(kind: str, granted_on: date | None, expires_on: date | None) -> date | None:
    """``expires_on`` when given, else ``granted_on`` + the kind's default validity (None: never)."""
    if expires_on is not None or granted_on is None:
        return expires_on
    n = validity_years(kind, granted_on)
    return None if n is None else _plus_years(granted_on, n)


def expiry_sql(kind: str = "kind", granted: str = "granted_on", expires: str = "expires_on") -> str:
    """SQL (DuckDB dialect, DATE) of the effective expiry: ``expires`` or ``granted`` + N years by
    kind and by the rule set in force on ``granted``; NULL when the kind never expires."""
    sets = available_rules()
    branches: list[str] = []
    for i, rs in enumerate(reversed(sets)):  # newest first; the oldest also covers earlier grants
        by_n: dict[int, list[str]] = {}
        for k, n in sorted(rs.designation_validity_years.items()):
            if n is not None:
                by_n.setdefault(int(n), []).append(literal(k))
        cases = " ".join(f"WHEN {kind} IN ({', '.join(ks)}) THEN CAST({granted} + INTERVAL {n} YEAR AS DATE)"
                         for n, ks in sorted(by_n.items()))
        inner = f"CASE {cases} END" if cases else "CAST(NULL AS DATE)"
        last = i == len(sets) - 1
        cond = "TRUE" if last else f"{granted} >= {literal(rs.effective)}"
        branches.append(f"WHEN {cond} THEN {inner}")
    return f"COALESCE({expires}, CASE {' '.join(branches)} END)"


def valid_sql(as_of: str, kind: str = "kind", granted: str = "granted_on", expires: str = "expires_on") -> str:
    """SQL condition: the designation is valid on ``as_of`` (granted by then, not yet expired)."""
    exp = expiry_sql(kind, granted, expires)
    return f"({granted} <= {as_of} AND ({exp} IS NULL OR {exp} >= {as_of}))"


__all__ = ["effective_expiry", "expiry_sql", "valid_sql", "validity_years"]
