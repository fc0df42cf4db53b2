"""`reforge match …` commands: supply-demand matching and the text ranker."""

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
    dumps,
    echo_summary,
    emit,
    engine_from,
)
from reforge.errors import InvalidInput

app = typer.Typer(help="Supply-demand matching: ranked domestic suppliers per demand, matching degree, "
                       "text ranking.", no_args_is_help=True)

LangOpt = Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG", help="message language: en or zh")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="date YYYY-MM-DD deciding active credit records "
                                             "and designations (default today)")]
ModeOpt = Annotated[str, typer.Option("--mode", help="text tokens: words (jieba), ngrams (character bigrams) "
                                      "or both")]
MinScoreOpt = Annotated[float, typer.Option("--min-score", help="lowest score (0-1) that counts a demand as matched")]


@app.command("demands")
def demands(demand: Annotated[list[str] | None, typer.Option("--demand", help="demand_id (repeatable; "
                                                              "default: all demands)")] = None,
            top: Annotated[int, typer.Option("--top", help="candidates shown per demand (table/csv)")] = 5,
            as_of: AsOfOpt = None, mode: ModeOpt = "both", min_score: MinScoreOpt = 0.0,
            engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
            fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Ranked domestic suppliers of each demand, with score parts; excluded candidates with reasons.

    JSON: {"as_of", "mode", "weights", "demands": [{demand_id, buyer, item_id, kind, value, matched,
    status {code, params, text}, candidates [{producer_id, rank, score, parts, ...}], excluded [...]}]}.
    """
    from reforge.match import match_demands
    from reforge.messages import resolve_lang
    if top < 1:
        raise InvalidInput("--top must be at least 1", code="match.bad_top", params={"top": top})
    lg = resolve_lang(lang)
    with engine_from(engine, db, warehouse) as e:
        res = match_demands(e, demand, as_of, mode, min_score=min_score)  # type: ignore[arg-type]
    frame = res.to_frame()
    frame = frame[frame["rank"].isna() | (frame["rank"] <= top)].copy()
    frame["reasons"] = [" / ".join(m.render(lg) for m in r) for r in res.candidates.loc[frame.index, "reasons"]]
    frame["fit"] = [m.render(lg) for m in res.candidates.loc[frame.index, "fit"]]
    cols = ["demand_id", "rank", "producer_id", "producer_name", "score", "text", "item_fit", "fit", "level",
            "capacity", "tech_level", "spare_capacity", "reasons"]
    echo_summary(res, fmt, lg)
    emit(res.to_dict(), fmt, frame[cols], title=None)


@app.command("degree")
def degree(as_of: AsOfOpt = None, mode: ModeOpt = "both", min_score: MinScoreOpt = 0.0,
           engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
           fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Matching degree per chain and item: demand value (CNY), the value with a qualified domestic
    supplier, and their share.

    JSON: {"as_of", "items": [{item_id, n_demands, n_matchable, demand_value, matchable_value, degree}],
    "chains": [{chain_id, ...}]}.
    """
    from reforge.match import matching_degree
    from reforge.messages import resolve_lang
    lg = resolve_lang(lang)
    with engine_from(engine, db, warehouse) as e:
        res = matching_degree(e, as_of, mode, min_score=min_score)  # type: ignore[arg-type]
    echo_summary(res, fmt, lg)
    emit(res.to_dict(), fmt, res.to_frame())


def _read_texts(path: Path, col: str, what: str) -> list[str | None]:
    """Column ``col`` of a UTF-8 CSV file (with or without BOM), empty cells as None. Read with the
    standard library: the texts go to the tokenizer as Python strings, so pandas (0.35 s to import)
    would be a round trip for nothing."""
    import csv
    if not path.is_file():
        raise InvalidInput(f"{what} file {path} does not exist", code="match.cli.no_file",
                           params={"what": what, "path": str(path)})

    def bad(err: object) -> InvalidInput:
        return InvalidInput(f"{what} file {path} is not a UTF-8 CSV file: {str(err)[:120]}",
                            code="match.cli.bad_file", params={"what": what, "path": str(path)})
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as err:
        raise bad(err) from None
    if not rows or not any(rows[0]):
        raise bad("no header row")
    header = rows[0]
    if col not in header:
        raise InvalidInput(f"{what} file {path} has no column {col!r} (columns: {', '.join(header)})",
                           code="match.cli.no_column", params={"what": what, "column": col[:80],
                                                               "columns": header[:50]})
    i = header.index(col)
    out: list[str | None] = []
    for n, r in enumerate(rows[1:], start=2):
        if not r:   # a blank line is no row
            continue
        if len(r) > len(header):
            raise bad(f"line {n} has {len(r)} fields, the header {len(header)}")
        out.append((r[i] if i < len(r) else "") or None)
    return out


@app.command("rank")
def rank(queries: Annotated[Path, typer.Option("--queries", help="CSV of query texts")],
         candidates: Annotated[Path, typer.Option("--candidates", help="CSV of candidate texts")],
         query_col: Annotated[str, typer.Option("--query-col", help="column of the query texts")] = "text",
         candidate_col: Annotated[str, typer.Option("--candidate-col", help="column of the candidate texts")] = "text",
         top: Annotated[int, typer.Option("--top", help="candidates per query")] = 5,
         mode: ModeOpt = "both", fmt: FormatOpt = Fmt.json) -> None:
    """Rank candidate texts for each query text (Chinese or English, BM25); no database needed.

    JSON: [{"query": row number (0-based), "text", "hits": [{"candidate": row number, "text", "score"}]}].
    """
    from reforge.match.text import rank_texts
    q = _read_texts(queries, query_col, "queries")
    c = _read_texts(candidates, candidate_col, "candidates")
    hits = rank_texts(q, c, top, mode)  # type: ignore[arg-type]
    out = [{"query": i, "text": q[i], "hits": [{"candidate": h.index, "text": c[h.index], "score": h.score}
                                              for h in hs]} for i, hs in enumerate(hits)]
    if fmt == Fmt.json:
        sys.stdout.write(dumps(out) + "\n")
        return
    import pandas as pd
    rows = [{"query": o["query"], "query_text": o["text"], "rank": k + 1, "candidate": h["candidate"],
             "candidate_text": h["text"], "score": h["score"]} for o in out for k, h in enumerate(o["hits"])]
    emit({}, fmt, pd.DataFrame(rows, columns=["query", "query_text", "rank", "candidate", "candidate_text",
                                              "score"]))


@app.command("classify")
def classify(file: Annotated[Path, typer.Argument(help="CSV of the firms' own words (UTF-8)")],
             text_col: Annotated[str, typer.Option("--text-col", help="column of the texts (main product, "
                                                   "business scope)")],
             id_col: Annotated[str | None, typer.Option("--id-col", help="column labelling each row "
                                                        "(e.g. uscc); default the row number")] = None,
             top: Annotated[int, typer.Option("--top", help="proposals per text and target (1-100)")] = 5,
             mode: Annotated[str, typer.Option("--mode", help="text tokens: chars (default), words, ngrams "
                                               "or both")] = "chars",
             db: Annotated[Path | None, typer.Option("--db", help="DuckDB file: also propose its chain items "
                                                     "(default: GB/T 4754 classes only)")] = None,
             fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Propose each text's GB/T 4754-2017 classes (and, with --db, chain items) with scores.

    JSON: {"mode", "top", "texts": [{row, id, text, industries: [{rank, code, name_zh, name_en,
    division, score, share}], items: [{rank, code, name_zh, name_en, chains, score, share}] or null}]}.
    ``score`` is BM25, ``share`` the score over the text's best.
    """
    from reforge.match.classify import classify_texts
    from reforge.messages import resolve_lang
    lg = resolve_lang(lang)
    texts = _read_texts(file, text_col, "texts")
    ids = None if id_col is None else [v or "" for v in _read_texts(file, id_col, "texts")]
    if db is not None:
        if not db.is_file():
            raise InvalidInput(f"database file {db} does not exist", code="match.cli.no_file",
                               params={"what": "database", "path": str(db)})
        with engine_from(EngineKind.duckdb, db, None) as e:
            res = classify_texts(texts, top, e, mode, ids=ids)  # type: ignore[arg-type]
    else:
        res = classify_texts(texts, top, None, mode, ids=ids)  # type: ignore[arg-type]
    echo_summary(res, fmt, lg)
    frame = res.to_frame()
    frame["name"] = frame["name_zh"] if lg == "zh" else frame["name_en"]
    emit(res.to_dict(), fmt, frame[["id", "target", "rank", "code", "name", "score", "share"]])


@app.command("groups")
def groups(item: Annotated[str | None, typer.Option("--item", help="item_id (default: every pre_research "
                                                     "demand and blank/chokepoint item)")] = None,
           top: Annotated[int, typer.Option("--top", help="groups per target (1-50)")] = 3,
           adopters: Annotated[int | None, typer.Option("--adopters", help="adopters per group (default: "
                                                        "research parameter adopters_per_consortium)")] = None,
           as_of: AsOfOpt = None, engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None,
           warehouse: WarehouseOpt = None, fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Pre-research groups: upstream makers with the downstream firms that would adopt (the
    demanding firm, then importers of the item), ranked by capability, credit and past relations.

    JSON: {"as_of", "weights", "credit_floor", "targets": [{target, source, item_id, item_name,
    label, demand_id, groups: [{rank, score, maker, adopters, parts: [{part, value, weight, points,
    reason}]}], excluded: [{uscc, role, reason}], status}]}.
    """
    from reforge.match.groups import pre_research_groups
    from reforge.messages import resolve_lang
    lg = resolve_lang(lang)
    with engine_from(engine, db, warehouse) as e:
        res = pre_research_groups(e, item, as_of, top, adopters)
    echo_summary(res, fmt, lg)
    emit(res.to_dict(), fmt, res.to_frame())


@app.command("assign")
def assign(demand: Annotated[list[str] | None, typer.Option("--demand", help="demand_id (repeatable; "
                                                             "default: all demands)")] = None,
           as_of: AsOfOpt = None, mode: ModeOpt = "both", min_score: MinScoreOpt = 0.0,
           engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
           fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Assign demand value to qualified suppliers within their spare capacities, maximising the
    matched value; unassigned value with reasons.

    JSON: {"as_of", "min_score", "total_value", "assigned_value", "flows": [{demand_id, producer_id,
    item_id, value, score}], "demands": [{demand_id, value, assigned, unmatched, status}]}.
    """
    from reforge.match import assign_demands
    from reforge.messages import resolve_lang
    lg = resolve_lang(lang)
    with engine_from(engine, db, warehouse) as e:
        res = assign_demands(e, demand, as_of, mode, min_score=min_score)  # type: ignore[arg-type]
    echo_summary(res, fmt, lg)
    emit(res.to_dict(), fmt, res.to_frame())


@app.command("index")
def index(mode: ModeOpt = "both",
          force: Annotated[bool, typer.Option("--force", help="tokenise every text again")] = False,
          db: DbOpt = None, fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Store the text index of ``--mode`` in the database (tables match_docs and match_terms):
    tokenise the demand, offer and main-product texts that are new or changed since the last
    run, drop those removed. Matching at scale reads it; imports of texts keep it up to date.
    Needs the database opened for writing (not while a server holds it).

    JSON: {"mode", "tokenised", "dropped", "kept", "terms_written"}.
    """
    from reforge.match.index import refresh_index
    from reforge.messages import render, resolve_lang
    with engine_from(EngineKind.duckdb, db, None, read_only=False) as e:
        res = refresh_index(e, mode, force=force)  # type: ignore[arg-type]
    if getattr(fmt, "value", fmt) == "json":
        sys.stdout.write(dumps(res.to_dict()) + "\n")
        return
    sys.stdout.write(render("match.index.refreshed", res.to_dict(), resolve_lang(lang)) + "\n")


from reforge.cli.research import register as _register_research  # noqa: E402 - joint research commands

_register_research(app)
