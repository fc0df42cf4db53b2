"""`reforge chain …` commands: bottlenecks, simulate, spof, generic, map, list, Willems data."""

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
    dumps,
    emit,
    engine_from,
    err_console,
    print_frame,
)

app = typer.Typer(help="Industrial chains: blank/weak/choked items, disruption, single points of failure.",
                  no_args_is_help=True)

ChainOpt = Annotated[str, typer.Option("--chain", help="chain id (see `reforge chain list`)")]
YearOpt = Annotated[int | None, typer.Option("--year", help="year of supply_links (default: latest)")]
LossOpt = Annotated[float, typer.Option("--loss-threshold",
                                        help="a buyer is disrupted when the lost share of an item's "
                                             "purchases is greater than this")]

TABLE_COLS = ["item_id", "label", "priority", "downstream_reach", "domestic_producers", "domestic_share",
              "import_dependence", "top_country", "top_country_share", "tech_gap", "missing"]


def _explain(th) -> str:
    from reforge.chain.thresholds import defaults_text
    lines = ["Item labels (first that applies wins; reasons list every rule that holds):",
             "  missing    - no producer at all (no capability, no supply link) in the data",
             "  blank      - no domestic producer (enterprise) with a capability or a supply link",
             f"  chokepoint - import dependence >= {th.chokepoint_import_dependence}, top foreign country "
             f">= {th.chokepoint_top_country_share} of imports, downstream reach >= "
             f"{th.chokepoint_downstream_reach}",
             f"  weak       - domestic producers, and domestic share < {th.weak_domestic_share} or "
             f"technology gap >= {th.weak_tech_gap:g} levels",
             "  insufficient_data - none of the above, but an input is unknown (no technology level",
             "               for the year, or no purchases), so sound cannot be shown",
             "  sound      - none of the above",
             "Shares are of purchase value (CNY) in supply_links of the year; reach is the share of the",
             "chain's end-product value reachable downstream through chain_links.",
             "", "Effective thresholds:"]
    lines += [f"  {k} = {v}" for k, v in th.model_dump().items()]
    lines += ["", "Defaults file (reforge/chain/thresholds.yaml):", defaults_text()]
    return "\n".join(lines)


@app.command("list")
def list_cmd(engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
             fmt: FormatOpt = Fmt.table) -> None:
    """The chains with their item, link and end-product counts."""
    import pandas as pd

    from reforge.chain import list_chains
    with engine_from(engine, db, warehouse) as e:
        rows = list_chains(e)
    emit({"chains": rows}, fmt, pd.DataFrame(rows), title="chains")


@app.command("bottlenecks")
def bottlenecks_cmd(
    chain: Annotated[str | None, typer.Option("--chain", help="chain id (see `reforge chain list`)")] = None,
    year: YearOpt = None,
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help="override KEY=VALUE "
                                                        "(repeatable; see --explain)")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="print labels, thresholds and the "
                                          "priority formula")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="write chain map + priority bars "
                                              "(.png/.svg/.pdf)")] = None,
    matching: Annotated[bool, typer.Option("--matching", help="add each item's supply-demand matching "
                                           "degree and the gaps matching cannot close (reforge match)")] = False,
    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
    lang: Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG",
                                             help="language of the reasons in table/csv output: en or zh "
                                                  "(JSON keeps English `reasons` plus `reason_codes`)")] = None,
) -> None:
    """Metrics, label (blank/missing/chokepoint/weak/insufficient_data/sound), reasons and priority
    of every item. With --matching the JSON gains ``matching`` (``reforge.match.gaps.chain_gaps``:
    per item demand value, matchable value, degree, ``gap``; ``gaps`` lowest first) and the table
    a ``matching_degree`` column."""
    from reforge.chain import bottlenecks
    from reforge.chain.thresholds import load_thresholds, parse_overrides
    from reforge.errors import ReforgeError
    th = load_thresholds(parse_overrides(threshold))
    if explain:
        import sys
        (sys.stderr if chain and fmt != Fmt.table else sys.stdout).write(_explain(th) + "\n")
        if not chain:
            return
    if not chain:
        raise ReforgeError("give --chain ID (see `reforge chain list`) or --explain")
    gaps = None
    with engine_from(engine, db, warehouse) as e:
        b = bottlenecks(e, chain, th, year)
        if matching:
            from reforge.match.gaps import chain_gaps
            gaps = chain_gaps(e, chain)
    if plot is not None:
        b.plot(plot)
        err_console.print(f"wrote {plot}")
    df = b.to_frame(lang)
    out = b.to_dict()
    cols = [c for c in TABLE_COLS if c in df.columns]
    if gaps is not None:
        out["matching"] = gaps
        degree = {r["item_id"]: r["degree"] for r in gaps["items"]}
        df["matching_degree"] = [degree.get(i) for i in df["item_id"]]
        cols.append("matching_degree")
    emit(out, fmt, df[cols] if fmt == Fmt.table else df, title=f"{chain}: items by priority (year {b.year})")


@app.command("simulate")
def simulate_cmd(
    remove_country: Annotated[str | None, typer.Option("--remove-country", help="ISO-2 country")] = None,
    remove_firm: Annotated[str | None, typer.Option("--remove-firm", help="USCC or foreign supplier id")] = None,
    remove_region: Annotated[str | None, typer.Option("--remove-region", help="GB/T 2260 code")] = None,
    remove_item: Annotated[str | None, typer.Option("--remove-item", help="item id")] = None,
    loss_threshold: LossOpt = 0.5, year: YearOpt = None,
    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Remove suppliers and propagate the disruption to a fixed point."""
    import pandas as pd

    from reforge.chain import simulate
    with engine_from(engine, db, warehouse) as e:
        r = simulate(e, remove_country=remove_country, remove_firm=remove_firm, remove_region=remove_region,
                     remove_item=remove_item, loss_threshold=loss_threshold, year=year)
    if fmt == Fmt.json:
        emit(r.to_dict(), fmt)
        return
    if fmt == Fmt.table:
        console.print(f"removed {len(r.removed)} supplier(s); disrupted {r.disrupted_firms_count} firm(s) "
                      f"in {r.rounds} round(s); lost supply value {r.lost_value:,.0f} CNY (year {r.year})")
        if r.by_chain:
            print_frame(pd.DataFrame(r.by_chain), fmt, title="by chain")
    print_frame(r.to_frame(), fmt, title="by item")


@app.command("spof")
def spof_cmd(
    chain: Annotated[str | None, typer.Option("--chain", help="only firms supplying this chain's items")] = None,
    top: Annotated[int | None, typer.Option("--top", help="keep the first N")] = 50,
    loss_threshold: LossOpt = 0.5, year: YearOpt = None,
    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Single points of failure: firms ranked by what their removal alone disrupts."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from reforge.chain import single_points_of_failure
    with engine_from(engine, db, warehouse) as e, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=err_console, transient=True) as prog:
        task = prog.add_task("single points of failure: finding candidates", total=None)

        def on_round(k: int, n_new: int) -> None:
            prog.update(task, description=f"single points of failure: round {k}, {n_new:,} new disruptions")

        s = single_points_of_failure(e, chain_id=chain, year=year, loss_threshold=loss_threshold, top=top,
                                     on_round=on_round)
    if fmt == Fmt.table:
        console.print(f"{s.firms_checked} firm(s) checked, {s.candidates} with a critical link, "
                      f"{s.rounds} round(s)")
    emit(s.to_dict(), fmt, s.to_frame(), title="single points of failure")


@app.command("generic")
def generic_cmd(
    min_chains: Annotated[int, typer.Option("--min-chains", help="used by at least this many chains")] = 2,
    year: YearOpt = None,
    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Generic technologies: items many chains need, weighted by reach and weakness."""
    from reforge.chain import generic_technologies
    with engine_from(engine, db, warehouse) as e:
        g = generic_technologies(e, min_chains=min_chains, year=year)
    emit(g.to_dict(), fmt, g.to_frame(), title="generic technologies")


@app.command("map")
def map_cmd(
    chain: ChainOpt,
    plot: Annotated[Path | None, typer.Option("--plot", help="write the picture (.png/.svg/.pdf)")] = None,
    year: YearOpt = None,
    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
    fmt: FormatOpt = Fmt.json,
) -> None:
    """The chain map as nodes and edges (what the dashboard draws)."""
    import pandas as pd

    from reforge.chain import bottlenecks
    from reforge.chain.mapdata import map_from_bottlenecks
    with engine_from(engine, db, warehouse) as e:
        b = bottlenecks(e, chain, None, year)
    if plot is not None:
        b.plot(plot)
        err_console.print(f"wrote {plot}")
    m = map_from_bottlenecks(b)
    emit(m, fmt, pd.DataFrame(m["nodes"]), title=f"{chain}: nodes")


@app.command("import-willems")
def import_willems_cmd(
    directory: Annotated[Path, typer.Argument(help="folder with chain_01.csv ... chain_38.csv")],
    db: DbOpt = None,
) -> None:
    """Import the Willems (2008) chains as chain templates willems_01 … willems_38."""
    from reforge.chain.willems import import_willems
    from reforge.engine import DuckDBEngine, default_db_path
    path = Path(db or default_db_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    with DuckDBEngine(path) as e:
        n = import_willems(e, directory)
    console.print(f"imported into {path}: " + ", ".join(f"{k} {v}" for k, v in n.items()))


@app.command("willems")
def willems_cmd(
    directory: Annotated[Path, typer.Argument(help="folder with chain_01.csv ... chain_38.csv")],
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Single points of failure of every Willems (2008) chain (assembly and redundant readings)."""
    from rich.progress import Progress

    from reforge.chain.willems import read_dir, spof_summary
    from reforge.engine import DuckDBEngine
    chains = read_dir(directory)
    with DuckDBEngine(":memory:") as e, Progress(console=err_console, transient=True) as prog:
        task = prog.add_task("single points of failure", total=len(chains))
        df = spof_summary(e, chains, progress=lambda: prog.advance(task))
    if fmt == Fmt.json:
        print(dumps({"chains": df.to_dict(orient="records")}))
    else:
        print_frame(df, fmt, title="Willems (2008): single points of failure")
