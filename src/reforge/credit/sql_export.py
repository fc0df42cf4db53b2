"""The fitted scorecard as SQL: one CASE expression per feature, summed to the score.

Written once in DuckDB's dialect from portable parts (CASE, IN, comparisons, EXP), so it
runs on DuckDB and (transpiled) on Spark. Split values are written as exact double
literals (``repr`` in scientific notation), so a value is binned exactly as numpy's
``searchsorted(splits, x, side="right")`` bins it: bin ``i`` holds ``s[i-1] <= x < s[i]``.
"""

from __future__ import annotations

from reforge.credit.grades import GradeScale
from reforge.credit.overlays import OverlaySet, overlay_hits_sql, overlay_sql
from reforge.engine.sqlbuild import check_ident, literal


def double_lit(v: float) -> str:
    """An exact double literal both DuckDB and Spark read as DOUBLE (e.g. ``0.75e0``)."""
    r = repr(float(v))
    if r in ("inf", "-inf", "nan"):
        raise ValueError(f"cannot write {r} as a SQL literal")
    return r if "e" in r else r + "e0"


def _ident(name: str) -> str:
    """A feature or key column name, checked to be plain (it also becomes part of ``pts_<name>``)."""
    return check_ident(name, "scorecard column")


def feature_points_sql(f: dict, alias: str = "") -> str:
    """CASE expression giving the integer points of one feature."""
    col = (alias + "." if alias else "") + _ident(f["name"])
    parts = [f"WHEN {col} IS NULL THEN {int(f['points_missing'])}"]
    if f["dtype"] == "numerical":
        for s, p in zip(f["splits"], f["points"][:-1], strict=True):
            parts.append(f"WHEN {col} < {double_lit(s)} THEN {int(p)}")
        parts.append(f"ELSE {int(f['points'][-1])}")
    else:
        for cats, p in zip(f["categories"], f["points"], strict=True):
            parts.append(f"WHEN CAST({col} AS VARCHAR) IN ({', '.join(literal(str(c)) for c in cats)}) "
                         f"THEN {int(p)}")
        parts.append(f"ELSE {int(f['points_other'])}")
    return "CASE " + " ".join(parts) + " END"


def feature_bin_sql(f: dict, alias: str = "") -> str:
    """CASE expression giving the bin index (n = missing, n+1 = unseen category)."""
    col = (alias + "." if alias else "") + _ident(f["name"])
    n = len(f["points"])
    parts = [f"WHEN {col} IS NULL THEN {n}"]
    if f["dtype"] == "numerical":
        for i, s in enumerate(f["splits"]):
            parts.append(f"WHEN {col} < {double_lit(s)} THEN {i}")
        parts.append(f"ELSE {n - 1}")
    else:
        for i, cats in enumerate(f["categories"]):
            parts.append(f"WHEN CAST({col} AS VARCHAR) IN ({', '.join(literal(str(c)) for c in cats)}) THEN {i}")
        parts.append(f"ELSE {n + 1}")
    return "CASE " + " ".join(parts) + " END"


def grade_rank_sql(cutoffs: list[int], score_expr: str) -> str:
    """CASE expression: grade rank 1 (best) .. len(cutoffs)+1 from the integer score."""
    parts = [f"WHEN {score_expr} >= {int(c)} THEN {i + 1}" for i, c in enumerate(cutoffs)]
    return "CASE " + " ".join(parts) + f" ELSE {len(cutoffs) + 1} END"


def score_sql(spec: dict, source: str, keys: list[str], where: str | None = None,
              overlays: OverlaySet | None = None, scale: GradeScale | None = None,
              with_bins: bool = False) -> str:
    """SELECT keys, pts_<feature>..., score, pd, grade_rank[, final_rank, ov_<rule>...].

    ``source``: a table or view holding the feature columns. With ``overlays`` and
    ``scale``, ``final_rank`` applies the overlay rules to the statistical grade rank.
    """
    fs = spec["features"]
    key_sql = ", ".join(f"s.{_ident(k)}" for k in keys)
    pts = [f"{feature_points_sql(f, 's')} AS pts_{f['name']}" for f in fs]
    bins = [f"{feature_bin_sql(f, 's')} AS bin_{f['name']}" for f in fs] if with_bins else []
    extra_over = []
    if overlays is not None:
        extra_over = sorted({r.when.feature for r in overlays.rules} - {k for k in keys})
    inner_cols = ", ".join([key_sql] + pts + bins + [f"s.{_ident(c)}" for c in extra_over])
    score_expr = f"({int(spec['base_points'])} + " + " + ".join(f"pts_{f['name']}" for f in fs) + ")"
    a, b = spec["calibration"]["a"], spec["calibration"]["b"]
    cut = spec["grades"]["score_cutoffs"]
    mid = (f"SELECT t.*, CAST({score_expr} AS BIGINT) AS score FROM "
           f"(SELECT {inner_cols} FROM {source} s" + (f" WHERE {where}" if where else "") + ") t")
    pd_expr = f"1.0e0 / (1.0e0 + EXP(-({double_lit(a)} + {double_lit(b)} * CAST(score AS DOUBLE))))"
    cols = [_ident(k) for k in keys] + [f"pts_{f['name']}" for f in fs] + \
        [f"bin_{f['name']}" for f in fs if with_bins] + \
        ["score", f"{pd_expr} AS pd", f"{grade_rank_sql(cut, 'score')} AS grade_rank"]
    if overlays is not None and scale is not None:
        cols.append(f"{overlay_sql(overlays, scale, grade_rank_sql(cut, 'score'))} AS final_rank")
        cols += [f"{expr} AS {name}" for name, expr in overlay_hits_sql(overlays)]
    order = ", ".join(_ident(k) for k in keys)
    return f"SELECT {', '.join(cols)} FROM ({mid}) u ORDER BY {order}"
