"""Attaching firms to industry classes and chain items from their own words (挂链).

:func:`classify_texts` ranks, for each text (a main product, a business scope), the GB/T
4754-2017 classes (the 1,381 four-digit classes of the shipped code list,
``reforge/ingest/codes/gbt4754_2017_industry.csv``) and, when an engine is given, the chain
items of the database (``items``), with the BM25 ranker of :mod:`reforge.match.text`.

Class documents are the class name, its group's name (when different) and, by default, the
official explanatory note (说明); item documents are the item's Chinese and English names.
The default tokens are ``chars`` (Chinese character unigrams and bigrams, Latin words) with
query term frequency counted: the best of the modes on the held-out evaluation in
``bench/match_classify.py`` (taxonomy names are short, firms' descriptions long).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from reforge.errors import InvalidInput
from reforge.match.result import ClassifyResult
from reforge.match.text import MODES, Mode, TextIndex

MAX_TEXTS = 100_000
"""Most texts one call classifies (a user's list)."""


def industry_documents(notes: bool = True) -> pd.DataFrame:
    """One row per GB/T 4754-2017 class: ``code``, ``name``, ``group_name``, ``division``,
    ``division_name``, ``note`` and ``text`` (name, group name when different, note when
    ``notes``)."""
    from reforge.ingest.codes import industry_table
    t = industry_table()
    names = dict(zip(t["code"], t["name"], strict=True))
    c = t[t["level"] == "class"].reset_index(drop=True)
    group = c["group"].map(names).fillna("")
    note = c["note_zh"].fillna("").astype(str)
    parts = [c["name"].astype(str), group.where(group != c["name"], "")]
    if notes:
        parts.append(note)
    text = [" ".join(p for p in ps if p) for ps in zip(*parts, strict=True)]
    return pd.DataFrame({"code": c["code"].astype(str), "name": c["name"].astype(str), "group_name": group,
                         "division": c["division"].astype(str),
                         "division_name": c["division"].map(names).fillna(""), "note": note, "text": text})


@lru_cache(maxsize=4)
def _industry_index(mode: str, notes: bool) -> tuple[pd.DataFrame, TextIndex]:
    docs = industry_documents(notes)
    return docs, TextIndex(docs["text"].tolist(), mode, query_tf=True)  # type: ignore[arg-type]


def item_documents(engine) -> pd.DataFrame:
    """One row per chain item of the database: ``item_id``, ``name``, ``name_zh``, ``chains``
    (chain ids joined by ``,``) and ``text`` (Chinese and English names)."""
    items = engine.fetch_df("SELECT item_id, name, name_zh FROM items ORDER BY item_id")
    if engine.table_exists("chain_items"):
        ci = engine.fetch_df("SELECT item_id, chain_id FROM chain_items ORDER BY chain_id")
        chains = ci.groupby("item_id")["chain_id"].agg(lambda s: ",".join(map(str, s)))
    else:
        chains = pd.Series(dtype=object)
    items["chains"] = items["item_id"].map(chains).fillna("")
    items["text"] = [" ".join(str(x) for x in (zh, en) if isinstance(x, str) and x)
                     for zh, en in zip(items["name_zh"], items["name"], strict=True)]
    return items


def _top(index: TextIndex, text: str | None, k: int) -> list[tuple[int, float, float]]:
    s = index.scores(text)
    if not s.size:
        return []
    best = float(s.max())
    order = np.lexsort((np.arange(s.size), -s))[:k]
    return [(int(i), float(s[i]), float(s[i] / best)) for i in order if s[i] > 0]


def classify_texts(texts: Sequence[str | None], top: int = 5, engine=None, mode: Mode = "chars",
                   notes: bool = True, ids: Sequence[str] | None = None) -> ClassifyResult:
    """For each text, the ``top`` GB/T 4754-2017 classes and (with ``engine``) chain items,
    best first, with the BM25 score and its share of the text's best score (0-1].

    ``ids`` (optional, same length) labels the texts (e.g. the firms' uscc). ``notes=False``
    leaves the official notes out of the class documents (the evaluation does this, since its
    queries are the notes). Empty texts get no proposals.
    """
    if not isinstance(top, int) or top < 1 or top > 100:
        raise InvalidInput("top must be between 1 and 100", code="match.bad_top", params={"top": str(top)[:20]})
    if mode not in MODES:
        raise InvalidInput(f"unknown text mode {mode!r}", code="match.bad_mode",
                           params={"mode": str(mode)[:40], "modes": list(MODES)})
    texts = list(texts)
    if len(texts) > MAX_TEXTS:
        raise InvalidInput(f"at most {MAX_TEXTS} texts at a time", code="match.classify.too_many",
                           params={"n": len(texts), "max": MAX_TEXTS})
    if ids is not None and len(ids) != len(texts):
        raise InvalidInput("ids and texts differ in length", code="match.classify.bad_ids",
                           params={"n": len(texts), "ids": len(ids)})
    from reforge.web.names import industry_name
    docs, index = _industry_index(mode, bool(notes))
    items, item_index = None, None
    if engine is not None and engine.table_exists("items"):
        items = item_documents(engine)
        item_index = TextIndex(items["text"].tolist(), mode, query_tf=True)
    rows = []
    for i, text in enumerate(texts):
        label = str(ids[i]) if ids is not None else str(i)
        for k, (j, s, rel) in enumerate(_top(index, text, top), 1):
            d = docs.iloc[j]
            rows.append((i, label, text, "industry", k, d["code"], d["name"], industry_name(d["code"], "en"),
                         d["division"], "", s, rel))
        if item_index is not None and items is not None:
            for k, (j, s, rel) in enumerate(_top(item_index, text, top), 1):
                it = items.iloc[j]
                rows.append((i, label, text, "item", k, str(it["item_id"]), str(it["name_zh"]), str(it["name"]),
                             "", str(it["chains"]), s, rel))
    frame = pd.DataFrame(rows, columns=["row", "id", "text", "target", "rank", "code", "name_zh", "name_en",
                                        "division", "chains", "score", "share"])
    return ClassifyResult(frame, [None if t is None else str(t) for t in texts],
                          [str(x) for x in ids] if ids is not None else [str(i) for i in range(len(texts))],
                          mode, item_index is not None, top)


__all__ = ["MAX_TEXTS", "classify_texts", "industry_documents", "item_documents"]
