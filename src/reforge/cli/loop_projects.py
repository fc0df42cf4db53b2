"""`reforge loop projects`, `reforge loop board --item X` and `reforge loop outcome`: the tackling-project
portfolio, the board of one item and the projects' effect on their items, with ``--format
table|json|csv`` and ``--lang en|zh``."""

from __future__ import annotations

import sys
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
    dumps,
    engine_from,
)

LangOpt = Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG", help="message language: en or zh")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="date YYYY-MM-DD for overdue milestones and active "
                                                             "projects (default: today)")]
YearOpt = Annotated[int | None, typer.Option("--year", help="year of the chain labels (default: latest link year)")]


def _print(res: object, fmt: Fmt, lang: str | None) -> None:
    from reforge.messages import resolve_lang
    if fmt == Fmt.json:
        sys.stdout.write(dumps(res.to_dict()) + "\n")  # type: ignore[attr-defined]
    elif fmt == Fmt.csv:
        from reforge.report.export import write_csv_frame
        write_csv_frame(res.to_frame(), sys.stdout)  # type: ignore[attr-defined]
    else:
        console.print(res.summary(resolve_lang(lang)), markup=False, highlight=False)  # type: ignore[attr-defined]


def projects(as_of: AsOfOpt = None, year: YearOpt = None,
             chain: Annotated[str | None, typer.Option("--chain", help="only this chain's items and budget")] = None,
             engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
             fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Tackling-project portfolio: coverage of blank/chokepoint items, budget by chain, foundation and
    source, overdue milestones, leads with weakening credit or warnings."""
    from reforge.loop.projects import portfolio
    with engine_from(engine, db, warehouse) as e:
        res = portfolio(e, as_of, year, chain)
    _print(res, fmt, lang)


def board(item: Annotated[str, typer.Option("--item", help="item id, e.g. rv_reducer")],
          as_of: AsOfOpt = None, year: YearOpt = None,
          engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
          fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """One item from chokepoint to fix: why choked, who could make it, matching, consortium, projects,
    appraisals, adoption, label trend; each empty step says what is missing and what fills it."""
    from reforge.loop.board import board as run
    with engine_from(engine, db, warehouse) as e:
        res = run(e, item, as_of, year)
    _print(res, fmt, lang)




def outcome(outcome: Annotated[str, typer.Option("--outcome", help="items: domestic_share, tech_gap or "
                                                                "domestic_suppliers; firms: rd_intensity, "
                                                                "log_revenue or class1_ip")] = "domestic_share",
            unit: Annotated[str, typer.Option("--unit", help="item or firm")] = "item",
            lag: Annotated[int, typer.Option("--lag", help="years from a project's start to its first effect")] = 0,
            control: Annotated[str, typer.Option("--control", help="never or notyet")] = "never",
            engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
            fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Effect of tackling projects on their items or participating firms (staggered DiD), or why it
    cannot be estimated."""
    from reforge.loop.outcome import project_outcome
    if unit == "firm" and outcome == "domestic_share":
        outcome = "rd_intensity"
    with engine_from(engine, db, warehouse) as e:
        res = project_outcome(e, outcome, lag, control, unit)
    _print(res, fmt, lang)


def register(app: typer.Typer) -> None:
    """Add ``projects``, ``board`` and ``outcome`` to the ``loop`` group."""
    app.command("projects")(projects)
    app.command("board")(board)
    app.command("outcome")(outcome)
