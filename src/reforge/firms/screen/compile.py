"""Screening, step 1: compile a tier of a rule set into one set-based SQL query.

:func:`plan_tier` picks the conditions, indicators and metrics a tier needs (a
:class:`TierPlan`); :func:`tier_sql` writes the one query that screens every firm of the
feature table for some years. The query returns each metric used, points per indicator,
score bounds, every condition as TRUE / FALSE / NULL (NULL = undecided because an input
is missing), vetoes hit and the outcome:

* ``fail`` when a veto is hit or any condition is FALSE,
* ``pass`` when every condition is TRUE,
* ``insufficient_data`` otherwise (some condition undecided, none failed).

Scores are bounded: ``score_min`` counts missing indicators as 0, ``score_max`` as
their maximum, so ``score >= 60`` is TRUE, FALSE or undecided. Portable SQL only (runs
on DuckDB and Spark alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from reforge.engine.sqlbuild import check_ident, literal
from reforge.errors import ReforgeError
from reforge.firms.metrics import METRICS
from reforge.firms.rules_model import Condition, Indicator, Leaf, RuleSet, load_provinces
from reforge.firms.screen.values import EPS, _val


def _num(x: float) -> str:
    return repr(float(x))


def _leaf_sql(leaf: Leaf) -> str:
    """SQL boolean of one leaf (NULL when the metric is missing)."""
    if leaf.metric == "score" or leaf.metric.startswith("score."):
        blk = "" if leaf.metric == "score" else "_" + leaf.metric.split(".", 1)[1]
        lo, hi, t = f"score_min{blk}", f"score_max{blk}", _num(leaf.threshold or 0)
        if leaf.op != ">=":
            raise ReforgeError(f"score leaves support only >=, got {leaf.op}")
        return f"(CASE WHEN {lo} >= {t} - {EPS} THEN TRUE WHEN {hi} < {t} - {EPS} THEN FALSE END)"
    m = f"m_{leaf.metric}"
    t = _num(leaf.threshold) if leaf.threshold is not None else "0"
    return {
        ">=": f"({m} >= {t} - {EPS})", "<=": f"({m} <= {t} + {EPS})",
        ">": f"({m} > {t} + {EPS})", "<": f"({m} < {t} - {EPS})",
        "is_true": f"({m} = 1)", "is_false": f"({m} = 0)",
    }[leaf.op]


def _and(parts: list[str]) -> str:
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _cond_sql(c: Condition) -> str:
    body = _and([_leaf_sql(x) for x in c.all])
    alts = [_and([_leaf_sql(x) for x in alt]) for alt in c.alternatives]
    cond = "(" + " OR ".join([body, *alts]) + ")" if alts else body
    if not c.when:
        return cond
    w = _and([_leaf_sql(x) for x in c.when])
    return f"(CASE WHEN {w} IS NULL THEN (CASE WHEN {cond} THEN TRUE END) WHEN {w} THEN {cond} ELSE TRUE END)"


def _bands_sql(metric: str, bands, otherwise: float) -> str:
    m = f"m_{metric}"
    parts = [f"CASE WHEN {m} IS NULL THEN NULL"]
    for b in bands:
        if b.min is not None:
            parts.append(f"WHEN {m} >= {_num(b.min)} - {EPS} THEN {_num(b.points)}")
        else:
            parts.append(f"WHEN {m} <= {_num(b.max)} + {EPS} THEN {_num(b.points)}")
    parts.append(f"ELSE {_num(otherwise)} END")
    return "(" + " ".join(parts) + ")"


def _cap(expr: str, cap: float) -> str:
    return f"(CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} > {_num(cap)} THEN {_num(cap)} ELSE {expr} END)"


def _provincial_sql(max_points: float) -> tuple[str, set[str]]:
    provs = load_provinces()
    metrics: set[str] = set()

    def one(p) -> str:
        items = []
        for it in p.items:
            if it.metric:
                metrics.add(it.metric)
                items.append(f"(CASE WHEN m_{it.metric} = 1 THEN {_num(it.points)} WHEN m_{it.metric} = 0 THEN 0.0 END)")
            else:
                like = " OR ".join(f"industry_code LIKE {literal(pre + '%')}" for pre in it.industry_prefixes)
                items.append(f"(CASE WHEN industry_code IS NULL THEN NULL WHEN {like} THEN {_num(it.points)} ELSE 0.0 END)")
        return _cap("(" + " + ".join(items) + ")", min(p.max_points, max_points))

    whens = [f"WHEN province_code = {literal(code)} THEN {one(p)}"
             for code, p in sorted(provs.items()) if code != "default"]
    return f"(CASE {' '.join(whens)} ELSE {one(provs['default'])} END)", metrics


def _points_parts(ind: Indicator) -> tuple[list[tuple[str, str]], str, set[str]]:
    """Points of an indicator in two steps (keeps expressions small for Spark's code generator):
    intermediate columns ``(name, sql)`` over the metrics, then the final SQL over those names."""
    q = f"q_{ind.id}"
    if ind.kind == "provincial":
        raw, metrics = _provincial_sql(ind.max_points)
        return [(q, raw)], _cap(q, ind.max_points), metrics
    if ind.kind == "count":
        m = ind.metrics[0]
        return [(q, f"(m_{m} * {_num(ind.per_item)})")], _cap(q, ind.max_points), {m}
    parts = [(f"{q}_{k}", _bands_sql(m, ind.bands[m], ind.otherwise)) for k, m in enumerate(ind.metrics)]
    names = [n for n, _ in parts]
    if len(names) == 1:
        return parts, names[0], set(ind.metrics)
    top = _num(ind.max_points)
    any_top = " OR ".join(f"{n} = {top}" for n in names)
    any_null = " OR ".join(f"{n} IS NULL" for n in names)
    greatest = names[0]
    for n in names[1:]:
        greatest = f"(CASE WHEN {greatest} >= {n} THEN {greatest} ELSE {n} END)"
    return parts, f"(CASE WHEN {any_top} THEN {top} WHEN {any_null} THEN NULL ELSE {greatest} END)", set(ind.metrics)


def _points_sql(ind: Indicator) -> tuple[str, set[str]]:
    """Metrics an indicator reads (and its SQL in one expression, for reference)."""
    parts, final, metrics = _points_parts(ind)
    for name, sql in parts:
        final = final.replace(name, sql)
    return final, metrics




@dataclass
class TierPlan:
    """What a tier query computes (kept to explain its result)."""

    tier: str
    rules: RuleSet
    conditions: list[Condition]
    indicators: list[Indicator]
    metrics: list[str]
    review: bool = False
    raw: list[str] = field(default_factory=list)  # raw inputs, bit i of ``nullmask`` = raw[i] is missing

    def is_missing(self, row: pd.Series, col: str) -> bool:
        """Whether raw input ``col`` is missing in a result row (from the ``nullmask`` bits)."""
        if col not in self.raw:
            return False
        m = _val(row.get("nullmask"))
        return bool(int(m or 0) >> self.raw.index(col) & 1)

    @property
    def blocks(self) -> list[str]:
        out: list[str] = []
        for i in self.indicators:
            if i.block not in out:
                out.append(i.block)
        return out


def tier_params(province: str | None) -> dict[str, str] | None:
    """The bound parameters of :func:`tier_sql` for ``province`` (None when it has none)."""
    return {"province": str(province)} if province else None


def plan_tier(rules: RuleSet, tier: str, review: bool = False) -> TierPlan:
    """The conditions, indicators and metrics a tier needs under ``rules``.

    Rule ids become column names of the query (``c_<id>``, ``p_<id>``, ``v_<id>``,
    ``score_min_<block>``), so each is checked to be a plain name (``InvalidInput``,
    code ``sql.bad_identifier``, otherwise)."""
    t = rules.tier(tier)
    conds = [c for c in t.conditions if c.enabled and (c.at_review or not review)]
    inds = rules.points_of(tier)
    for c in conds:
        check_ident(c.id, "condition id")
    for i in inds:
        check_ident(i.id, "indicator id")
        check_ident(i.block, "indicator block")
    for v in rules.vetoes:
        check_ident(v.id, "veto id")
    metrics: set[str] = set()
    for c in conds:
        for leaf in [*c.all, *c.when, *(x for alt in c.alternatives for x in alt)]:
            if not leaf.metric.startswith("score"):
                metrics.add(leaf.metric)
    for i in inds:
        metrics |= _points_sql(i)[1]
    raw: set[str] = {"industry_code"}
    for m in metrics:
        raw |= set(METRICS[m].inputs)
    return TierPlan(tier, rules, conds, inds, sorted(metrics), review, sorted(raw))


def tier_sql(plan: TierPlan, features: str, years: list[int], province: str | None = None,
             order: bool = True) -> str:
    """The one query screening every firm of ``features`` for ``years`` under ``plan``.

    ``order=False`` leaves out the final ``ORDER BY uscc, year`` (for materialising the
    result as a table, where row order has no meaning; fetch it with an ORDER BY).
    With a ``province`` the query holds the marker ``$province``: run it with the
    parameters :func:`tier_params` gives.
    """
    if len(plan.raw) > 62:
        raise ReforgeError("too many raw inputs for the missing-field bit mask (max 62)")
    mask = " + ".join(f"(CASE WHEN {c} IS NULL THEN {1 << i} ELSE 0 END)" for i, c in enumerate(plan.raw))
    mexpr = [f"CAST({mask} AS BIGINT) AS nullmask"]
    mexpr += [f"CAST({METRICS[m].sql} AS DOUBLE) AS m_{m}" for m in plan.metrics]
    where = f"year IN ({', '.join(str(int(y)) for y in years)})"
    if province:
        where += " AND province_code = $province"
    cr = []
    for v in plan.rules.vetoes:
        if v.mode == "active":
            cr.append(f"(cr_{v.credit_kind}_active = 1) AS v_{v.id}")
        else:
            cr.append(f"(COALESCE(cr_{v.credit_kind}_last, 0) > data_year - {int(v.years)}) AS v_{v.id}")
    f_cols = ["uscc", "year", "data_year", "province_code", "industry_code"]
    f = (f"SELECT {', '.join(f_cols)}, {', '.join(mexpr + cr) if mexpr + cr else '1 AS dummy'} "
         f"FROM {features} WHERE {where}")
    qexpr, pexpr = [], []
    for i in plan.indicators:
        parts, final, _m = _points_parts(i)
        qexpr += [f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in parts]
        pexpr.append(f"CAST({final} AS DOUBLE) AS p_{i.id}")
    q = f"SELECT f.*{', ' if qexpr else ''}{', '.join(qexpr)} FROM f"
    # the intermediate q_* columns stop here: later steps and the result carry only f's columns and p_*
    f_names = [*f_cols, "nullmask", *(f"m_{m}" for m in plan.metrics), *(f"v_{v.id}" for v in plan.rules.vetoes)]
    p = f"SELECT {', '.join(f'q.{n}' for n in f_names)}{', ' if pexpr else ''}{', '.join(pexpr)} FROM q"
    sexpr = []
    if plan.indicators:
        def sums(inds: list[Indicator], sfx: str) -> list[str]:
            lo = " + ".join(f"COALESCE(p_{i.id}, 0)" for i in inds)
            hi = " + ".join(f"COALESCE(p_{i.id}, {_num(i.max_points)})" for i in inds)
            return [f"({lo}) AS score_min{sfx}", f"({hi}) AS score_max{sfx}"]
        sexpr += sums(plan.indicators, "")
        for b in plan.blocks:
            sexpr += sums([i for i in plan.indicators if i.block == b], f"_{b}")
    else:
        sexpr = ["CAST(NULL AS DOUBLE) AS score_min", "CAST(NULL AS DOUBLE) AS score_max"]
    s = f"SELECT p.*, {', '.join(sexpr)} FROM p"
    cexpr = [f"{_cond_sql(c)} AS c_{c.id}" for c in plan.conditions]
    c = f"SELECT s.*, {', '.join(cexpr)} FROM s"
    vetoes = " OR ".join(f"v_{v.id}" for v in plan.rules.vetoes) or "FALSE"
    conds = " AND ".join(f"c_{x.id}" for x in plan.conditions) or "TRUE"
    outcome = (f"CASE WHEN {vetoes} THEN 'fail' WHEN NOT ({conds}) THEN 'fail' "
               f"WHEN ({conds}) THEN 'pass' ELSE 'insufficient_data' END AS outcome")
    return (f"WITH f AS ({f}), q AS ({q}), p AS ({p}), s AS ({s}), c AS ({c}) "
            f"SELECT c.*, {outcome} FROM c" + (" ORDER BY uscc, year" if order else ""))

