"""`reforge policy …` commands: staggered DiD on any file, programme evaluation on the database."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reforge.cli.common import (
    DbOpt,
    EngineKind,
    EngineOpt,
    Fmt,
    FormatOpt,
    WarehouseOpt,
    console,
    emit,
    engine_from,
)
from reforge.errors import ReforgeError

app = typer.Typer(help="Policy evaluation: staggered difference-in-differences (Callaway–Sant'Anna), "
                       "programme evaluation reports.", no_args_is_help=True)


class ControlOpt(StrEnum):
    never = "never"
    notyet = "notyet"


class BaseOpt(StrEnum):
    varying = "varying"
    universal = "universal"


class EstOpt(StrEnum):
    dr = "dr"
    ipw = "ipw"
    reg = "reg"


def _split(s: str | None) -> list[str]:
    return [c.strip() for c in s.split(",") if c.strip()] if s else []


def _print_did(d: dict, res) -> None:
    import pandas as pd
    f = res.to_frame()
    f["post"] = f["post"].map({True: "post", False: "pre"})
    emit(d, Fmt.table, f.drop(columns=[]), title=f"ATT(g,t) — {res.n} units, {res.n_obs} unit-periods")
    rows = []
    for kind in ("simple", "group", "calendar", "dynamic"):
        a = d["aggregate"][kind]
        rows.append({"aggregation": kind, "key": "overall", "att": a["att"], "se": a["se"]})
        for b in a.get("by", []):
            key = next(k for k in ("group", "time", "e") if k in b)
            rows.append({"aggregation": kind, "key": f"{key}={b[key]}", "att": b["att"], "se": b["se"]})
    emit(d, Fmt.table, pd.DataFrame(rows), title="aggregations")
    p = d["pretest"]
    if p:
        console.print(f"pre-trend Wald test: stat {p['stat']:.3f}, df {p['df']}, p = {p['p']:.4f}")
    else:
        console.print("pre-trend Wald test: not available")
    for n in res.notes:
        console.print(f"[yellow]note:[/yellow] {n}")


@app.command("did")
def did_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet panel, one row per unit and period")],
    unit: Annotated[str, typer.Option("--unit", help="unit id column")],
    time: Annotated[str, typer.Option("--time", help="period column (e.g. year)")],
    group: Annotated[str, typer.Option("--group", help="first treated period; 0/empty = never treated")],
    outcome: Annotated[str, typer.Option("--outcome", help="outcome column")],
    covariates: Annotated[str | None, typer.Option("--covariates", help="comma-separated covariates")] = None,
    control: Annotated[ControlOpt, typer.Option("--control", help="never or notyet")] = ControlOpt.never,
    base_period: Annotated[BaseOpt, typer.Option("--base-period", help="varying or universal")] = BaseOpt.varying,
    anticipation: Annotated[int, typer.Option("--anticipation", help="anticipation periods")] = 0,
    est_method: Annotated[EstOpt, typer.Option("--est-method", help="with covariates: dr, ipw or reg")] = EstOpt.dr,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="multiplier-bootstrap draws (0 = analytic SEs)")] = 0,
    seed: Annotated[int | None, typer.Option("--seed", help="bootstrap seed")] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", help="cluster SEs by this column")] = None,
    balance_e: Annotated[int | None, typer.Option("--balance-e", help="dynamic: balance cohorts over e")] = None,
    allow_unbalanced: Annotated[bool, typer.Option("--allow-unbalanced", help="keep units missing periods "
                                                   "(repeated cross-sections; no covariates)")] = False,
    engine: EngineOpt = EngineKind.duckdb,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Group-time ATTs, the four aggregations and the pre-trend test for any panel file."""
    from reforge.engine import DuckDBEngine
    from reforge.policy import att_gt
    from reforge.policy.source import register_file
    if bootstrap < 0:
        raise ReforgeError("--bootstrap must be >= 0")
    if engine == EngineKind.spark:
        from reforge.engine.spark_engine import SparkEngine
        e = SparkEngine(None)
    else:
        e = DuckDBEngine(":memory:")
    try:
        register_file(e, file, "policy_input")
        res = att_gt(e, "policy_input", unit=unit, time=time, group=group, outcome=outcome,
                     covariates=_split(covariates), control=control.value, base_period=base_period.value,
                     anticipation=anticipation, est_method=est_method.value, cluster=cluster,
                     bootstrap=bootstrap, seed=seed, allow_unbalanced=allow_unbalanced)
        d = res.to_dict(balance_e=balance_e)
    finally:
        e.close()
    if fmt == Fmt.table:
        _print_did(d, res)
    elif fmt == Fmt.csv:
        emit(d, fmt, res.to_frame())
    else:
        emit(d, fmt)


@app.command("evaluate")
def evaluate_cmd(
    programme: Annotated[str, typer.Option("--programme", help="designation kind (e.g. little_giant) or "
                                           "support_events programme")] = "little_giant",
    outcomes: Annotated[str, typer.Option("--outcomes", help="comma-separated: rd_intensity, revenue_growth, "
                                          "log_revenue, profit_margin, debt_ratio or an enterprise_years "
                                          "column")] = "rd_intensity,revenue_growth",
    by: Annotated[str | None, typer.Option("--by", help="subgroups: province, ownership, size_class, "
                                           "chain or an enterprises column")] = None,
    lag: Annotated[int, typer.Option("--lag", help="first affected year = designation year + LAG")] = 1,
    control: Annotated[ControlOpt, typer.Option("--control", help="never or notyet")] = ControlOpt.notyet,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="bootstrap draws for uniform bands")] = 999,
    seed: Annotated[int, typer.Option("--seed", help="bootstrap seed")] = 1,
    report: Annotated[Path | None, typer.Option("--report", help="write a self-contained HTML report")] = None,
    lang: Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG",
                                             help="report language: en or zh")] = None,
    engine: EngineOpt = EngineKind.duckdb,
    db: DbOpt = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Evaluate a support programme on the database (CS DiD, TWFE comparison, subgroups, report)."""
    import pandas as pd

    from reforge.cli.progress import progress_bar
    from reforge.policy.programme import evaluate
    with engine_from(engine, db, warehouse, read_only=True) as e, \
            progress_bar("policy evaluate", fmt == Fmt.table) as tick:
        d = evaluate(e, programme=programme, outcomes=_split(outcomes), by=by, report=report, lag=lag,
                     control=control.value, bootstrap=bootstrap, seed=seed, progress=tick,
                     report_lang=lang)
    if fmt != Fmt.table:
        emit(d, fmt, pd.DataFrame(d["summary"]))
        return
    console.print(f"[bold]{d['programme']}[/bold]: {d['n_treated']} treated firms, cohorts "
                  f"{', '.join(map(str, d['cohorts']))}")
    cols = ["outcome", "att", "se", "ci_low", "ci_high", "p_value", "n_treated_used", "n_control_used",
            "pretest_p", "twfe_static", "n_units"]
    summary = pd.DataFrame(d["summary"])
    emit(d, fmt, summary[[c for c in cols if c in summary]], title="overall effects (Callaway–Sant'Anna vs TWFE)")
    from reforge.messages import render
    from reforge.policy.sample import small_sample_note
    for o, block in d["outcomes"].items():  # the small-sample floors (see reforge.policy.sample)
        note = small_sample_note(block["counts"]) if block.get("counts") else None
        if note is not None:
            console.print(f"[yellow]{o}:[/yellow] {render(note.code, note.params, lang)}")
    if report:
        console.print(f"report written to {report}")
