"""Global assignment of demands to suppliers under supplier capacities (many-to-many).

Reduced data only (no engine calls): demands with a value (CNY per year), supplier slots
(a producer on an item) with a spare capacity (CNY per year, ``inf`` when unknown), and the
qualified edges between them with their match score. The assignment maximises the matched
demand value; among the maximal assignments it prefers higher scores (each unit of flow on an
edge earns ``1 + eps * score``, with ``eps`` small enough that score never buys value). It is a
transportation linear programme solved with HiGHS (scipy); with integer data the constraint
matrix is totally unimodular, so the optimum is a vertex and integral.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reforge.errors import InvalidInput


@dataclass(frozen=True)
class Edge:
    """A qualified pair: demand ``demand`` may be served by slot ``slot`` with score ``score`` (0-1)."""

    demand: str
    slot: str
    score: float


def assign_flows(values: Mapping[str, float], capacities: Mapping[str, float], edges: Sequence[Edge],
                 eps: float | None = None) -> dict[tuple[str, str], float]:
    """Flows ``{(demand, slot): value}`` maximising the total matched value.

    ``values``: demand value per demand (>= 0); ``capacities``: spare capacity per slot (>= 0,
    ``inf`` allowed); ``edges``: allowed pairs. Each demand receives at most its value, each
    slot gives at most its capacity. Zero flows are left out.
    """
    from scipy.optimize import linprog
    for k, v in {**values, **capacities}.items():
        if not (v >= 0):  # also rejects NaN
            raise InvalidInput(f"value or capacity of {k!r} must be >= 0, got {v!r}", code="match.assign.bad_value",
                               params={"key": str(k)[:80], "value": repr(v)})
    es = [e for e in edges if e.demand in values and e.slot in capacities and values[e.demand] > 0
          and capacities[e.slot] > 0]
    if not es:
        return {}
    ds = sorted({e.demand for e in es})
    ss = sorted({e.slot for e in es})
    di = {d: i for i, d in enumerate(ds)}
    n = len(es)
    total = sum(values[d] for d in ds)
    eps = eps if eps is not None else 0.5 / (1 + total)  # score gain over all flow < one unit of value
    c = -np.array([1 + eps * min(max(e.score, 0.0), 1.0) for e in es])
    rows, b = [], []
    a_d = np.zeros((len(ds), n))
    for j, e in enumerate(es):
        a_d[di[e.demand], j] = 1
    rows.append(a_d)
    b += [values[d] for d in ds]
    finite = [s for s in ss if np.isfinite(capacities[s])]
    if finite:
        fi = {s: i for i, s in enumerate(finite)}
        a_s = np.zeros((len(finite), n))
        for j, e in enumerate(es):
            if e.slot in fi:
                a_s[fi[e.slot], j] = 1
        rows.append(a_s)
        b += [capacities[s] for s in finite]
    res = linprog(c, A_ub=np.vstack(rows), b_ub=np.array(b, dtype=float), bounds=(0, None), method="highs")
    if res.status != 0:  # cannot happen for a feasible, bounded transportation problem (x = 0 is feasible)
        raise InvalidInput(f"assignment could not be solved: {res.message}", code="match.assign.failed",
                           params={"message": str(res.message)[:200]})
    out: dict[tuple[str, str], float] = {}
    for e, x in zip(es, res.x, strict=True):
        if x > 1e-9:
            out[(e.demand, e.slot)] = float(x)
    return out


__all__ = ["Edge", "assign_flows"]
