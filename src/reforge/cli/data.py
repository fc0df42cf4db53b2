"""Top-level data commands: status, sql, import, export, demo."""

from __future__ import annotations

import sys
import time
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
    err_console,
    print_frame,
    print_rows,
)
from reforge.cli.progress import progress_bar
from reforge.engine import default_db_path
from reforge.errors import ReforgeError


def status(db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Schema version and row counts per table."""
    from reforge.schema import schema_version
    from reforge.schema.tables import TABLES
    path = db or default_db_path()
    if not Path(path).exists():
        raise ReforgeError(f"database {path} does not exist; build it with `reforge demo` or `reforge import`")
    with engine_from("duckdb", path) as e:
        counts = {t.name: (e.count(t.name) if e.table_exists(t.name) else None) for t in TABLES}
        out = {"db": str(path), "schema_version": schema_version(e), "tables": counts}
    if fmt == Fmt.json:
        sys.stdout.write(dumps(out) + "\n")
        return
    rows = list(counts.items())  # plain rows: no pandas for a status line
    if fmt == Fmt.csv:
        print_rows(["table", "rows"], rows, fmt)
        return
    console.print(f"database [bold]{path}[/bold], schema version {out['schema_version']}")
    print_rows(["table", "rows"], rows, fmt, max_rows=100)


def sql(query: Annotated[str, typer.Argument(help="a SELECT in DuckDB's dialect")],
        engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
        fmt: FormatOpt = Fmt.table) -> None:
    """Run an ad-hoc query (transpiled for Spark with --engine spark)."""
    with engine_from(engine, db, warehouse) as e:
        df = e.fetch_df(query)
    print_frame(df, fmt)


def import_(table: Annotated[str, typer.Argument(help="target table, e.g. enterprises")],
            files: Annotated[list[Path], typer.Argument(help="CSV, Parquet or XLSX files")],
            mode: Annotated[str, typer.Option("--mode", help="append | upsert | replace")] = "append",
            cascade: Annotated[bool, typer.Option(
                "--cascade", help="with --mode replace: delete rows of other tables that would point at "
                                  "nothing (optional references are set to NULL)")] = False,
            db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Validate every row, then write all rows in one transaction (or nothing). Exit code 2 on any problem.

    Errors give the data row (1 = first row after the header) and, for CSV/XLSX, the sheet row
    (what a spreadsheet shows; header = row 1)."""
    from reforge.engine import DuckDBEngine
    from reforge.ingest import import_files
    path = db or default_db_path()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with DuckDBEngine(path) as e, progress_bar(f"import {table}", fmt != Fmt.json) as tick:
        res = import_files(e, table, files, mode=mode, progress=tick, cascade=cascade)
    if fmt == Fmt.json:
        sys.stdout.write(dumps(res.to_dict()) + "\n")
    elif res.ok:
        console.print(f"[green]{res.summary()}[/green] into {path}")
        for k, v in res.removed.items():
            console.print(f"  {k}: {v:,} rows removed")
        for k, v in res.nulled.items():
            console.print(f"  {k}: {v:,} references set to NULL (cascade)")
    else:
        import pandas as pd
        err_console.print(f"[red]{res.summary()}[/red] (showing the first {min(50, res.error_count)})")
        cols = ["file", "row", "sheet_row", "column", "value", "reason"]
        print_frame(pd.DataFrame(res.errors, columns=cols), Fmt.table if fmt == Fmt.table else fmt, max_rows=50)
    if not res.ok:
        raise typer.Exit(2)


def export(to: Annotated[str, typer.Option("--to", help="format: parquet")],
           out_dir: Annotated[Path, typer.Argument(help="warehouse directory to write")],
           db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Write every table as OUT_DIR/<table>.parquet (a warehouse for --engine spark)."""
    if to != "parquet":
        raise ReforgeError(f"unsupported export format {to!r}; use parquet")
    from reforge.engine.export import export_parquet
    with engine_from("duckdb", db) as e:
        counts = export_parquet(e, out_dir)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({"warehouse": str(out_dir), "tables": counts}) + "\n")
    else:
        console.print(f"wrote {len(counts)} tables to {out_dir}")


def demo(firms: Annotated[int, typer.Option("--firms", help="number of enterprises")] = 20000,
         seed: Annotated[int, typer.Option("--seed", help="random seed")] = 7,
         db: DbOpt = None,
         files: Annotated[Path | None, typer.Option("--files", help="keep the generated files here")] = None,
         realism: Annotated[bool, typer.Option("--realism/--exact",
                                               help="noisy shares, late capability years and designations, "
                                                    "name typos (planted labels no longer exact)")] = False,
         to_parquet: Annotated[Path | None, typer.Option(
             "--to-parquet", help="write a Parquet warehouse (for --engine spark) into this new folder "
                                  "instead of a database, shard by shard in bounded memory")] = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """Generate the demo province and load it through the importer (above 200,000 firms: generated
    in shards and bulk-loaded), or write it as a Parquet warehouse (--to-parquet)."""
    if to_parquet is not None:
        from reforge.demo.national import write_warehouse
        t0 = time.perf_counter()
        with progress_bar("demo", fmt != Fmt.json) as tick:
            counts = write_warehouse(firms, seed, to_parquet, realism=realism, progress=tick)
        secs = time.perf_counter() - t0
        if fmt == Fmt.json:
            sys.stdout.write(dumps({"warehouse": str(to_parquet), "seconds": round(secs, 2), "tables": counts}) + "\n")
        else:
            console.print(f"[green]demo warehouse written[/green] in {secs:.1f} s: {to_parquet} "
                          f"({counts.get('enterprises', 0):,} enterprises, {len(counts)} tables)")
        return
    from reforge.demo.load import build_demo
    path = db or default_db_path()
    with progress_bar("demo", fmt != Fmt.json) as tick:
        res, secs = build_demo(path, n_firms=firms, seed=seed, files_dir=files, progress=tick, realism=realism)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({"db": str(path), "seconds": round(secs, 2), **res.to_dict()}) + "\n")
    elif res.ok:
        console.print(f"[green]demo province built[/green] in {secs:.1f} s: {path} "
                      f"({res.rows_written.get('enterprises', 0):,} enterprises)")
    else:
        import pandas as pd
        err_console.print(f"[red]{res.summary()}[/red]")
        print_frame(pd.DataFrame(res.errors), Fmt.table, max_rows=50)
    if not res.ok:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the data commands to the root app."""
    app.command("status")(status)
    app.command("sql")(sql)
    app.command("import")(import_)
    app.command("export")(export)
    app.command("demo")(demo)
