"""`reforge credit …` commands: train, score, report, validate, models."""

from __future__ import annotations

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

app = typer.Typer(help="Enterprise credit evaluation: scorecard, grades AAA-C, reasons, validation.",
                  no_args_is_help=True)


@app.command("train")
def train_cmd(
    target: Annotated[str, typer.Option("--target", help="outcome: default_next_year")] = "default_next_year",
    year: Annotated[int | None, typer.Option("--year", help="out-of-time year (features of YEAR, defaults in "
                                             "YEAR+1); development uses earlier years. Default: the last "
                                             "year with observed next-year outcomes")] = None,
    db: DbOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Fit the scorecard on the database and store it in credit_models (opens the DB read-write)."""
    import pandas as pd

    from reforge.cli.progress import progress_bar
    from reforge.credit import train
    with engine_from("duckdb", db, None, read_only=False) as e, \
            progress_bar("credit train", fmt == Fmt.table) as tick:
        r = train(e, year=year, target=target, progress=tick)
    d = r.to_dict()
    if fmt == Fmt.table:
        console.print(f"stored model [bold]{r.model_id}[/bold]; development years "
                      f"{d['train_years'][0]}-{d['train_years'][1]}, out-of-time year {r.year}")
        rows = [{"sample": k, **v} for k, v in r.metrics.items()]
        emit(d, fmt, pd.DataFrame(rows), title="discrimination")
        emit(d, fmt, r.grades, title="grades (out-of-time sample, after overlays)")
        console.print("observed default rate monotone AAA→C: "
                      + ("yes" if d["grades_monotone"] else "[red]no[/red]"))
    else:
        emit(d, fmt, pd.DataFrame([{"sample": k, **v} for k, v in r.metrics.items()]))


@app.command("score")
def score_cmd(
    uscc: Annotated[list[str] | None, typer.Option("--uscc", help="score only this firm (repeatable)")] = None,
    year: Annotated[int | None, typer.Option("--year", help="feature year (default: latest)")] = None,
    model_id: Annotated[str | None, typer.Option("--model", help="model id (default: newest stored)")] = None,
    top: Annotated[int, typer.Option("--reasons", help="reason codes per firm")] = 3,
    engine: EngineOpt = EngineKind.duckdb,
    db: DbOpt = None,
    warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Score firms on the engine: score, PD, grade (after overlays), reasons, overlays."""
    from reforge.credit import score
    from reforge.credit.store import load_model
    if top < 0:
        raise ReforgeError("--reasons must be >= 0")
    with engine_from(engine, db, warehouse, read_only=True) as e:
        spec = load_model(e, model_id)
        r = score(e, year=year, uscc=uscc, model=spec, top_reasons=top)
    frame = r.frame.drop(columns=["statistical_grade"]) if fmt != Fmt.csv else r.frame
    emit(r.to_dict(), fmt, frame, title=f"credit scores {r.year}")


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("credit-report.html"),
    model_id: Annotated[str | None, typer.Option("--model", help="model id (default: newest stored)")] = None,
    db: DbOpt = None,
) -> None:
    """Validation and monitoring report of the stored model (HTML)."""
    from reforge.credit.report import credit_report
    from reforge.credit.store import load_model
    with engine_from("duckdb", db, None, read_only=True) as e:
        p = credit_report(e, out, load_model(e, model_id))
    console.print(f"wrote {p}")


@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet table, one row per case")],
    target: Annotated[str, typer.Option("--target", help="outcome column")],
    bad_value: Annotated[str, typer.Option("--bad-value", help="value of the outcome that means bad")],
    folds: Annotated[int, typer.Option("--folds", help="cross-validation folds")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="fold shuffling seed")] = 0,
    report: Annotated[Path | None, typer.Option("--report", help="also write an HTML report here")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Cross-validate the scorecard pipeline on any table: {"auc", "ks", "gini", "n", "bad_rate"}."""
    import pandas as pd

    from reforge.credit import validate_file
    if folds < 2:
        raise ReforgeError("--folds must be at least 2")
    if report is None:
        m = validate_file(file, target, bad_value, folds=folds, seed=seed)
    else:
        from reforge.credit.report import cv_report
        from reforge.credit.validate import read_table, target_vector
        df = read_table(file)
        y = target_vector(df, target, bad_value)
        try:
            rep, m = cv_report(df.drop(columns=[target]), y, folds=folds, seed=seed,
                               title=f"Scorecard cross-validation: {file.name}")
        except ValueError as e:
            raise ReforgeError(str(e)) from None
        rep.write(report)
        if fmt == Fmt.table:
            console.print(f"wrote {report}")
    emit(m, fmt, pd.DataFrame([m]), title=f"{folds}-fold cross-validation of {file.name}")


@app.command("models")
def models_cmd(db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """List stored credit models (newest first)."""
    from reforge.credit.store import list_models
    with engine_from("duckdb", db, None, read_only=True) as e:
        df = list_models(e)
    emit({"models": df.to_dict(orient="records")}, fmt, df, title="credit models")
