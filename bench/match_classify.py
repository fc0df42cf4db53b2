"""Recall@5 of the reforge text ranker on real external taxonomies with a known answer, beside a
plain TF-IDF baseline (sklearn ``TfidfVectorizer``, cosine).

Chinese - GB/T 4754-2017 (the shipped code list, ``reforge/ingest/codes/``): the index is the
1,381 class documents WITHOUT the official notes (class name + group name); the queries are
the 899 notes (说明) that classes have, each to be placed in its own class. Two query sets: the
notes as written, and the notes with the class's own name cut out ("masked").

English - HS 2022 (``/work/shared/data/codes/hs2022_comtrade.csv``, UN Comtrade H6; GB/T 4754
has no English names): the index is the 1,228 four-digit heading descriptions; the queries are
the 5,612 six-digit subheading descriptions (heading numbers cut out), each to be placed under
its heading. Two query sets: the whole description, and only its part after the first ``;``
(the lead noun, usually the heading's, cut out: "specific").

Baselines: TF-IDF over character 1-2-grams (Chinese; scikit-learn's default word pattern does
not segment Chinese) and over scikit-learn's default words (English), plus TF-IDF over the
reforge tokens (so tokenisation and weighting can be told apart). The ``chars`` mode was chosen
by looking at this whole evaluation (so it is slightly optimistic); ``r@5 dev``/``r@5 test`` are
the halves of the queries whose class code ends in an even / odd digit, to show the spread.

usage: python bench/match_classify.py [--hs PATH]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from reforge.match.classify import industry_documents
from reforge.match.text import MODES, TextIndex, tokens

HS = Path("/work/shared/data/codes/hs2022_comtrade.csv")
_HEADING_REF = re.compile(r"\b(?:sub)?headings?\s*(?:no\.?\s*)?[\d.,\s]*(?:(?:or|and|to)\s+[\d.]+)*", re.I)
_NUMBER = re.compile(r"\b\d{2}\.?\d{2}(?:\.\d+)?\b")


def zh_sets() -> tuple[list[str], list[str], dict[str, tuple[list[str], list[str]]]]:
    """(class codes, class documents without notes, {set name: (queries, true codes)})."""
    d = industry_documents(notes=False)
    q = d[d["note"] != ""]
    masked = [n.replace(name, " ") for n, name in zip(q["note"], q["name"], strict=True)]
    truth = q["code"].tolist()
    return d["code"].tolist(), d["text"].tolist(), {"notes": (q["note"].tolist(), truth),
                                                    "masked": (masked, truth)}


def _clean_hs(text: str) -> str:
    return _NUMBER.sub(" ", _HEADING_REF.sub(" ", text))


def en_sets(path: Path = HS) -> tuple[list[str], list[str], dict[str, tuple[list[str], list[str]]]]:
    """(heading codes, heading descriptions, {set name: (queries, true heading codes)})."""
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    t = t[~t["hscode"].isin(["99", "9999", "999999", "TOTAL"])]
    h = t[t["level"] == "4"]
    s = t[t["level"] == "6"]
    full = [_clean_hs(x) for x in s["description"]]
    specific = [_clean_hs(x.split(";", 1)[1] if ";" in x else x) for x in s["description"]]
    truth = s["parent"].tolist()
    return h["hscode"].tolist(), h["description"].tolist(), {"full": (full, truth), "specific": (specific, truth)}


def recall(top: list[list[int]], codes: list[str], truth: list[str]) -> float:
    """Share of queries whose true code is among their ranked candidates."""
    return float(np.mean([t in {codes[i] for i in row} for row, t in zip(top, truth, strict=True)]))


def reforge_top(docs: list[str], queries: list[str], mode: str, k: int = 5) -> list[list[int]]:
    """The ``k`` best documents per query by the reforge BM25 ranker (query term frequency on)."""
    ix = TextIndex(docs, mode, query_tf=True)  # type: ignore[arg-type]
    return [[h.index for h in ix.top(q, k)] for q in queries]


def tfidf_top(docs: list[str], queries: list[str], analyzer: str | object, k: int = 5) -> list[list[int]]:
    """The ``k`` best documents per query by TF-IDF cosine (ties by position)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel
    if analyzer == "char":
        v = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    elif analyzer == "word":
        v = TfidfVectorizer()
    else:
        v = TfidfVectorizer(analyzer=analyzer)  # type: ignore[arg-type]
    m = v.fit_transform(docs)
    sim = linear_kernel(v.transform(queries), m)
    return [list(np.lexsort((np.arange(len(docs)), -row))[:k]) for row in sim]


def _halves(truth: list[str]) -> tuple[np.ndarray, np.ndarray]:
    last = np.array([int(c[-1]) if c[-1].isdigit() else 0 for c in truth])
    return last % 2 == 0, last % 2 == 1


def run(lang: str, codes: list[str], docs: list[str], sets: dict[str, tuple[list[str], list[str]]],
        baseline: str) -> list[dict]:
    """One row per (query set, method): recall@1, recall@5 (all, dev half, test half), seconds."""
    out = []
    for name, (queries, truth) in sets.items():
        dev, test = _halves(truth)
        methods: list[tuple[str, object]] = [(f"reforge BM25 {m}", m) for m in MODES]
        methods += [(f"TF-IDF {baseline} (sklearn)", baseline),
                    ("TF-IDF reforge chars tokens", lambda s: tokens(s, "chars"))]
        for label, how in methods:
            t0 = time.perf_counter()
            top = reforge_top(docs, queries, how) if label.startswith("reforge") else tfidf_top(docs, queries, how)
            dt = time.perf_counter() - t0
            hit5 = np.array([t in {codes[i] for i in row} for row, t in zip(top, truth, strict=True)])
            hit1 = np.array([bool(row) and codes[row[0]] == t for row, t in zip(top, truth, strict=True)])
            out.append({"lang": lang, "set": name, "n": len(queries), "method": label,
                        "recall@1": hit1.mean(), "recall@5": hit5.mean(), "r@5 dev": hit5[dev].mean(),
                        "r@5 test": hit5[test].mean(), "seconds": dt})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hs", type=Path, default=HS, help="HS 2022 CSV (hscode, description, parent, level)")
    a = ap.parse_args()
    rows = run("zh", *zh_sets(), baseline="char")
    if a.hs.is_file():
        rows += run("en", *en_sets(a.hs), baseline="word")
    else:
        print(f"(no {a.hs}: English part skipped)")
    df = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
