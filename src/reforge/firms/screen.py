"""Screening: compile a tier of a rule set into one set-based SQL query over the feature table.

For every firm and screening year the query returns each metric used, points per
indicator, score bounds, every leaf and condition as TRUE / FALSE / NULL (NULL =
undecided because an input is missing), vetoes hit and the outcome:

* ``fail`` when a veto is hit or any condition is FALSE,
* ``pass`` when every condition is TRUE,
* ``insufficient_data`` otherwise (some condition undecided, none failed).

Scores are bounded: ``score_min`` counts missing indicators as 0, ``score_max`` as
their maximum, so ``score >= 60`` is TRUE, FALSE or undecided. Everything runs on
DuckDB and Spark alike (portable SQL only). Person-readable reasons are assembled in
Python from the (reduced) result frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.firms.condition_names import condition_name
from reforge.firms.metrics import METRICS, feature_sql, input_label
from reforge.firms.rules_model import (
    TIERS,
    Condition,
    Indicator,
    Leaf,
    RuleSet,
    load_provinces,
    load_rules,
    rules_for_year,
)
from reforge.messages import Localized, Message, codes_of, has

EPS = 1e-9
Only = Literal["pass", "fail", "near-miss", "insufficient_data"]


# ---------------------------------------------------------------- SQL compilation
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
                like = " OR ".join(f"industry_code LIKE '{pre}%'" for pre in it.industry_prefixes)
                items.append(f"(CASE WHEN industry_code IS NULL THEN NULL WHEN {like} THEN {_num(it.points)} ELSE 0.0 END)")
        return _cap("(" + " + ".join(items) + ")", min(p.max_points, max_points))

    whens = [f"WHEN province_code = '{code}' THEN {one(p)}" for code, p in sorted(provs.items()) if code != "default"]
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


def plan_tier(rules: RuleSet, tier: str, review: bool = False) -> TierPlan:
    """The conditions, indicators and metrics a tier needs under ``rules``."""
    t = rules.tier(tier)
    conds = [c for c in t.conditions if c.enabled and (c.at_review or not review)]
    inds = rules.points_of(tier)
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
    """
    if len(plan.raw) > 62:
        raise ReforgeError("too many raw inputs for the missing-field bit mask (max 62)")
    mask = " + ".join(f"(CASE WHEN {c} IS NULL THEN {1 << i} ELSE 0 END)" for i, c in enumerate(plan.raw))
    mexpr = [f"CAST({mask} AS BIGINT) AS nullmask"]
    mexpr += [f"CAST({METRICS[m].sql} AS DOUBLE) AS m_{m}" for m in plan.metrics]
    where = f"year IN ({', '.join(str(int(y)) for y in years)})"
    if province:
        where += f" AND province_code = '{province.replace(chr(39), '')}'"
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


# ---------------------------------------------------------------- running
def data_years(engine: Engine) -> list[int]:
    """Years present in ``enterprise_years`` (after checking its key columns and uniqueness)."""
    if not engine.table_exists("enterprise_years"):
        raise ReforgeError("table enterprise_years is missing; import the firm panel first")
    cols = set(engine.columns("enterprise_years"))
    if not {"uscc", "year"} <= cols:
        raise ReforgeError("enterprise_years needs columns uscc and year; it has " + ", ".join(sorted(cols)))
    dup = engine.fetch_df("SELECT uscc, year FROM enterprise_years GROUP BY uscc, year HAVING COUNT(*) > 1 "
                          "ORDER BY uscc, year LIMIT 3")
    if len(dup):
        ex = ", ".join(f"{u}/{int(y)}" for u, y in dup.itertuples(index=False))
        raise ReforgeError(f"enterprise_years has duplicate (uscc, year) rows, e.g. {ex}")
    df = engine.fetch_df("SELECT DISTINCT year FROM enterprise_years WHERE year IS NOT NULL ORDER BY year")
    return [int(y) for y in df["year"]]


def prepare_features(engine: Engine, years: list[int]) -> str:
    """Materialise the feature table for screening ``years``; return its (temporary) name."""
    name = engine.temp_name("firm_features")
    engine.materialize(name, feature_sql(engine, years))
    return name


def _check_year(engine: Engine, year: int) -> None:
    ys = data_years(engine)
    if not ys:
        raise ReforgeError("enterprise_years is empty; import the firm panel first")
    if int(year) - 1 not in ys:
        raise ReforgeError(f"no figures for {int(year) - 1} (screening year {year} uses the previous year's "
                           f"figures); the panel covers {ys[0]}-{ys[-1]}, so screen years {ys[0] + 1}-{ys[-1] + 1}")


def _resolve_rules(rules: str | RuleSet | None, years: list[int]) -> dict[str, tuple[RuleSet, list[int]]]:
    if isinstance(rules, RuleSet):
        return {rules.id: (rules, years)}
    if rules is not None:
        r = load_rules(str(rules))
        return {r.id: (r, years)}
    out: dict[str, tuple[RuleSet, list[int]]] = {}
    for y in years:
        r = rules_for_year(y)
        out.setdefault(r.id, (r, []))[1].append(y)
    return out


def screen_frame(engine: Engine, tier: str, years: list[int], rules: str | RuleSet | None = None,
                 province: str | None = None, features: str | None = None,
                 review: bool = False) -> tuple[pd.DataFrame, dict[str, TierPlan]]:
    """Run the tier query; return the wide result (one row per firm and year) and the plans used."""
    if tier not in TIERS:
        raise ReforgeError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
    own = features is None
    feats = features or prepare_features(engine, years)
    try:
        frames, plans = [], {}
        for rid, (rs, ys) in _resolve_rules(rules, years).items():
            plan = plan_tier(rs, tier, review=review)
            df = engine.fetch_arrow(tier_sql(plan, feats, ys, province)).to_pandas()
            df["rules"] = rid
            frames.append(df)
            plans[rid] = plan
    finally:
        if own:
            engine.drop(feats)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(years) == 1 and engine.table_exists("enterprises"):
        df = _add_firms_without_figures(engine, df, years[0], province)
    return df.sort_values(["uscc", "year"], kind="stable").reset_index(drop=True), plans


def _add_firms_without_figures(engine: Engine, df: pd.DataFrame, year: int, province: str | None) -> pd.DataFrame:
    """Enterprises with no figures for the data year: ``insufficient_data`` rows, so every firm is listed."""
    cols = set(engine.columns("enterprises"))
    prov = "province_code" if "province_code" in cols else "CAST(NULL AS VARCHAR)"
    where = f" AND {prov} = '{province.replace(chr(39), '')}'" if province else ""
    extra = engine.fetch_df(f"SELECT uscc, {prov} AS province_code FROM enterprises "
                            f"WHERE uscc NOT IN (SELECT uscc FROM enterprise_years WHERE year = {int(year) - 1} "
                            f"AND uscc IS NOT NULL){where} ORDER BY uscc")
    extra = extra[~extra["uscc"].isin(df["uscc"])]
    if extra.empty:
        return df
    rid = df["rules"].iloc[0] if len(df) else None
    if rid is None:
        return df
    add = extra.assign(year=int(year), data_year=int(year) - 1, outcome="insufficient_data", rules=rid,
                       no_figures=True)
    out = pd.concat([df.assign(no_figures=False), add], ignore_index=True)
    return out


# ---------------------------------------------------------------- explaining
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


def _leaf_value(row: pd.Series, leaf: Leaf) -> float | None:
    if leaf.metric.startswith("score"):
        blk = "" if leaf.metric == "score" else "_" + leaf.metric.split(".", 1)[1]
        return _val(row.get(f"score_min{blk}"))
    return _val(row.get(f"m_{leaf.metric}"))


def _leaf_state(row: pd.Series, leaf: Leaf) -> bool | None:
    if leaf.metric.startswith("score"):
        blk = "" if leaf.metric == "score" else "_" + leaf.metric.split(".", 1)[1]
        lo, hi = _val(row.get(f"score_min{blk}")), _val(row.get(f"score_max{blk}"))
        t = leaf.threshold or 0
        if lo is not None and lo >= t - EPS:
            return True
        if hi is not None and hi < t - EPS:
            return False
        return None
    v = _leaf_value(row, leaf)
    if v is None:
        return None
    t = leaf.threshold if leaf.threshold is not None else 0
    return {">=": v >= t - EPS, "<=": v <= t + EPS, ">": v > t + EPS, "<": v < t - EPS,
            "is_true": v == 1, "is_false": v == 0}[leaf.op]


def _gap(leaf: Leaf, v: float | None) -> float | None:
    if v is None or leaf.threshold is None:
        return None
    if leaf.op in (">=", ">"):
        return _val(float(leaf.threshold) - float(v))
    if leaf.op in ("<=", "<"):
        return _val(float(v) - float(leaf.threshold))
    return None


def _threshold(leaf: Leaf) -> Any:
    if leaf.op == "is_true":
        return True
    if leaf.op == "is_false":
        return False
    return _val(leaf.threshold)


def _missing_inputs(row: pd.Series, metrics: list[str], data_year: int, plan: TierPlan) -> list[str]:
    out: list[str] = []
    for m in metrics:
        if m.startswith("score") or _val(row.get(f"m_{m}")) is not None:
            continue
        for col in METRICS[m].inputs:
            if plan.is_missing(row, col):
                lab = input_label(col, data_year)
                if lab not in out:
                    out.append(lab)
    return out


def _metrics_of(c: Condition) -> list[str]:
    return [x.metric for x in [*c.when, *c.all, *(y for alt in c.alternatives for y in alt)]]


def _label(condition: str, label: str) -> Localized:
    """A condition's label from the rules (English) with its Chinese name."""
    return Localized({"en": label, "zh": condition_name(condition, "zh")})


def _tier_name(tier: str) -> Message | str:
    code = f"firms.tier.{tier}"
    return Message(code, text=tier) if has(code) and has(code, "zh") else tier


def explain_row(row: pd.Series, plan: TierPlan) -> dict[str, Any]:
    """One firm's entry of the JSON contract: outcome, score, points, reasons (English texts;
    ``reason_codes`` beside them: ``screen.reason.*`` codes + params), failed, missing."""
    dy = int(row["data_year"])
    if _val(row.get("no_figures")):
        return {"uscc": str(row["uscc"]), "outcome": "insufficient_data", "score": None, "points": {},
                "reasons": [str(r := Message("screen.reason.no_figures", {"year": dy},
                                             text=f"no figures for {dy} in enterprise_years"))],
                "failed": [], "missing": [f"enterprise_years ({dy})"], "reason_codes": codes_of([r])}
    failed: list[dict[str, Any]] = []
    reasons: list[Message] = []
    missing: list[str] = []
    for v in plan.rules.vetoes:
        if _state(row.get(f"v_{v.id}")):
            failed.append({"condition": f"veto.{v.id}", "value": "listed", "threshold": "not listed", "gap": None})
            reasons.append(Message("screen.reason.veto", {"veto": v.id, "label": _label(f"veto.{v.id}", v.label)},
                                   text=f"veto {v.id}: {v.label}"))
    for ind in plan.indicators:
        if _val(row.get(f"p_{ind.id}")) is None:
            ms = ind.metrics if ind.kind != "provincial" else _provincial_metrics()
            miss = _missing_inputs(row, ms, dy, plan)
            if ind.kind == "provincial" and plan.is_missing(row, "industry_code"):
                miss.append("industry_code")
            for m in miss:
                if m not in missing:
                    missing.append(m)
            reasons.append(Message("screen.reason.points_undecided", {"indicator": ind.id, "missing": miss},
                                   text=f"points for {ind.id} undecided: missing {', '.join(miss) or 'inputs'}"))
    unverified_used: list[str] = []
    for c in plan.conditions:
        st = _state(row.get(f"c_{c.id}"))
        tag = " [unverified criterion]" if c.unverified else ""
        mtag: Message | str = Message("screen.reason.unverified_tag", text=tag) if c.unverified else ""
        label = _label(c.id, c.label)
        if st is False:
            bad = [x for x in c.all if _leaf_state(row, x) is False] or c.all
            multi = len(c.all) > 1
            for leaf in bad:
                v = _leaf_value(row, leaf)
                name = c.id
                if multi:
                    name = leaf.metric if leaf.metric.split(".")[0] == c.id else f"{c.id}.{leaf.metric}"
                failed.append({"condition": name, "value": v,
                               "threshold": _threshold(leaf), "gap": _gap(leaf, v)})
                gap = _gap(leaf, v)
                if leaf.op in ("is_true", "is_false"):
                    shown = 'yes' if v == 1 else 'no' if v == 0 else _fmt(v)
                    reasons.append(Message("screen.reason.not_met", {
                        "condition": c.id, "label": label, "metric": leaf.metric,
                        "value": v == 1 if v in (0, 1) else Message("common.na", text=shown), "tag": mtag},
                        text=f"{c.id}: {c.label} — not met ({leaf.metric} = {shown}){tag}"))
                else:
                    text = (f"{c.id}: {c.label} — {leaf.metric} is {_fmt(v)}, needs {leaf.op} "
                            f"{_fmt(_threshold(leaf))}" + (f" (gap {_fmt(gap)})" if gap is not None else "") + tag)
                    reasons.append(Message("screen.reason.fails" if gap is None else "screen.reason.fails_gap", {
                        "condition": c.id, "label": label, "metric": leaf.metric, "value": _fmt(v),
                        "op": leaf.op, "threshold": _fmt(_threshold(leaf)), "gap": _fmt(gap), "tag": mtag},
                        text=text))
        elif st is None:
            miss = _missing_inputs(row, _metrics_of(c), dy, plan)
            if any(x.metric.startswith("score") for x in [*c.all, *c.when]):
                miss += [m for m in missing if m not in miss]
            for m in miss:
                if m not in missing:
                    missing.append(m)
            reasons.append(Message("screen.reason.undecided", {"condition": c.id, "label": label, "missing": miss,
                                                               "tag": mtag},
                                   text=f"{c.id}: undecided, missing {', '.join(miss) or 'inputs'}{tag}"))
        elif c.unverified:
            unverified_used.append(c.id)
        applies = all(_leaf_state(row, x) for x in c.when)
        if st is True and applies and c.alternatives and not all(_leaf_state(row, x) for x in c.all):
            reasons.append(Message("screen.reason.alternative", {"condition": c.id, "label": label},
                                   text=f"{c.id}: met by an alternative route ({c.label})"))
    outcome = str(row["outcome"])
    if outcome == "pass":
        reasons.insert(0, Message("screen.reason.pass", {
            "n": len(plan.conditions), "tier": _tier_name(plan.tier), "rules": plan.rules.id},
            text=f"meets all {len(plan.conditions)} conditions of {plan.tier} ({plan.rules.id} rules)"))
    if unverified_used:
        reasons.append(Message("screen.reason.unverified", {"conditions": unverified_used},
                               text="relies on unverified [C] criteria: " + ", ".join(unverified_used)))
    points: dict[str, dict[str, Any]] = {}
    for ind in plan.indicators:
        points.setdefault(ind.block, {})[ind.id] = _val(row.get(f"p_{ind.id}"))
    for b in points:
        points[b]["subtotal"] = _val(row.get(f"score_min_{b}"))
    return {"uscc": str(row["uscc"]), "outcome": outcome,
            "score": _val(row.get("score_min")) if plan.indicators else None,
            "points": points, "reasons": [str(r) for r in reasons], "failed": failed, "missing": missing,
            "reason_codes": codes_of(reasons)}


def _provincial_metrics() -> list[str]:
    out: list[str] = []
    for p in load_provinces().values():
        out += [it.metric for it in p.items if it.metric and it.metric not in out]
    return out


# ---------------------------------------------------------------- result object
@dataclass
class Screening:
    """Result of ``screen``: the wide frame plus the plans that explain it."""

    tier: str
    year: int | None
    frame: pd.DataFrame
    plans: dict[str, TierPlan]
    only: str | None = None
    _entries: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def rules(self) -> str:
        return ",".join(sorted(self.plans))

    def entries(self) -> list[dict[str, Any]]:
        """Per-firm JSON entries (computed once)."""
        if self._entries is None:
            out = []
            for row in self.frame.to_dict("records"):  # plain dicts: far cheaper than iterrows' Series
                e = explain_row(row, self.plans[row["rules"]])
                if self.year is None:
                    e = {"uscc": e["uscc"], "year": int(row["year"]), **{k: v for k, v in e.items() if k != "uscc"}}
                out.append(e)
            self._entries = out
        return self._entries

    def to_dict(self) -> dict[str, Any]:
        """``{"tier", "rules", "year", "firms": [...]}`` (the JSON contract of issue 4)."""
        return {"tier": self.tier, "rules": self.rules, "year": self.year, "firms": self.entries()}

    def to_frame(self) -> pd.DataFrame:
        """One row per firm (and year): outcome, score, points, failed conditions, missing fields."""
        cols = ["uscc", "year", "rules", "province_code", "outcome", "score_min"]
        df = self.frame[[c for c in cols if c in self.frame.columns]].rename(columns={"score_min": "score"})
        pcols = [c for c in self.frame.columns if c.startswith("p_")]
        for c in pcols:
            df[c[2:]] = self.frame[c]
        ents = self.entries()
        df["failed"] = ["; ".join(f["condition"] for f in e["failed"]) for e in ents]
        df["missing"] = ["; ".join(e["missing"]) for e in ents]
        df["reasons"] = ["; ".join(e["reasons"]) for e in ents]
        return df.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Firms per outcome."""
        return {str(k): int(v) for k, v in self.frame["outcome"].value_counts().sort_index().items()}


def _failed_conditions(frame: pd.DataFrame, plan: TierPlan) -> pd.Series:
    cols = [f"c_{c.id}" for c in plan.conditions]
    return sum((frame[c].astype("boolean") == False).fillna(False).astype(int) for c in cols)  # noqa: E712


def _veto_hit(frame: pd.DataFrame, plan: TierPlan) -> pd.Series:
    out = pd.Series(False, index=frame.index)
    for v in plan.rules.vetoes:
        out |= frame[f"v_{v.id}"].astype("boolean").fillna(False).astype(bool)
    return out


def _near_mask(frame: pd.DataFrame, plans: dict[str, TierPlan]) -> pd.Series:
    mask = pd.Series(False, index=frame.index)
    for rid, plan in plans.items():
        sub = frame["rules"] == rid
        nf = _failed_conditions(frame[sub], plan)
        vh = _veto_hit(frame[sub], plan)
        mask[sub] = (frame.loc[sub, "outcome"] == "fail") & (nf == 1) & ~vh
    return mask


def screen(engine: Engine, tier: str, year: int | None, rules: str | RuleSet | None = None,
           province: str | None = None, only: Only | None = None, features: str | None = None,
           review: bool = False) -> Screening:
    """Screen every firm for ``tier`` in screening ``year`` (None = every year of the panel).

    ``rules``: ``"2022"``, ``"2026"``, a YAML path or a ``RuleSet``; by default the
    rule set in force in the screening year. ``only`` keeps ``pass``, ``fail``,
    ``insufficient_data`` or ``near-miss`` (fails exactly one condition, no veto).
    """
    if only is not None and only not in ("pass", "fail", "near-miss", "insufficient_data"):
        raise ReforgeError(f"--only must be pass, fail, near-miss or insufficient_data, not {only!r}")
    if year is None:
        years = [y + 1 for y in data_years(engine)]
        if not years:
            raise ReforgeError("enterprise_years is empty; import the firm panel first")
    else:
        _check_year(engine, int(year))
        years = [int(year)]
    df, plans = screen_frame(engine, tier, years, rules, province, features, review)
    if only == "near-miss":
        df = df[_near_mask(df, plans)].reset_index(drop=True)
        s = Screening(tier, None if year is None else int(year), df, plans, only)
        rel = [max((_relative_gap(f) for f in e["failed"]), default=1.0) for e in s.entries()]
        order = sorted(range(len(rel)), key=lambda i: (rel[i], str(df["uscc"].iloc[i])))
        return Screening(tier, s.year, df.iloc[order].reset_index(drop=True), plans, only,
                         [s.entries()[i] for i in order])
    if only is not None:
        df = df[df["outcome"] == only].reset_index(drop=True)
    return Screening(tier, None if year is None else int(year), df, plans, only)


def _relative_gap(f: dict[str, Any]) -> float:
    """How far a failed condition is from its threshold, relative to it (1 for yes/no conditions)."""
    thr, gap = f["threshold"], f["gap"]
    if isinstance(gap, (int, float)) and isinstance(thr, (int, float)) and not isinstance(thr, bool) and thr:
        return abs(gap) / abs(thr)
    return 1.0


def near_misses(engine: Engine, tier: str, year: int, rules: str | RuleSet | None = None,
                province: str | None = None, features: str | None = None) -> pd.DataFrame:
    """Firms failing exactly one condition (no veto), closest first.

    Columns: uscc, year, condition, label, value, threshold, gap, relative_gap
    (gap / |threshold|; 1 for yes/no conditions), improve (what to change).
    """
    s = screen(engine, tier, year, rules, province, only="near-miss", features=features)
    rows = []
    for e, r in zip(s.entries(), s.frame.to_dict("records"), strict=True):
        plan = s.plans[r["rules"]]
        labels = {c.id: c.label for c in plan.conditions}
        worst = None
        for f in e["failed"]:
            rel = _relative_gap(f)
            if worst is None or rel > worst[1]:
                worst = (f, rel)
        if worst is None:
            continue
        f, rel = worst
        cid = f["condition"].split(".")[0]
        if isinstance(f["gap"], (int, float)):
            improve = f"change {f['condition']} by {_fmt(f['gap'])} to reach {_fmt(f['threshold'])}"
        else:
            improve = f"meet: {labels.get(cid, cid)}"
        rows.append({"uscc": e["uscc"], "year": int(r["year"]), "condition": f["condition"],
                     "label": labels.get(cid, cid), "value": f["value"], "threshold": f["threshold"],
                     "gap": f["gap"], "relative_gap": rel, "improve": improve})
    cols = ["uscc", "year", "condition", "label", "value", "threshold", "gap", "relative_gap", "improve"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["relative_gap", "uscc"], kind="stable").reset_index(drop=True)
