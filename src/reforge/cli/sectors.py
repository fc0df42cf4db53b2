"""`reforge sectors …` commands: input-output key-sector analysis."""

from __future__ import annotations

import sys
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
    dumps,
    emit,
    engine_from,
    print_frame,
)
from reforge.cli.progress import progress_bar
from reforge.engine import default_db_path
from reforge.errors import ReforgeError

app = typer.Typer(help="Input-output tables: multipliers, linkages, key sectors, extraction, imports.",
                  no_args_is_help=True)


class ForwardModel(StrEnum):
    ghosh = "ghosh"
    leontief = "leontief"


ForwardOpt = Annotated[ForwardModel, typer.Option("--forward", help="forward linkages from the Ghosh "
                                                  "(supply-side, default) or the Leontief inverse")]
_TABLE_COLS = ["code", "name", "class", "output_multiplier", "backward_linkage", "forward_linkage",
               "extraction_loss"]


def _write_db(db: Path | None):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = Path(db or default_db_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    e = DuckDBEngine(path)
    ensure_schema(e)
    return e


@app.command("analyze")
def analyze(file: Annotated[Path, typer.Argument(help="IO table CSV (Reforge layout, or a recognised "
                                                       "ONS/NBS/Eurostat file), or a directory holding one")],
            forward: ForwardOpt = ForwardModel.ghosh, fmt: FormatOpt = Fmt.table,
            all_columns: Annotated[bool, typer.Option("--all", help="table/csv: every computed column")] = False
            ) -> None:
    """Multipliers, Rasmussen–Hirschman linkages, key-sector classes and hypothetical extraction.

    JSON: {"sectors": [{code, output_multiplier, backward_linkage, forward_linkage, class,
    extraction_loss}], "n"}; extraction_loss is the share (0-1) of total output lost.
    """
    from reforge.sectors import analyze_table, read_table
    t = read_table(file)
    with progress_bar(f"analyze {t.table_id} ({t.n} sectors)", fmt == Fmt.table and t.n > 500) as tick:
        res = analyze_table(t, forward=forward.value, progress=tick)
    frame = res.to_frame() if all_columns else res.to_frame()[_TABLE_COLS]
    emit(res.to_dict(), fmt, frame, title=f"{t.title or t.table_id}: {t.n} sectors, forward={forward.value}")


@app.command("key")
def key(table: Annotated[str, typer.Option("--table", help="table id in io_tables")],
        forward: ForwardOpt = ForwardModel.ghosh, top: Annotated[int, typer.Option("--top", help="rows shown "
                                                                                    "in table format")] = 30,
        engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
        fmt: FormatOpt = Fmt.table) -> None:
    """Ranked key-sector table of a stored table (key → backward- → forward-oriented → weak)."""
    import pandas as pd

    from reforge.sectors import key_sectors
    with engine_from(engine, db, warehouse) as e:
        out = key_sectors(e, table, forward=forward.value)
    df = pd.DataFrame(out["sectors"])
    cols = ["rank", "code", "name", "class", "backward_linkage", "forward_linkage", "output_multiplier",
            "extraction_loss"] + [c for c in ("import_content", "product_import_share") if c in df.columns]
    f = fmt.value
    if f == "json":
        sys.stdout.write(dumps(out) + "\n")
    elif f == "csv":
        print_frame(df, f)
    else:
        counts = df["class"].value_counts().to_dict()
        print_frame(df[cols], f, title=f"{table}: {out['n']} sectors, " +
                    ", ".join(f"{k} {v}" for k, v in counts.items()), max_rows=top)


@app.command("load")
def load(file: Annotated[Path, typer.Argument(help="IO table file to store")],
         table_id: Annotated[str, typer.Option("--id", help="id to store it under")],
         db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Validate (balance checks) and store a table in io_tables / io_sectors, replacing the same id."""
    from reforge.sectors import check_balance, read_table, save_table
    t = read_table(file, table_id=table_id)
    gaps = check_balance(t)
    with _write_db(db) as e:
        out = save_table(e, t, table_id)
    out["max_relative_gap"] = gaps
    if fmt == Fmt.json:
        sys.stdout.write(dumps(out) + "\n")
    else:
        console.print(f"stored [bold]{table_id}[/bold]: {out['sectors']} sectors, {out['cells']} cells "
                      f"in {db or default_db_path()}")


@app.command("tables")
def tables(engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
           fmt: FormatOpt = Fmt.table) -> None:
    """Stored tables: id, number of sectors, number of stored cells."""
    import pandas as pd

    from reforge.sectors import list_tables
    with engine_from(engine, db, warehouse) as e:
        rows = list_tables(e)
    emit({"tables": rows}, fmt, pd.DataFrame(rows, columns=["table_id", "sectors", "cells"]))


@app.command("concordance")
def concordance(file: Annotated[Path | None, typer.Argument(help="concordance CSV (default: the shipped "
                                                                 "chain-item → cn2020nc file)")] = None,
                db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Validate a chain-item → IO-sector concordance and store it in item_sectors."""
    from reforge.sectors.concordance import read_concordance, save_concordance
    df = read_concordance(file)
    with _write_db(db) as e:
        n = save_concordance(e, df)
    out = {"rows": n, "items": int(df["item_id"].nunique()), "tables": sorted(df["table_id"].unique())}
    if fmt == Fmt.json:
        emit(out, fmt)
    else:
        console.print(f"stored {n} concordance rows for {out['items']} items ({', '.join(out['tables'])})")


@app.command("items")
def items(table: Annotated[str, typer.Option("--table", help="table id in io_tables")],
          chain: Annotated[str | None, typer.Option("--chain", help="only items of this chain")] = None,
          forward: ForwardOpt = ForwardModel.ghosh,
          engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """Chain items with their sectors' linkages, class and import dependence (via item_sectors)."""
    from reforge.sectors.concordance import item_linkages
    with engine_from(engine, db, warehouse) as e:
        df = item_linkages(e, table, chain_id=chain, forward=forward.value)
    if df.empty:
        raise ReforgeError(f"no items mapped to table {table!r} in item_sectors"
                           + (f" for chain {chain!r}" if chain else "") +
                           " (store a concordance with `reforge sectors concordance`)")
    emit({"table_id": table, "items": df.to_dict(orient="records")}, fmt, df)
