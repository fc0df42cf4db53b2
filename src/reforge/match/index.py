"""The text index kept in the database: the tokens of demand, offer and main-product texts.

Tokenising (jieba words, character n-grams: :mod:`reforge.match.text`) is the one step of the
text score that is not SQL, and the costly one at scale (tens of seconds per million texts);
BM25 over the tokens is SQL (:mod:`reforge.match.shortlist`). So the tokens are stored per text
mode, in the service tables

- ``match_docs``: one row per (mode, document) with the md5 of the text its tokens come from;
- ``match_terms``: one row per (mode, document, term) with the term's count in the text.

Documents (``kind``, ``doc_id``): ``demand`` (``demands.text``), ``offer`` (``offers.text`` of an
enterprise's offer on an item), ``firm`` (``enterprises.main_product``). A document is *fresh*
when its stored md5 equals the md5 of its current text.

- :func:`refresh_index` (``reforge match index``; needs a DuckDB opened for writing)
  tokenises the new and changed documents and deletes the rows of changed and removed ones,
  in one transaction, so an edit of a few texts costs a few tokenisations.
- :func:`index_source` never writes: the stored rows of fresh documents plus the others
  tokenised into a temporary table. It runs on a read-only DuckDB and on Spark alike; with no
  stored index every document is tokenised.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError
from reforge.match.text import MODES, Mode, tokens

DOCS, TERMS = "match_docs", "match_terms"
CHUNK = 50_000
"""Documents tokenised and written per step of :func:`refresh_index` (all in its one transaction)."""

DOCS_SQL = """
  SELECT 'demand' AS kind, demand_id AS doc_id, text, md5(COALESCE(text, '')) AS digest
  FROM demands WHERE text IS NOT NULL
  UNION ALL
  SELECT 'offer' AS kind, offer_id AS doc_id, text, md5(COALESCE(text, '')) AS digest
  FROM offers WHERE provider_type = 'enterprise' AND item_id IS NOT NULL AND text IS NOT NULL
  UNION ALL
  SELECT 'firm' AS kind, uscc AS doc_id, main_product AS text, md5(COALESCE(main_product, '')) AS digest
  FROM enterprises WHERE main_product IS NOT NULL"""
"""The current documents: (``kind``, ``doc_id``, ``text``, ``digest`` = md5 hex of the text)."""


@dataclass(frozen=True)
class IndexChange:
    """What :func:`refresh_index` did: documents tokenised (new or changed), dropped (removed
    or changed: their old rows), kept as they were, and term rows written."""

    mode: str
    tokenised: int
    dropped: int
    kept: int
    terms_written: int

    def to_dict(self) -> dict[str, int | str]:
        return {"mode": self.mode, "tokenised": self.tokenised, "dropped": self.dropped, "kept": self.kept,
                "terms_written": self.terms_written}


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        from reforge.errors import InvalidInput
        raise InvalidInput(f"unknown text mode {mode!r}", code="match.bad_mode",
                           params={"mode": str(mode)[:40], "modes": list(MODES)})


def _stored(engine: Engine) -> bool:
    return engine.table_exists(DOCS) and engine.table_exists(TERMS)


def _stale_sql(stored: bool) -> str:
    """The current documents that are not fresh (new, or their text changed): kind, doc_id, text, digest."""
    if not stored:
        return f"SELECT kind, doc_id, text, digest FROM ({DOCS_SQL}) c"
    return f"""SELECT c.kind, c.doc_id, c.text, c.digest FROM ({DOCS_SQL}) c
  LEFT JOIN {DOCS} m ON m.mode = $mode AND m.kind = c.kind AND m.doc_id = c.doc_id AND m.digest = c.digest
  WHERE m.doc_id IS NULL"""


def term_rows(docs: pd.DataFrame, mode: Mode) -> pa.Table:
    """Token counts of ``docs`` (``kind``, ``doc_id``, ``text``): one row per (kind, doc_id, term) with ``tf``."""
    kinds, ids, terms, tfs = [], [], [], []
    for kind, doc_id, text in zip(docs["kind"], docs["doc_id"], docs["text"], strict=True):
        counts: dict[str, int] = {}
        for t in tokens(text, mode):
            counts[t] = counts.get(t, 0) + 1
        for t, n in counts.items():
            kinds.append(kind)
            ids.append(doc_id)
            terms.append(t)
            tfs.append(n)
    return pa.table({"kind": pa.array(kinds, pa.string()), "doc_id": pa.array(ids, pa.string()),
                     "term": pa.array(terms, pa.string()), "tf": pa.array(tfs, pa.int32())})


def refresh_index(engine: Engine, mode: Mode = "both", force: bool = False) -> IndexChange:
    """Bring the stored index of ``mode`` up to date with the current texts (all of it with
    ``force``). All or nothing: one transaction on one snapshot. Needs a DuckDB engine opened
    for writing (``engine.read_only`` error otherwise)."""
    from reforge.schema.ddl import create_table_sql
    from reforge.schema.tables import get_table
    _check_mode(mode)
    if not engine.stores:
        raise ReforgeError("storing the text index needs a DuckDB database opened for writing",
                           code="engine.read_only", params={"what": TERMS})
    for name in (DOCS, TERMS):
        engine.execute(create_table_sql(get_table(name)))
    bind = {"mode": mode}
    with engine.transaction():
        if force:
            engine.execute(f"DELETE FROM {TERMS} WHERE mode = $mode", bind)
            engine.execute(f"DELETE FROM {DOCS} WHERE mode = $mode", bind)
        stale = engine.fetch_df(_stale_sql(True), bind)
        gone = engine.temp_name("match_gone")
        engine.materialize(gone, f"""SELECT m.kind, m.doc_id FROM {DOCS} m
  LEFT JOIN ({DOCS_SQL}) c ON c.kind = m.kind AND c.doc_id = m.doc_id AND c.digest = m.digest
  WHERE m.mode = {literal(mode)} AND c.doc_id IS NULL""")
        try:
            dropped = engine.count(gone)
            total = int(engine.fetch_scalar(f"SELECT COUNT(*) FROM {DOCS} WHERE mode = $mode", bind) or 0)
            for name in (TERMS, DOCS):
                engine.execute(f"DELETE FROM {name} USING {gone} g WHERE {name}.mode = $mode "
                               f"AND {name}.kind = g.kind AND {name}.doc_id = g.doc_id", bind)
        finally:
            engine.drop(gone)
        written = 0
        for start in range(0, len(stale), CHUNK):  # bounded memory: one chunk's token lists at a time
            part = stale.iloc[start:start + CHUNK]
            rows = term_rows(part, mode)
            written += rows.num_rows
            new_t, new_d = engine.temp_name("match_terms_new"), engine.temp_name("match_docs_new")
            engine.register(new_t, rows)
            engine.register(new_d, part[["kind", "doc_id", "digest"]])
            try:
                engine.execute(f"INSERT INTO {TERMS} (mode, kind, doc_id, term, tf) "
                               f"SELECT $mode, kind, doc_id, term, tf FROM {new_t}", bind)
                engine.execute(f"INSERT INTO {DOCS} (mode, kind, doc_id, digest) "
                               f"SELECT $mode, kind, doc_id, digest FROM {new_d}", bind)
            finally:
                engine.drop(new_t)
                engine.drop(new_d)
            del rows
    return IndexChange(mode, len(stale), dropped, total - dropped, written)


def refresh_stored(engine: Engine) -> list[IndexChange]:
    """Refresh every text mode that has a stored index (after an import of texts): a no-op
    without one. The index is derived: a refresh that does not happen (or is killed) leaves
    stale documents, which :func:`index_source` tokenises on the fly, never wrong scores."""
    if not _stored(engine):
        return []
    modes = [str(m) for m in engine.fetch_df(f"SELECT DISTINCT mode FROM {DOCS} ORDER BY mode")["mode"]]
    return [refresh_index(engine, m) for m in modes if m in MODES]  # type: ignore[arg-type]


def index_source(engine: Engine, mode: Mode, scratch: list[str]) -> str:
    """A relation ``(kind, doc_id, term, tf)`` over every current document: the stored rows of
    fresh documents and the others tokenised now into a temporary table (named in ``scratch``).
    Never writes to the database."""
    _check_mode(mode)
    stored = _stored(engine)
    stale = engine.fetch_df(_stale_sql(stored), {"mode": mode} if stored else None)
    tmp = engine.temp_name("match_terms_now")
    scratch.append(tmp)
    engine.register(tmp, term_rows(stale, mode))
    now = f"SELECT kind, doc_id, term, tf FROM {tmp}"
    if not stored:
        return f"({now})"
    m = literal(mode)
    return f"""(SELECT t.kind, t.doc_id, t.term, t.tf FROM {TERMS} t
  JOIN {DOCS} m ON m.mode = t.mode AND m.kind = t.kind AND m.doc_id = t.doc_id
  JOIN ({DOCS_SQL}) c ON c.kind = m.kind AND c.doc_id = m.doc_id AND c.digest = m.digest
  WHERE t.mode = {m}
  UNION ALL {now})"""


__all__ = ["DOCS", "DOCS_SQL", "TERMS", "IndexChange", "index_source", "refresh_index", "refresh_stored",
           "term_rows"]
