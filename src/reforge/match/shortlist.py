"""The text shortlist at scale: BM25 of every demand against the producers of its item, in SQL,
and the ``top`` best producers per demand.

Used by :func:`reforge.match.rank.match_demands` when a demand-producer pair list would be too
long to score in Python (``MatchParams.scale.pairs``): the candidates are then the shortlisted
producers only, so memory stays bounded by ``demands × top``.

A producer's document on an item is, as in the small path, the texts of its offers on the item
plus its main product; the tokens come from the stored index (:mod:`reforge.match.index`).
BM25 is the Lucene variant of :class:`reforge.match.text.TextIndex` over all (producer, item)
documents: ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`` and ``idf * tf / (tf + k1 * (1 - b
+ b * len / avglen))`` summed over the demand's distinct tokens. The search is exact within
the item block: a producer that shares no token with the demand scores 0 and is never
shortlisted. Scores are rounded to 9 decimals, so that the order in which an engine sums a
document's terms cannot break a tie (equal documents, equal scores; ties go by producer id).
Demands are scored in batches of ``batch`` (by ``demand_id``), so the pair table of one batch
is the largest intermediate. Set-based SQL on DuckDB and, unchanged, on Spark.

Most of the work would be the terms every document of an item shares (the item's own name, a
standard specification): they pair each demand with every producer of its item. So candidates
come from a demand's rare terms first; the documents that share only common terms are ranked
once per distinct set of common terms (many demands ask the same), and a safe bound tells
whether a document outside both lists could still enter; only demands where one could are
searched in full (:func:`_pruned`). The result equals the full search (tests compare them).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from reforge.engine import Engine
from reforge.engine.sqlbuild import in_list
from reforge.match.index import index_source
from reforge.match.text import Mode

K1, B = 1.5, 0.75
"""BM25 parameters, those of :class:`reforge.match.text.TextIndex`."""
COMMON = 0.5
"""A query term in more than this share of its item's documents is *common*: it does not generate
candidates; its part of every document's score is computed once per set of common terms that
demands ask (:func:`_pruned`)."""

KEYS_SQL = """
  SELECT producer_id, item_id FROM capabilities WHERE producer_type = 'enterprise'
  UNION SELECT provider_id, item_id FROM offers WHERE provider_type = 'enterprise' AND item_id IS NOT NULL
  UNION SELECT uscc, main_item_id FROM enterprises WHERE main_item_id IS NOT NULL"""
"""(producer, item) pairs a demand for the item can reach: those of ``candidates_sql``'s ``keys``."""


def pair_count(engine: Engine, demand_ids: Sequence[str] | None) -> int:
    """How many (demand, producer) pairs the demands' items would give (buyers not removed)."""
    only, bind = in_list("dm", list(demand_ids or []))
    where = f"AND d.demand_id IN {only}" if demand_ids is not None else ""
    return int(engine.fetch_scalar(f"""
SELECT COALESCE(SUM(k.n), 0) FROM demands d
JOIN (SELECT item_id, COUNT(*) AS n FROM ({KEYS_SQL}) x GROUP BY item_id) k ON k.item_id = d.item_id
WHERE d.item_id IS NOT NULL {where}""", bind or None) or 0)


def shortlist(engine: Engine, mode: Mode, top: int, demand_ids: Sequence[str] | None = None,
              batch: int = 5000, common: float = COMMON, stats: dict[str, int] | None = None) -> pd.DataFrame:
    """The ``top`` best producers by BM25 for each demand with an item and a text:
    ``demand_id``, ``producer_id``, ``bm25`` (> 0), ``text_rank`` (1 = best; ties by producer_id).
    The demand's own firm is left out. Never writes to the database. ``stats`` (if given) gains
    the number of ``demands`` searched and of those ``redone`` in full (the pruning's misses)."""
    with engine.scratch() as tmp:
        src, kt, w, qt, dm, qb = (engine.temp_name(s) for s in ("sl_src", "sl_kt", "sl_w", "sl_qt", "sl_dm", "sl_qb"))
        engine.materialize(src, f"SELECT kind, doc_id, term, tf FROM {index_source(engine, mode, tmp)} x")
        tmp += [src, kt, w, qt, dm, qb]
        # (producer, item) documents: offer tokens on the item plus main-product tokens
        engine.materialize(kt, f"""
SELECT producer_id, item_id, term, SUM(tf) AS tf FROM (
  SELECT o.provider_id AS producer_id, o.item_id, s.term, s.tf
  FROM {src} s JOIN offers o ON s.kind = 'offer' AND s.doc_id = o.offer_id
  WHERE o.provider_type = 'enterprise' AND o.item_id IS NOT NULL
  UNION ALL
  SELECT k.producer_id, k.item_id, s.term, s.tf
  FROM ({KEYS_SQL}) k JOIN {src} s ON s.kind = 'firm' AND s.doc_id = k.producer_id
) x GROUP BY producer_id, item_id, term""")
        only = ""
        if demand_ids is not None:
            ids = engine.temp_name("sl_ids")
            tmp.append(ids)
            engine.register(ids, pd.DataFrame({"demand_id": pd.Series([str(x) for x in demand_ids], dtype=object)}))
            only = f"JOIN (SELECT DISTINCT demand_id FROM {ids}) i ON i.demand_id = d.demand_id"
        engine.materialize(dm, f"""
SELECT d.demand_id, d.uscc AS buyer, d.item_id,
       CAST(FLOOR((ROW_NUMBER() OVER (ORDER BY d.demand_id) - 1) / {int(batch)}) AS BIGINT) AS part
FROM demands d {only} WHERE d.item_id IS NOT NULL AND d.text IS NOT NULL""")
        engine.materialize(qt, f"""
SELECT DISTINCT d.demand_id, d.buyer, d.item_id, d.part, s.term
FROM {dm} d JOIN {src} s ON s.kind = 'demand' AND s.doc_id = d.demand_id""")
        engine.drop(src)  # the largest tables go as soon as they are used: memory holds one at a time
        # term weights of the documents, kept only for (item, term) pairs some demand asks for
        engine.materialize(w, f"""
WITH dl AS (SELECT producer_id, item_id, SUM(tf) AS len FROM {kt} GROUP BY producer_id, item_id),
stats AS (SELECT COUNT(*) AS n, AVG(CAST(len AS DOUBLE)) AS avglen FROM dl),
df AS (SELECT term, COUNT(*) AS df FROM {kt} GROUP BY term)
SELECT t.item_id, t.term, t.producer_id,
       LN(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
       * t.tf / (t.tf + {K1} * (1 - {B} + {B} * dl.len / stats.avglen)) AS w
FROM {kt} t JOIN dl ON dl.producer_id = t.producer_id AND dl.item_id = t.item_id
JOIN df ON df.term = t.term CROSS JOIN stats
JOIN (SELECT DISTINCT item_id, term FROM {qt}) u ON u.item_id = t.item_id AND u.term = t.term""")
        # per (item, term) of a query: its document frequency in the item's block and its largest
        # weight there (the most it can add to any document's score)
        engine.materialize(qb, f"""
SELECT q.demand_id, q.buyer, q.item_id, q.part, q.term, b.ub,
       CASE WHEN b.bdf > {float(common)} * n.n THEN 1 ELSE 0 END AS common
FROM {qt} q
JOIN (SELECT item_id, term, COUNT(*) AS bdf, MAX(w) AS ub FROM {w} GROUP BY item_id, term) b
  ON b.item_id = q.item_id AND b.term = q.term
JOIN (SELECT item_id, COUNT(*) AS n FROM (SELECT DISTINCT producer_id, item_id FROM {kt}) x GROUP BY item_id) n
  ON n.item_id = q.item_id""")
        engine.drop(kt)
        parts = int(engine.fetch_scalar(f"SELECT COALESCE(MAX(part), -1) FROM {dm}")) + 1
        out = []
        for p in range(parts):
            got, redo = _pruned(engine, qb, w, p, int(top), tmp, stats)
            out.append(got)
            if redo is not None:
                out.append(engine.fetch_df(_exact_sql(qb, w, f"q.part = {p} AND q.demand_id IN (SELECT demand_id FROM {redo})",
                                                      int(top))))
                engine.drop(redo)
    cols = ["demand_id", "producer_id", "bm25", "text_rank"]
    df = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)
    df["text_rank"] = df["text_rank"].astype("int64")
    return df.sort_values(["demand_id", "text_rank"]).reset_index(drop=True)[cols]


def _exact_sql(qb: str, w: str, where: str, top: int) -> str:
    """The ``top`` best documents of the demands selected by ``where`` (on ``qb q``), scored on
    every shared term: the exact search."""
    return f"""
SELECT demand_id, producer_id, bm25, text_rank FROM (
  SELECT demand_id, producer_id, bm25,
         ROW_NUMBER() OVER (PARTITION BY demand_id ORDER BY bm25 DESC, producer_id) AS text_rank
  FROM (
    SELECT q.demand_id, w.producer_id, ROUND(SUM(w.w), 9) AS bm25
    FROM {qb} q JOIN {w} w ON w.item_id = q.item_id AND w.term = q.term
    WHERE {where} AND w.producer_id <> q.buyer
    GROUP BY q.demand_id, w.producer_id
  ) s
) r WHERE text_rank <= {top}"""


def _pruned(engine: Engine, qb: str, w: str, part: int, top: int, tmp: list[str],
            stats: dict[str, int] | None = None) -> tuple[pd.DataFrame, str | None]:
    """Batch ``part`` searched with the common terms scored once per signature, exact.

    A demand's score of a document is the sum over its common terms plus the sum over its
    other (rarer) terms.

    1. *Signature*: a demand's common terms (sorted, joined by U+001F; tokens hold no control
       characters). Demands of an item mostly ask the same common terms (the item's name, its
       usual words), so the common-term score of each document of the item is computed once
       per signature (``sig_all``), not once per demand.
    2. *Candidates*: the documents sharing a rarer term with the demand, scored on its rarer
       terms, plus their common-term score from the signature.
    3. A document sharing no rarer term scores its common-term score alone: the best ``top + 1``
       of the signature are added, and every other document scores at most the last of them
       (the floor). A demand's list is the best ``top`` of both. When its ``top``-th score is
       above the floor, or the signature reaches no more than ``top`` documents, the list is
       exact; the other demands (returned as a table of demand ids, or None) are searched in
       full. ``stats`` (if given) gains ``demands`` and ``redone`` counts.
    """
    sig, sig_all, rest, merged, redo = (engine.temp_name(x) for x in
                                        ("sl_sig", "sl_sigall", "sl_rest", "sl_merged", "sl_redo"))
    tmp += [sig, sig_all, rest, merged, redo]
    engine.materialize(sig, f"""
SELECT demand_id, MIN(buyer) AS buyer, item_id, STRING_AGG(term, chr(31) ORDER BY term) AS sig
FROM {qb} WHERE part = {part} AND common = 1 GROUP BY demand_id, item_id""")
    engine.materialize(sig_all, f"""
WITH st AS (
  SELECT DISTINCT g.item_id, g.sig, q.term FROM {sig} g
  JOIN {qb} q ON q.demand_id = g.demand_id AND q.part = {part} AND q.common = 1
),
cs AS (
  SELECT st.item_id, st.sig, w.producer_id, SUM(w.w) AS cs
  FROM st JOIN {w} w ON w.item_id = st.item_id AND w.term = st.term
  GROUP BY st.item_id, st.sig, w.producer_id
)
SELECT item_id, sig, producer_id, cs,
       ROW_NUMBER() OVER (PARTITION BY item_id, sig ORDER BY ROUND(cs, 9) DESC, producer_id) AS rn
FROM cs""")
    engine.materialize(rest, f"""
SELECT q.demand_id, w.producer_id, SUM(w.w) AS rs
FROM {qb} q JOIN {w} w ON w.item_id = q.item_id AND w.term = q.term
WHERE q.part = {part} AND q.common = 0 AND w.producer_id <> q.buyer
GROUP BY q.demand_id, w.producer_id""")
    engine.materialize(merged, f"""
SELECT demand_id, producer_id, bm25, text_rank FROM (
  SELECT demand_id, producer_id, bm25,
         ROW_NUMBER() OVER (PARTITION BY demand_id ORDER BY bm25 DESC, producer_id) AS text_rank
  FROM (
    SELECT r.demand_id, r.producer_id, ROUND(r.rs + COALESCE(a.cs, 0), 9) AS bm25
    FROM {rest} r LEFT JOIN {sig} g ON g.demand_id = r.demand_id
    LEFT JOIN {sig_all} a ON a.item_id = g.item_id AND a.sig = g.sig AND a.producer_id = r.producer_id
    UNION ALL
    SELECT g.demand_id, a.producer_id, ROUND(a.cs, 9) AS bm25
    FROM {sig} g JOIN {sig_all} a ON a.item_id = g.item_id AND a.sig = g.sig AND a.rn <= {top + 1}
    LEFT JOIN {rest} r ON r.demand_id = g.demand_id AND r.producer_id = a.producer_id
    WHERE r.producer_id IS NULL AND a.producer_id <> g.buyer
  ) u
) x WHERE text_rank <= {top}""")
    # exact when the signature reaches no more than top documents, or the list is full and its
    # last score is above the floor; a demand with no common term is exact already
    engine.materialize(redo, f"""
SELECT g.demand_id FROM {sig} g
JOIN (SELECT item_id, sig, COUNT(*) AS n, MAX(CASE WHEN rn = {top + 1} THEN ROUND(cs, 9) END) AS floor
      FROM {sig_all} WHERE rn <= {top + 1} GROUP BY item_id, sig) f
  ON f.item_id = g.item_id AND f.sig = g.sig
LEFT JOIN (SELECT demand_id, COUNT(*) AS n, MIN(bm25) AS kth FROM {merged} GROUP BY demand_id) k
  ON k.demand_id = g.demand_id
WHERE f.n > {top} AND (k.demand_id IS NULL OR k.n < {top} OR k.kth <= f.floor + 1e-6)""")
    got = engine.fetch_df(f"""
SELECT demand_id, producer_id, bm25, text_rank FROM {merged}
WHERE demand_id NOT IN (SELECT demand_id FROM {redo})""")
    n_redo = engine.count(redo)
    if stats is not None:
        stats["demands"] = stats.get("demands", 0) + int(engine.fetch_scalar(
            f"SELECT COUNT(DISTINCT demand_id) FROM {qb} WHERE part = {part}") or 0)
        stats["redone"] = stats.get("redone", 0) + n_redo
    for t in (sig, sig_all, rest, merged):
        engine.drop(t)
    if n_redo == 0:
        engine.drop(redo)
        return got, None
    return got, redo


__all__ = ["COMMON", "KEYS_SQL", "pair_count", "shortlist"]
