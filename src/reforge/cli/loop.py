"""`reforge loop …` commands: chain leaders with their ecosystems, and the label history of a chain."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

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

if TYPE_CHECKING:
    from reforge.engine import Engine

app = typer.Typer(help="Closing the loop: chain leaders and their ecosystems, label history, tackling projects, "
                       "the board.", no_args_is_help=True)

LangOpt = Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG", help="message language: en or zh")]
ChainOpt = Annotated[str, typer.Option("--chain", help="chain id (reforge chain list)")]


def _pct(v: object) -> str:
    return "" if v is None else f"{float(v):.1%}"  # type: ignore[arg-type]


@contextmanager
def _opened(engine: EngineKind, db: DbOpt, warehouse: WarehouseOpt, writable: bool = False) -> Iterator[Engine]:
    """The engine named on the command line, read-only; with ``writable`` opened for writing, or
    read-only when that fails (the DuckDB file is locked by a running server)."""
    if not writable:
        with engine_from(engine, db, warehouse) as e:
            yield e
        return
    from reforge.engine.base import EngineError
    try:
        ctx = engine_from(engine, db, warehouse, read_only=False)
        e = ctx.__enter__()
    except EngineError:  # locked by a server: compute without storing
        ctx = engine_from(engine, db, warehouse)
        e = ctx.__enter__()
    try:
        yield e
    finally:
        ctx.__exit__(None, None, None)


def _written(res: Any, fmt: Fmt) -> bool:
    """Write ``res`` to stdout for ``--format json`` / ``csv`` and say so (False for a table)."""
    if fmt == Fmt.json:
        sys.stdout.write(dumps(res.to_dict()) + "\n")
        return True
    if fmt == Fmt.csv:
        from reforge.report.export import write_csv_frame
        write_csv_frame(res.to_frame(), sys.stdout)
        return True
    return False


def _chain_title(res: Any, lg: str) -> str:
    """The chain's name in the language ``lg`` (its id when it has none)."""
    return (res.chain.get("name_zh") if lg == "zh" else res.chain.get("name")) or res.chain_id


@app.command("leaders")
def leaders(chain: ChainOpt,
            year: Annotated[int | None, typer.Option("--year", help="link year (default: the latest well-covered)")]
            = None,
            top: Annotated[int | None, typer.Option("--top", min=1, max=100,
                                                    help="leaders with an ecosystem (default: leaders.yaml)")] = None,
            engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
            fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Downstream firms whose purchases organise the chain (链主), ranked by a score with its parts
    explained, and the core-part ecosystem of the top ones per year."""
    from reforge.loop import chain_leaders
    from reforge.messages import render, resolve_lang
    with _opened(engine, db, warehouse) as e:
        res = chain_leaders(e, chain, year, {"top": top} if top else None)
    if _written(res, fmt):
        return
    lg = resolve_lang(lang)
    from rich.table import Table as RichTable
    t = RichTable(title=render("loop.page.heading", {"chain": _chain_title(res, lg), "year": str(res.year)}, lg))
    for k in ("rank", "firm", "score", "output_share", "purchase_share", "domestic_suppliers", "tree"):
        t.add_column(render(f"loop.page.{k}", {}, lg), overflow="fold")
    for r in res.leaders[:20]:
        firm = (r.get("name") if lg == "zh" else (r.get("name_en") or r.get("name"))) or r["uscc"]
        t.add_row(str(r["rank"]), f"{firm} ({r['uscc']})", f"{r['score']:.1f}", _pct(r["output_share"]),
                  _pct(r["purchase_share"]), str(r["domestic_suppliers"]), f"{r['tree_depth']} / {r['tree_size']}")
    console.print(t)
    for r in res.leaders[:res.rules.top]:
        firm = (r.get("name") if lg == "zh" else (r.get("name_en") or r.get("name"))) or r["uscc"]
        lines = [f"{r['rank']}. {firm}"] + [f"   {m.render(lg)}" for m in r["reasons"]]
        for y in res.ecosystem_of(r["uscc"]):
            des = ", ".join(f"{k} {v}" for k, v in y["designated"].items())
            lines.append(f"   {y['year']}: {render('loop.page.localisation', {}, lg)} {_pct(y['localisation'])}; "
                         f"{render('loop.page.designated', {}, lg)} {des}; "
                         f"{render('loop.page.single_source', {}, lg)} {len(y['single_source'])}")
        console.print("\n".join(lines), markup=False, highlight=False)
    for n in res.notes:
        console.print(n.render(lg), markup=False, highlight=False)


@app.command("history")
def history(chain: ChainOpt,
            since: Annotated[int | None, typer.Option("--since", help="year compared with the last one "
                                                                     "(default: the year before the last)")] = None,
            store: Annotated[bool, typer.Option("--store/--no-store", help="keep computed years in the table "
                                                                          "label_history (DuckDB opened for writing; "
                                                                          "read-only when the file is locked)")]
            = True,
            engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
            fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Label of every item of the chain for every year with supply links, transitions, and the items
    resolved and newly choked since a year. Stored years are reused while their inputs are unchanged."""
    from reforge.loop import label_history
    from reforge.messages import render, resolve_lang
    with _opened(engine, db, warehouse, writable=store and engine == EngineKind.duckdb) as e:
        res = label_history(e, chain, since=since, store=store)
    if _written(res, fmt):
        return
    lg = resolve_lang(lang)
    from rich.table import Table as RichTable
    t = RichTable(title=render("loop.page.history_title", {"chain": _chain_title(res, lg)}, lg))
    t.add_column(render("loop.page.item", {}, lg), overflow="fold")
    for y in res.years:
        t.add_column(str(y))
    labels = res.labels()
    for it in res.items.itertuples(index=False):
        nm = (it.name_zh if lg == "zh" else it.name) or it.item_id
        t.add_row(f"{nm} ({it.item_id})", *[render(f"loop.label.{labels.get(it.item_id, {}).get(y, 'missing')}", {}, lg)
                                            if y in labels.get(it.item_id, {}) else "" for y in res.years])
    console.print(t)

    def item_name(d: dict) -> str:
        return str((d.get("name_zh") if lg == "zh" else d.get("name")) or d["item_id"])

    lines = [render("loop.page.transitions", {}, lg) + ":"]
    for tr in res.transitions:
        lines.append("  " + render("loop.page.transition", {
            "item": item_name(tr), "a": render(f"loop.label.{tr['from_label']}", {}, lg), "ya": str(tr["from_year"]),
            "b": render(f"loop.label.{tr['to_label']}", {}, lg), "yb": str(tr["to_year"])}, lg)
            + f" [{render('loop.direction.' + tr['direction'], {}, lg)}]")
    if res.since is not None:
        none = render("loop.page.none_listed", {}, lg)
        lines.append(render("loop.page.resolved", {"year": str(res.since)}, lg) + ": "
                     + (", ".join(item_name(r) for r in res.resolved) or none))
        lines.append(render("loop.page.newly_choked", {"year": str(res.since)}, lg) + ": "
                     + (", ".join(item_name(r) for r in res.newly_choked) or none))
    console.print("\n".join(lines), markup=False, highlight=False)


from reforge.cli.loop_projects import register  # noqa: E402 - tackling projects, the board, outcomes

register(app)
