"""Shape a stored policy evaluation for the page: per outcome the estimate in its unit with the
95 % confidence interval and p-value, the firms the estimator used, the small-sample warning and
the event-study chart whose band is drawn only where it can be estimated. Pure functions.

Values are shown in the outcome's unit (``reforge.policy.sample``): fractions in percentage
points (x 100), log outcomes in log points (x 100), money in yuan (万/亿 in Chinese).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reforge.messages import numbers
from reforge.messages import render as render_message
from reforge.policy.sample import MIN_CELL_TREATED, MIN_TREATED, p_value
from reforge.web import charts

Z95 = 1.959964  # two-sided 95 % normal critical value (as the evaluation's ci_low / ci_high)
Tr = Callable[[str], str]


def show(v: float | None, unit: str, lang: str) -> str:
    """A value in ``unit`` for people (already scaled): money as 万/亿 in Chinese, grouped in
    English; other units with two decimals (three significant digits when small)."""
    if v is None:
        return render_message("common.na", {}, lang)
    if unit == "yuan":
        return numbers.big_number(v, lang)
    if v != 0 and abs(v) < 0.01:
        return f"{v:.2g}"
    return numbers.decimal(v, 2, lang)


def show_p(p: float | None, lang: str) -> str:
    """A p-value: three decimals, ``< 0.001`` below that."""
    if p is None:
        return render_message("common.na", {}, lang)
    return "< 0.001" if p < 0.001 else numbers.decimal(p, 3, lang)


def _outcome_blocks(run: dict) -> list[tuple[str, dict]]:
    res = run.get("result")
    blocks = res if isinstance(res, dict) else {}
    per = blocks.get("outcomes") if isinstance(blocks.get("outcomes"), dict) else None
    if per:
        return [(o, r) for o, r in per.items() if isinstance(r, dict)]
    return [((run.get("outcomes") or ["outcome"])[0], blocks)] if blocks else []


def outcome_view(outcome: str, r: dict, lang: str, tr: Tr) -> dict[str, Any]:
    """One outcome: ``att``/``ci_low``/``ci_high`` (scaled to the unit) with their texts, ``p``,
    ``unit``, ``counts`` (None when the result predates them), ``warn`` (few treated firms),
    ``thin`` (event times without a band) and ``chart``."""
    unit = r.get("unit") or {"code": "none", "scale": 1.0}
    scale = float(unit.get("scale") or 1.0)
    code = str(unit.get("code") or "none")
    simple = (r.get("aggregate") or {}).get("simple") or {}
    att, se = simple.get("att"), simple.get("se")
    lo = hi = None
    if att is not None and se is not None:
        lo, hi = (att - Z95 * se) * scale, (att + Z95 * se) * scale
    counts = r.get("counts") if isinstance(r.get("counts"), dict) else None
    treated_e = {x["e"]: x["treated"] for x in (counts or {}).get("by_e") or []}
    dyn = [x for x in ((r.get("aggregate") or {}).get("dynamic") or {}).get("by") or [] if isinstance(x, dict)]
    chart, thin = None, []
    if dyn:
        rel = [int(x["e"]) for x in dyn]
        est = [None if x.get("att") is None else x["att"] * scale for x in dyn]
        band_lo: list[float | None] = []
        band_hi: list[float | None] = []
        for x, a in zip(dyn, est, strict=True):
            s = x.get("se")
            n = treated_e.get(x["e"])
            if a is None or s is None or (n is not None and n < MIN_CELL_TREATED):
                band_lo.append(None)
                band_hi.append(None)
                thin.append(int(x["e"]))
            else:
                band_lo.append(a - Z95 * s * scale)
                band_hi.append(a + Z95 * s * scale)
        unit_name = tr(f"policy.unit.{code}") if code != "none" else ""
        chart = charts.event_study(tr("policy.page.event_study") + (f" ({unit_name})" if unit_name else ""), rel, est,
                                   band_lo, band_hi, tr("policy.page.relative_year"))
    return {"outcome": outcome, "att": None if att is None else att * scale, "se": se, "ci_low": lo, "ci_high": hi,
            "att_text": show(None if att is None else att * scale, code, lang), "ci_low_text": show(lo, code, lang),
            "ci_high_text": show(hi, code, lang), "p": p_value(att, se), "p_text": show_p(p_value(att, se), lang),
            "unit": code, "counts": counts, "n_units": r.get("n_units"), "pretest": r.get("pretest"),
            "warn": bool(counts and counts.get("few_treated")), "thin": thin, "chart": chart,
            "min_treated": (counts or {}).get("min_treated", MIN_TREATED),
            "min_cell": (counts or {}).get("min_cell_treated", MIN_CELL_TREATED)}


def policy_view(run: Any, lang: str, tr: Tr) -> dict | None:
    """A stored run (``reforge.policy.runs.load_run`` shape) for the result partial."""
    if not isinstance(run, dict):
        return None
    outs = [outcome_view(o, r, lang, tr) for o, r in _outcome_blocks(run)]
    return {"id": run.get("id"), "has_report": run.get("has_report"), "programme": run.get("programme"),
            "created_at": run.get("created_at"), "username": run.get("username"), "outcomes": outs}
