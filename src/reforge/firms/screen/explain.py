"""Screening, step 3: explain one result row as the per-firm JSON entry.

:func:`explain_row` turns a row of the tier query (see ``compile``) into the entry of the
JSON contract: outcome, score, points per block, reasons (English texts, with
``reason_codes`` - ``screen.reason.*`` codes and params - beside them), failed conditions
with value / threshold / gap, and the missing inputs. Pure Python on reduced rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reforge.firms.condition_names import condition_name
from reforge.firms.metrics import METRICS, input_label
from reforge.firms.rules_model import Condition, Leaf, load_provinces
from reforge.firms.screen.compile import TierPlan
from reforge.firms.screen.values import EPS, _fmt, _state, _val
from reforge.messages import Localized, Message, codes_of, has


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

