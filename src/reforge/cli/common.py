"""Options and output shared by every command group.

Every analysis command takes ``--engine duckdb|spark``, ``--db PATH`` (or
``REFORGE_DB``), ``--warehouse DIR`` (Spark) and ``--format table|json|csv``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported where used: `reforge --help` must not load pandas or DuckDB
    import pandas as pd

    from reforge.engine import Engine

console = Console()
err_console = Console(stderr=True)


class EngineKind(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


EngineOpt = Annotated[EngineKind, typer.Option("--engine", help="duckdb (default) or spark")]
DbOpt = Annotated[Path | None, typer.Option("--db", envvar="REFORGE_DB",
                                            help="DuckDB file (default ./.reforge/reforge.duckdb)")]
WarehouseOpt = Annotated[Path | None, typer.Option("--warehouse", help="Parquet warehouse for --engine spark "
                                                   "(default: exported next to --db)")]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="table, json or csv")]


@contextmanager
def engine_from(kind: EngineKind | str = "duckdb", db: Path | None = None,
                warehouse: Path | None = None, read_only: bool = True) -> Iterator[Engine]:
    """Open the engine named on the command line and close it afterwards."""
    from reforge.engine import open_engine
    e = open_engine(getattr(kind, "value", kind), db=db, warehouse=warehouse, read_only=read_only)
    try:
        yield e
    finally:
        e.close()


def _json_default(o: Any) -> Any:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, set):
        return sorted(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def clean_json(o: Any) -> Any:
    """Replace NaN/inf by None recursively so the output is valid JSON."""
    if isinstance(o, float):
        return None if (math.isnan(o) or math.isinf(o)) else o
    if isinstance(o, dict):
        return {str(k): clean_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean_json(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, (str, bytes)):
        try:
            return clean_json(o.item())
        except (ValueError, AttributeError):
            return o
    return o


def dumps(obj: Any) -> str:
    """JSON text of a result (NaN -> null, dates ISO)."""
    return json.dumps(clean_json(obj), ensure_ascii=False, default=_json_default, indent=2)


def print_frame(df: pd.DataFrame, fmt: Fmt | str, title: str | None = None, max_rows: int = 60) -> None:
    """Print a DataFrame as a rich table, JSON records or CSV (or collect it for ``--out FILE``)."""
    from reforge.cli.output import current, hint_if_long
    if (sink := current()) is not None:
        sink.add_frame(df, title)
        return
    f = getattr(fmt, "value", fmt)
    if f in ("json", "csv"):
        hint_if_long(len(df))
    if f == "json":
        sys.stdout.write(dumps(df.to_dict(orient="records")) + "\n")
    elif f == "csv":  # formula-like text cells neutralised for spreadsheets (reforge.report.export)
        from reforge.report.export import write_csv_frame
        write_csv_frame(df, sys.stdout)
    else:
        _print_table([str(c) for c in df.columns], df.head(max_rows).itertuples(index=False), len(df),
                     title, max_rows)


def print_rows(columns: list[str], rows: list[tuple], fmt: Fmt | str, title: str | None = None,
               max_rows: int = 60) -> None:
    """Print plain rows (tuples in ``columns`` order) like :func:`print_frame`, without pandas."""
    from reforge.cli.output import current, hint_if_long
    if (sink := current()) is not None:
        import pandas as pd
        sink.add_frame(pd.DataFrame(list(rows), columns=columns), title)
        return
    f = getattr(fmt, "value", fmt)
    if f in ("json", "csv"):
        hint_if_long(len(rows))
    if f == "json":
        sys.stdout.write(dumps([dict(zip(columns, r, strict=True)) for r in rows]) + "\n")
    elif f == "csv":
        from reforge.report.export import write_csv_rows
        write_csv_rows(columns, rows, sys.stdout)
    else:
        _print_table(columns, rows[:max_rows], len(rows), title, max_rows)


def _print_table(columns: list[str], rows: Any, n: int, title: str | None, max_rows: int) -> None:
    from rich.table import Table as RichTable
    t = RichTable(title=title, show_lines=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*[_cell(v) for v in row])
    console.print(t)
    if n > max_rows:
        console.print(f"… {n - max_rows} more rows (use --format csv or json for all)")


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, (list, tuple)):
        return "; ".join(map(str, v))
    return str(v)


def echo_summary(res: Any, fmt: Fmt | str, lang: str) -> None:
    """In table format, print a result's ``summary(lang)`` lines (the text above its table)."""
    if getattr(fmt, "value", fmt) == "table":
        for line in res.summary(lang):
            typer.echo(line)


def emit(obj: dict, fmt: Fmt | str, frame: pd.DataFrame | None = None, title: str | None = None) -> None:
    """Print a result: JSON is the whole object; table/csv print ``frame``. With ``--out FILE``
    the object (``.json``) or the frame (``.xlsx``/``.csv``) goes to the file instead."""
    from reforge.cli.output import current
    if (sink := current()) is not None:
        sink.add_object(obj, frame, title)
        return
    f = getattr(fmt, "value", fmt)
    if f == "json" or frame is None:
        sys.stdout.write(dumps(obj) + "\n")
    else:
        print_frame(frame, f, title=title)
