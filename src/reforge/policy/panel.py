"""Prepare a staggered-adoption panel on the engine (set-based, no pandas round trip).

Input: any table with one row per unit and period. Output: a *wide* unit table
materialised on the engine, one row per unit with its cohort, its cluster label,
the outcome of every period (``y0 … y{T-1}``) and the covariates of every period
(``x{j}_{p}``). Cohort conventions follow the R ``did`` package: cohort 0 or
missing = never treated; cohorts after the last period (+ anticipation) are
recoded as never treated; units already treated in the first period are
dropped; the panel is balanced (units missing any period are dropped) unless
``balance=False`` (unbalanced panels are then estimated as repeated cross-sections).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reforge.engine import Engine
from reforge.engine.sqlbuild import column_ref
from reforge.errors import ReforgeError
from reforge.messages import Message

# a column of the user's panel, checked against the table's columns before use, quoted for DuckDB
# SQL (sqlglot turns it into backticks for Spark)
q = column_ref


@dataclass
class Panel:
    """A prepared panel: the wide table's name plus what the estimator needs to know.

    ``tlist``: sorted periods; ``glist``: sorted treated cohorts that get ATT(g,t);
    ``n``: number of units kept; ``n_obs``: unit-periods kept; ``k``: covariates;
    ``cohort_size``: units per cohort value (0 = never treated);
    ``time_varying_x``: whether any covariate changes within a unit.
    """

    wide: str
    tlist: list[float]
    glist: list[float]
    n: int
    n_obs: int
    k: int
    covariates: list[str]
    cohort_size: dict[float, int]
    has_cluster: bool
    time_varying_x: bool
    balanced: bool = True
    dropped_units: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def T(self) -> int:  # noqa: N802 - textbook symbol
        return len(self.tlist)


def _num(v: float) -> str:
    """A numeric SQL literal that round-trips exactly."""
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def prepare_panel(engine: Engine, table: str, *, unit: str, time: str, group: str, outcome: str,
                  covariates: list[str] | None = None, cluster: str | None = None,
                  anticipation: int = 0, control: str = "never", balance: bool = True,
                  scratch: list[str] | None = None) -> Panel:
    """Clean, recode and balance the panel on the engine and pivot it to one row per unit.

    ``scratch`` collects the names of the intermediate tables (the caller drops them).
    Raises ``ReforgeError`` for missing columns, duplicate (unit, time) rows,
    cohorts that vary within a unit or panels without usable cohorts.
    """
    covariates = list(covariates or [])
    scratch = scratch if scratch is not None else []
    if not engine.table_exists(table):
        raise ReforgeError(f"table {table!r} not found")
    cols = engine.columns(table)
    for role, c in [("unit", unit), ("time", time), ("group", group), ("outcome", outcome),
                    *[("covariate", c) for c in covariates], *([("cluster", cluster)] if cluster else [])]:
        if c not in cols:
            raise ReforgeError(f"{role} column {c!r} not in {table} (columns: {', '.join(cols)})")
    if anticipation < 0:
        raise ReforgeError("anticipation must be >= 0")
    if control not in ("never", "notyet"):
        raise ReforgeError("control must be 'never' or 'notyet'")

    xs = [f"CAST({q(c)} AS DOUBLE) AS x{j + 1}" for j, c in enumerate(covariates)]
    cl = f"CAST({q(cluster)} AS VARCHAR)" if cluster else "CAST(NULL AS VARCHAR)"
    notnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in [unit, time, outcome, *covariates,
                                                              *([cluster] if cluster else [])])
    # Spark keeps pandas NaN as NaN (DuckDB turns it into NULL): drop both
    notnull += "".join(f" AND NOT ISNAN(CAST({q(c)} AS DOUBLE))" for c in [outcome, *covariates])
    n_in = int(engine.fetch_scalar(f"SELECT COUNT(*) FROM {table}"))
    if n_in == 0:
        raise ReforgeError(f"table {table} is empty")
    raw = (f"(SELECT {q(unit)} AS u, CAST({q(time)} AS DOUBLE) AS t, CAST({q(outcome)} AS DOUBLE) AS y, "
           f"CAST(COALESCE({q(group)}, 0) AS DOUBLE) AS g0, {cl} AS cl{''.join(', ' + x for x in xs)} "
           f"FROM {table} WHERE {notnull})")
    # one scan: periods, rows, never-treated presence
    per_t = engine.fetch_numpy(f"SELECT t, COUNT(*) AS n, SUM(CASE WHEN g0 = 0 THEN 1 ELSE 0 END) AS nev, "
                            f"MAX(g0) AS gmax FROM {raw} R GROUP BY t ORDER BY t")
    if len(per_t["t"]) == 0:
        raise ReforgeError("no rows left after dropping rows with missing values")
    n_rows = int(per_t["n"].sum())
    tmin, tmax = float(per_t["t"].min()), float(per_t["t"].max())
    a = float(anticipation)
    notes: list[str] = []
    if n_rows < n_in:
        notes.append(Message("policy.note.dropped_missing", {"n": n_in - n_rows},
                             f"dropped {n_in - n_rows} rows with missing values"))
    gmax = float(per_t["gmax"].max())
    has_never = int(per_t["nev"].sum()) > 0 or gmax > tmax + a
    tl = [float(t) for t in per_t["t"]]
    latest_g = None
    recode = f"CASE WHEN g0 > {_num(tmax + a)} THEN 0 ELSE g0 END"
    where = ""
    if not has_never:
        latest_g = gmax
        cut = latest_g - a
        where = f"WHERE t < {_num(cut)}"
        tl = [t for t in tl if t < cut]
        if control == "never":
            recode = f"CASE WHEN g0 = {_num(latest_g)} THEN 0 ELSE g0 END"
            notes.append(Message("policy.note.no_never_treated_used", {"cohort": f"{latest_g:g}", "cut": f"{cut:g}"},
                                 f"no never-treated units: cohort {latest_g:g} is used as never treated and "
                                 f"periods from {cut:g} on are dropped"))
        else:
            notes.append(Message("policy.note.no_never_treated_comparison", {"cohort": f"{latest_g:g}", "cut": f"{cut:g}"},
                                 f"no never-treated units: cohort {latest_g:g} serves only as a comparison and "
                                 f"periods from {cut:g} on are dropped"))
    T = len(tl)
    if T < 2:
        raise ReforgeError("need at least two periods")

    # one heavy pass: pivot every unit to one row, with the diagnostics needed for the checks
    k = len(covariates)
    ycols = ", ".join(f"MAX(y) FILTER (WHERE t = {_num(tv)}) AS y{p}" for p, tv in enumerate(tl))
    # covariates: their minimum and range per unit; per-period values only if some covariate varies
    xcols = "".join(f", MIN(x{j + 1}) AS x{j + 1}_0" for j in range(k))
    tv_x = "".join(f", MAX(x{j + 1}) - MIN(x{j + 1}) AS dx{j + 1}" for j in range(k))
    # distinct periods per unit, after the pivot: a period is present iff its outcome column is not NULL
    nt = " + ".join(f"CASE WHEN y{p} IS NULL THEN 0 ELSE 1 END" for p in range(len(tl)))
    clagg = "MIN(cl) AS clmin, MAX(cl) AS clmax," if cluster else "CAST(NULL AS VARCHAR) AS clmin, " \
        "CAST(NULL AS VARCHAR) AS clmax,"
    allu = engine.temp_name("did_units")
    scratch.append(allu)
    engine.materialize(allu, f"""
        SELECT u, MIN(g0) AS gmin, MAX(g0) AS gmax, {clagg} COUNT(*) AS n, {ycols}{xcols}{tv_x}
        FROM {raw} R {where} GROUP BY u""")
    chk = {k: (0.0 if np.isnan(v[0]) else float(v[0])) for k, v in engine.fetch_numpy(f"""
        SELECT SUM(CASE WHEN n <> {nt} THEN 1 ELSE 0 END) AS dup,
               SUM(CASE WHEN gmin <> gmax THEN 1 ELSE 0 END) AS bad_g,
               SUM(CASE WHEN clmin <> clmax THEN 1 ELSE 0 END) AS bad_c,
               SUM(CASE WHEN gmin > 0 AND gmin <= {_num(tmin + a)} THEN 1 ELSE 0 END) AS first_treated,
               SUM(CASE WHEN NOT (gmin > 0 AND gmin <= {_num(tmin + a)}) THEN 1 ELSE 0 END) AS n_units
        FROM {allu}""").items()}
    if int(chk["dup"]):
        raise ReforgeError(f"duplicate ({unit}, {time}) pairs in {int(chk['dup'])} units: the panel needs "
                           "one row per unit and period")
    if int(chk["bad_g"]):
        raise ReforgeError(f"{int(chk['bad_g'])} units have a {group!r} that changes over time; "
                           "the cohort must be constant")
    if cluster and int(chk["bad_c"]):
        raise ReforgeError(f"cluster column {cluster!r} varies within {int(chk['bad_c'])} units; "
                           "it must be constant")
    first_treated = int(chk["first_treated"])
    if first_treated:
        notes.append(Message("policy.note.dropped_first_treated", {"n": first_treated},
                             f"dropped {first_treated} units already treated in the first period"))
    n_units_all = int(chk["n_units"])

    kept = f"NOT (gmin > 0 AND gmin <= {_num(tmin + a)})" + (f" AND n = {T}" if balance else "")
    time_varying = False
    if k:
        tvd = engine.fetch_numpy(f"SELECT {', '.join(f'MAX(dx{j + 1}) AS m{j}' for j in range(k))} "
                                    f"FROM {allu} WHERE {kept}")
        time_varying = bool(np.nanmax(np.array([float(v[0]) for v in tvd.values()])) > 0)
    src_u = allu
    if time_varying:   # second pass: covariates of every period (used at each cell's earlier period)
        xper = ", ".join(f"MAX(x{j + 1}) FILTER (WHERE t = {_num(tv)}) AS x{j + 1}_{p}"
                         for j in range(k) for p, tv in enumerate(tl))
        ycopy = ", ".join(["A.u", "A.gmin", "A.n", "A.clmin"] + [f"A.y{p}" for p in range(T)])
        src_u = (f"(SELECT {ycopy}, X.* FROM {allu} A JOIN (SELECT u AS xu, {xper} FROM {raw} R {where} "
                 f"GROUP BY u) X ON A.u = X.xu)")
    xp = range(T) if time_varying else [0]

    # balanced panel of units not treated in the first period, cohorts recoded
    ysel = "".join(f", y{p}" for p in range(T))
    xsel = "".join(f", x{j + 1}_{p}" for j in range(k) for p in xp)
    wide = engine.temp_name("did_wide")
    scratch.append(wide)
    engine.materialize(wide, f"""
        SELECT u, {recode.replace('g0', 'gmin')} AS g, clmin AS cl{ysel}{xsel}
        FROM {src_u} S WHERE {kept}""")
    sizes = engine.fetch_numpy(f"SELECT g, COUNT(*) AS n FROM {wide} GROUP BY g ORDER BY g")
    n = int(sizes["n"].sum()) if len(sizes["n"]) else 0
    if n == 0:
        raise ReforgeError("no unit is observed in every period; cannot build a balanced panel")
    dropped = n_units_all - n
    n_obs = n * T
    balanced = True
    if not balance:
        n_obs = int(engine.fetch_scalar(f"SELECT SUM(n) FROM {allu} WHERE NOT (gmin > 0 AND gmin <= {_num(tmin + a)})"))
        balanced = n_obs == n * T
    if dropped:
        notes.append(Message("policy.note.dropped_unbalanced", {"n": dropped},
                             f"dropped {dropped} units not observed in every period (balanced panel)"))
    cohort_size = {float(g): int(m) for g, m in zip(sizes["g"], sizes["n"], strict=True)}
    glist = sorted(g for g in cohort_size if g > 0 and g > tl[0] + a)
    if latest_g is not None and control == "notyet":
        glist = [g for g in glist if g < latest_g]
    if 0.0 not in cohort_size and control == "never":
        raise ReforgeError("no never-treated units left; use control='notyet'")
    if not glist:
        raise ReforgeError(f"no treated cohorts: {group!r} should give the period a unit is first "
                           "treated (0 or empty = never treated)")
    return Panel(wide=wide, tlist=[float(x) for x in tl], glist=[float(g) for g in glist], n=n, n_obs=n_obs,
                 k=k, covariates=covariates, cohort_size=cohort_size, has_cluster=bool(cluster),
                 time_varying_x=time_varying, dropped_units=dropped, notes=notes, balanced=balanced)
