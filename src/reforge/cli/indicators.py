"""`reforge indicators …` commands: macro indicators with year-on-year changes and charts."""

from __future__ import annotations

import sys
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
    dumps,
    engine_from,
    print_frame,
)
from reforge.engine import default_db_path
from reforge.errors import ReforgeError

app = typer.Typer(help="Macro indicators (manufacturing share of GDP, manufacturing investment growth).",
                  no_args_is_help=True)


@app.command("show")
def show(region: Annotated[str | None, typer.Option("--region", help="GB/T 2260 code, or CN")] = None,
         indicator: Annotated[str | None, typer.Option("--indicator", help="e.g. manufacturing_va_share_gdp")]
         = None,
         plot: Annotated[Path | None, typer.Option("--plot", help="write a chart (PNG/SVG/PDF) here")] = None,
         engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """Indicator values with the change on the previous year (value − previous) and relative change."""
    import pandas as pd

    from reforge.sectors import indicators, indicators_plot
    with engine_from(engine, db, warehouse) as e:
        recs = indicators(e, region, indicator)
    if not recs:
        raise ReforgeError("no indicators" + (f" for region {region!r}" if region else "")
                           + (f" named {indicator!r}" if indicator else "")
                           + " (load them with `reforge indicators seed` or `reforge demo`)")
    if plot is not None:
        indicators_plot(recs, plot, title=f"Indicators{' — ' + region if region else ''}")
    df = pd.DataFrame(recs)
    f = fmt.value
    if f == "json":
        sys.stdout.write(dumps({"indicators": recs, "plot": str(plot) if plot else None}) + "\n")
        return
    if f == "table":
        df = df[["region_code", "indicator", "year", "value", "change", "pct_change", "unit", "confidence"]]
    print_frame(df, f, max_rows=200)
    if plot is not None and f == "table":
        console.print(f"chart written to {plot}")


@app.command("seed")
def seed(db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Add China's national series (CRITERIA §5) where missing."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    from reforge.sectors import seed_national
    path = Path(db or default_db_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        n = seed_national(e)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({"added": n}) + "\n")
    else:
        console.print(f"added {n} national indicator rows to {path}")
