"""The all-or-nothing importer.

Every file's header is checked before its body is read (a wrong table or a
bomb is rejected at once); then every row of every file is validated (types,
required fields, ranges, codes, unique keys, references to rows already stored
or in the same batch); only when nothing is wrong are all rows written, in one
DuckDB transaction, with an audit-log row. ``replace`` refuses to leave rows of
other tables pointing at nothing unless ``cascade`` is asked (see ``orphans``).
A rejected import writes nothing but an audit-log row (``import.rejected``, with
the problem codes and counts). A process killed mid-write leaves the database as
it was: DuckDB discards an uncommitted transaction when the file is next opened.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError
from reforge.ingest.limits import ReadLimits
from reforge.ingest.messages import text
from reforge.ingest.orphans import settle_orphans
from reforge.ingest.problems import FileProblem, ImportResult, problem_frame
from reforge.ingest.readers import SourceFile, open_frame, open_source
from reforge.ingest.validate import coerce_and_check, column_problems
from reforge.schema import ensure_schema
from reforge.schema.audit import record
from reforge.schema.tables import TABLE_BY_NAME, Table, get_table

MODES = ("append", "upsert", "replace")
Progress = Callable[[str, float], None]
_MAX_PROBLEMS_PER_CHECK = 10_000


def dependency_order(names: Sequence[str]) -> list[str]:
    """Tables ordered so that referenced tables come before the tables that reference them."""
    names = list(dict.fromkeys(names))
    deps = {n: {tgt for r in TABLE_BY_NAME[n].references for tgt, _ in r.targets
                if tgt in names and tgt != n} for n in names}
    out: list[str] = []
    while deps:
        ready = sorted(n for n, d in deps.items() if not d - set(out))
        if not ready:  # a cycle: keep the given order
            ready = [next(iter(deps))]
        for n in ready:
            out.append(n)
            deps.pop(n)
    return out


def import_files(engine: DuckDBEngine, table: str, files: Sequence[str | Path], mode: str = "append",
                 actor: str | None = None, progress: Progress | None = None,
                 names: Sequence[str] | None = None, cascade: bool = False,
                 limits: ReadLimits | None = None) -> ImportResult:
    """Validate and import CSV/Parquet/XLSX files into one table (all rows or none).

    ``names`` are the names messages use for the files (e.g. an upload's own file name
    rather than the server's temporary copy); by default the paths."""
    t = get_table(table)
    if t.service:
        raise ReforgeError(f"table {table} is managed by reforge and cannot be imported")
    names = list(names) if names is not None else [str(f) for f in files]
    for f, n in zip(files, names, strict=True):  # fail early, before any work, on a missing path
        if not Path(f).exists():
            raise ReforgeError(f"{n}: file not found")
    parts = [(n, Path(f)) for f, n in zip(files, names, strict=True)]
    return import_tables(engine, {table: parts}, mode=mode, actor=actor, progress=progress,
                         cascade=cascade, limits=limits)


def import_tables(engine: DuckDBEngine, batch: dict[str, list[tuple[str, pd.DataFrame | str | Path]]],
                  mode: str = "append", actor: str | None = None,
                  progress: Progress | None = None, cascade: bool = False,
                  limits: ReadLimits | None = None) -> ImportResult:
    """Validate every frame of every table, then write all of them in one transaction.

    ``batch`` maps table name -> [(file name for messages, DataFrame or a path read
    when its turn comes, so large batches are not all in memory as pandas)]. Modes:
    ``append`` (keys must be new), ``upsert`` (rows with an existing key replace
    it), ``replace`` (the table's rows are replaced by the batch; rows of other tables
    that would point at nothing make it fail, or with ``cascade`` are deleted, or
    un-linked where the reference is optional). ``limits`` bound each file (default:
    ``ReadLimits.from_env()``).
    """
    if mode not in MODES:
        raise ReforgeError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if engine.read_only:
        raise ReforgeError(f"database {engine.path} is open read-only; cannot import")
    unknown = [n for n in batch if n not in TABLE_BY_NAME]
    if unknown:
        get_table(unknown[0])  # raises, naming the known tables
    tick = progress or (lambda _msg, _frac: None)
    limits = limits or ReadLimits.from_env()
    ensure_schema(engine)
    order = dependency_order(list(batch))
    res = ImportResult(tables=order, mode=mode)
    problems: list[pd.DataFrame] = []
    staged: dict[str, int] = {}  # table -> rows staged as an Arrow view __import_<table>
    n_steps = len(order) * 2 + 1
    try:
        for i, name in enumerate(order):
            t = get_table(name)
            tick(f"validating {name}", i / n_steps)
            frames = []
            for file, src in batch[name]:
                out = _read_checked(t, file, src, limits, res, problems)
                if out is not None and len(out):
                    out["_file"] = file
                    frames.append(_arrow(out))
                del out
            if frames:
                engine.register(f"__import_{name}", pa.concat_tables(frames, promote_options="permissive"))
                staged[name] = sum(f.num_rows for f in frames)
            del frames
        for i, name in enumerate(order):
            tick(f"checking keys and references of {name}", (len(order) + i) / n_steps)
            if staged.get(name):
                problems.extend(_key_problems(engine, get_table(name), mode))
                problems.extend(_reference_problems(engine, get_table(name), set(order), mode))
        problems = [p for p in problems if len(p)]
        if not problems:
            tick("writing", (2 * len(order)) / n_steps)
            problems = _write(engine, order, staged, mode, actor, res, cascade, batch)
        if problems:
            res.problems = pd.concat(problems, ignore_index=True).sort_values(
                ["file", "row", "column"], na_position="first", kind="stable").reset_index(drop=True)
            res.rows_written = {}
            _audit_rejected(engine, actor, res, batch)
            return res
        if {"demands", "offers", "enterprises"} & set(staged):
            tick("text index", 1.0)
            from reforge.match.index import refresh_stored
            refresh_stored(engine)  # derived: its own transaction after the import's (see its docstring)
        tick("done", 1.0)
        return res
    finally:
        for name in staged:
            engine.drop(f"__import_{name}")


def _read_checked(t: Table, file: str, src: pd.DataFrame | str | Path, limits: ReadLimits,
                  res: ImportResult, problems: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Open one file, check its header, read and validate its rows; problems go to ``problems``.
    Returns the typed frame (with ``_row``), or None when the file could not be used."""
    source: SourceFile | None = None
    try:
        source = open_frame(src, file) if isinstance(src, pd.DataFrame) else open_source(src, file, limits)
        if source.header_row is not None:
            res.header_rows[file] = source.header_row
        head = column_problems(t, source.columns, file)
        if len(head):
            problems.append(head)
            return None
        df, rows, read_probs = source.read()
    except FileProblem as fp:
        problems.append(problem_frame(file, [None], fp.column, None, fp.reason, fp.code,
                                      {"file": file, **fp.params}))
        return None
    finally:
        if source is not None:
            source.close()
    problems.extend(read_probs)
    res.rows_read[t.name] = res.rows_read.get(t.name, 0) + len(df)
    out, prob = coerce_and_check(t, df, file, rows)
    del df
    if len(prob):
        problems.append(prob)
    return out


def _audit_rejected(engine: DuckDBEngine, actor: str | None, res: ImportResult,
                    batch: dict[str, list[tuple[str, object]]]) -> None:
    """One audit-log row for a rejected import: the problem codes and counts (own transaction)."""
    codes = res.codes
    detail = {"mode": res.mode, "files": [f for parts in batch.values() for f, _ in parts][:20],
              "reason": max(codes, key=codes.get) if codes else "ingest.other", "errors": res.error_count,
              "codes": codes, "rows_read": res.rows_read}
    try:
        record(engine, actor or _os_user(), "import.rejected", ",".join(res.tables), 0, detail)
    except Exception:  # noqa: BLE001 - the rejection itself must still be reported
        import logging
        logging.getLogger(__name__).exception("could not audit a rejected import")


def _arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def _key_problems(engine: DuckDBEngine, t: Table, mode: str) -> list[pd.DataFrame]:
    v = f"__import_{t.name}"
    keys = ", ".join(t.key)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in t.key)
    out = []
    dup = engine.fetch_df(
        f"SELECT _file, _row, {keys}, first_row FROM (SELECT _file, _row, {keys}, "
        f"COUNT(*) OVER (PARTITION BY {keys}) AS n, "
        f"MIN(_row) OVER (PARTITION BY {keys}, _file) AS first_row FROM {v} WHERE {not_null}) "
        f"WHERE n > 1 AND _row <> first_row ORDER BY _file, _row LIMIT {_MAX_PROBLEMS_PER_CHECK}")
    for f, g in dup.groupby("_file", sort=False):
        plist = [{"first_row": int(r)} for r in g["first_row"]]
        out.append(problem_frame(f, g["_row"], ",".join(t.key), _key_text(g, t.key),
                                 pd.Series([text("ingest.key.duplicate", p) for p in plist]),
                                 "ingest.key.duplicate", plist))
    if mode == "append":
        clash = engine.fetch_df(
            f"SELECT s._file, s._row, {', '.join('s.' + k for k in t.key)} FROM {v} s "
            f"JOIN {t.name} d ON {' AND '.join(f's.{k} = d.{k}' for k in t.key)} "
            f"ORDER BY s._file, s._row LIMIT {_MAX_PROBLEMS_PER_CHECK}")
        for f, g in clash.groupby("_file", sort=False):
            params = {"table": t.name}
            out.append(problem_frame(f, g["_row"], ",".join(t.key), _key_text(g, t.key),
                                     text("ingest.key.exists", params), "ingest.key.exists", params))
    return out


def _key_text(g: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    return g[list(key)].astype(str).agg("|".join, axis=1)


def _reference_problems(engine: DuckDBEngine, t: Table, in_batch: set[str], mode: str) -> list[pd.DataFrame]:
    v = f"__import_{t.name}"
    out = []
    for ref in t.references:
        sources = []
        for tgt, col in ref.targets:
            if tgt in in_batch and engine.table_exists(f"__import_{tgt}"):
                sources.append(f"SELECT {col} AS k FROM __import_{tgt}")
            if not (tgt in in_batch and mode == "replace"):
                sources.append(f"SELECT {col} AS k FROM {tgt}")
        cond = f"s.{ref.column} IS NOT NULL"
        if ref.when:
            cond += f" AND s.{ref.when[0]} = {literal(ref.when[1])}"
        union = " UNION ALL ".join(sources)
        bad = engine.fetch_df(
            f"SELECT s._file, s._row, s.{ref.column} AS val FROM {v} s WHERE {cond} AND NOT EXISTS "
            f"(SELECT 1 FROM ({union}) r WHERE r.k = s.{ref.column}) "
            f"ORDER BY s._file, s._row LIMIT {_MAX_PROBLEMS_PER_CHECK}")
        targets = " or ".join(f"{a}.{b}" for a, b in ref.targets)
        for f, g in bad.groupby("_file", sort=False):
            params = {"targets": targets}
            out.append(problem_frame(f, g["_row"], ref.column, g["val"], text("ingest.reference.missing", params),
                                     "ingest.reference.missing", params))
    return out


class _Blocked(Exception):
    """Raised inside the import transaction to roll it back when a replace would orphan rows."""

    def __init__(self, found: list) -> None:
        super().__init__("replace would orphan rows")
        self.found = found


def _write(engine: DuckDBEngine, order: list[str], staged: dict[str, int], mode: str,
           actor: str | None, res: ImportResult, cascade: bool,
           batch: dict[str, list[tuple[str, object]]]) -> list[pd.DataFrame]:
    """Write all staged tables in one transaction, with an audit-log row. A ``replace`` that
    would orphan rows elsewhere is rolled back; its problems are returned (else [])."""
    try:
        with engine.transaction():
            for name in order:
                t = get_table(name)
                cols = ", ".join(t.names)
                if mode == "replace":
                    res.removed[name] = int(engine.count(name))
                    engine.execute(f"DELETE FROM {name}")
                n = staged.get(name, 0)
                if n:
                    verb = "INSERT OR REPLACE" if mode == "upsert" else "INSERT"
                    engine.execute(f"{verb} INTO {name} ({cols}) SELECT {cols} FROM __import_{name}")
                res.rows_written[name] = n
            if mode == "replace":
                orph = settle_orphans(engine, set(order), cascade)
                if orph.blocked:
                    raise _Blocked(orph.found)
                for k, v in orph.removed.items():
                    res.removed[k] = res.removed.get(k, 0) + v
                res.nulled = dict(orph.nulled)
            who = actor or _os_user()
            detail = {"mode": mode, "written": res.rows_written, "removed": res.removed, "nulled": res.nulled,
                      "cascade": cascade}
            affected = sum(res.rows_written.values()) + sum(res.removed.values()) + sum(res.nulled.values())
            record(engine, who, f"import:{mode}", ",".join(order), affected, detail)
    except _Blocked as b:  # rolled back: the replace would orphan rows elsewhere
        res.removed = {}
        return [_orphan_problem(tbl, col, tgt, n, svc, batch) for tbl, col, tgt, n, svc in b.found
                if svc or not cascade]
    return []


def _orphan_problem(table: str, column: str, target: str, n: int, service: bool,
                    batch: dict[str, list[tuple[str, object]]]) -> pd.DataFrame:
    tgt_table = target.split(".")[0]
    files = [f for f, _ in batch.get(tgt_table, [])] or [tgt_table]
    code = "ingest.replace.accounts" if service else "ingest.replace.orphans"
    params = {"table": table, "column": column, "target": target, "rows": int(n)}
    return problem_frame(files[0], [None], f"{table}.{column}", str(n), text(code, params), code, params)


def _os_user() -> str:
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001
        return "cli"
