"""Scale of the text ranker: BM25 (``chars`` tokens) over N offer texts, top-10 for M demand
texts, with time and peak memory per step, and the sparse top-k checked against exact search
(full score vector + argsort) on a sample of queries. The top-k is bm25s's own retrieval.

Texts are synthetic Chinese: offers and demands are random runs of 4-12 characters cut from the
GB/T 4754-2017 names and notes (real Chinese product/industry vocabulary), 3-6 runs per text,
so the vocabulary and term statistics are those of real descriptions. This measures the ranker
alone, not the SQL candidate generation of ``match_demands``.

usage: python bench/match_scale.py [--offers 1000000] [--demands 100000] [--check 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(n: int, rng: np.random.Generator, source: str) -> list[str]:
    """``n`` texts of 3-6 random character runs (4-12 characters) of ``source``."""
    L = len(source)
    ks = rng.integers(3, 7, size=n)
    starts = rng.integers(0, L - 12, size=int(ks.sum())).tolist()
    lens = rng.integers(4, 13, size=int(ks.sum())).tolist()
    out, j = [], 0
    for k in ks.tolist():
        out.append("，".join(source[s:s + m] for s, m in zip(starts[j:j + k], lens[j:j + k], strict=True)))
        j += k
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offers", type=int, default=1_000_000)
    ap.add_argument("--demands", type=int, default=100_000)
    ap.add_argument("--check", type=int, default=200, help="queries checked against exact search")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="bm25s retrieval threads")
    a = ap.parse_args()
    import bm25s

    from reforge.match.classify import industry_documents
    from reforge.match.text import tokens
    d = industry_documents(notes=True)
    source = "".join(t.replace(" ", "") for t in d["text"])
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    offers = corpus(a.offers, rng, source)
    demands = corpus(a.demands, rng, source)
    print(f"texts: {a.offers:,} offers, {a.demands:,} demands in {time.perf_counter() - t0:.1f} s; "
          f"peak {_peak_mb():,.0f} MB")
    t0 = time.perf_counter()
    toks = [tokens(x, "chars") for x in offers]
    t_tok = time.perf_counter() - t0
    t0 = time.perf_counter()
    bm = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    bm.index(toks, show_progress=False)
    del toks
    t_idx = time.perf_counter() - t0
    print(f"index: tokens {t_tok:.1f} s, BM25 index {t_idx:.1f} s; peak {_peak_mb():,.0f} MB")
    t0 = time.perf_counter()
    qt = [tokens(x, "chars") for x in demands]
    t_qtok = time.perf_counter() - t0
    vocab = bm.vocab_dict
    qt = [[w for w in q if w in vocab] or [next(iter(vocab))] for q in qt]
    qids = [[vocab[w] for w in q] for q in qt]
    t0 = time.perf_counter()
    top, _ = bm.retrieve(qt, k=10, show_progress=False, n_threads=a.threads)  # bm25s sparse top-k
    t_q = time.perf_counter() - t0
    print(f"queries: tokens {t_qtok:.1f} s, top-10 {t_q:.1f} s = {1000 * t_q / len(qids):.2f} s per 1,000 "
          f"queries; peak {_peak_mb():,.0f} MB")
    rec = []
    for i in rng.choice(len(qids), size=min(a.check, len(qids)), replace=False):
        s = bm.get_scores_from_ids(qids[i]) if qids[i] else np.zeros(a.offers)
        exact = set(np.argsort(-s, kind="stable")[:10].tolist())
        tenth = np.sort(s)[-10]
        got = set(top[i].tolist())
        rec.append(len(got & exact) / 10 if tenth > np.sort(s)[-11] else
                   float(all(s[j] >= tenth for j in got)))  # ties at the 10th score: any tied id is exact
    print(f"top-10 recall against exact search on {len(rec)} queries: {np.mean(rec):.3f}")


if __name__ == "__main__":
    main()
