"""Text scoring for Chinese and English: segmentation plus BM25.

A text becomes tokens in one of three ways (``mode``):

- ``words``: jieba segmentation (Chinese), word split (Latin letters and digits), lower-cased,
  NFKC-normalised, stop words dropped, synonyms mapped to one word (``synonyms.yaml``);
- ``ngrams``: character bigrams of each Chinese run (a one-character run stays whole) and
  Latin words, so unseen compounds still share parts (``减速器`` and ``减速机`` share ``减速``);
- ``both``: the words plus the Chinese bigrams (Latin words once);
- ``chars``: character unigrams and bigrams of each Chinese run plus Latin words: the best
  tokens for short taxonomy names against long descriptions (``bench/match_classify.py``).

:class:`TextIndex` scores a query against a fixed list of candidate texts with BM25 (the
Lucene variant, via bm25s): ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`` and a term's part
``idf * tf / (tf + k1 * (1 - b + b * len / avglen))``, summed over the query's distinct tokens.
Scores are unitless and comparable only within one index; :meth:`TextIndex.normalised`
divides by the query's own best possible score so they fall in [0, 1].
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from reforge.errors import InvalidInput

Mode = Literal["words", "ngrams", "both", "chars"]
MODES: tuple[str, ...] = ("words", "ngrams", "both", "chars")

_SYNONYMS = Path(__file__).with_name("synonyms.yaml")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z0-9][a-z0-9.+\-]*[a-z0-9]|[a-z0-9]")
_WORDCHAR = re.compile(r"\w")
STOP_WORDS = frozenset({
    "的", "了", "和", "与", "及", "或", "等", "用于", "用", "可", "对", "为", "在", "是", "有", "以",
    "需要", "需求", "采购", "提供", "供应", "我们", "公司", "本", "年",
    "a", "an", "and", "or", "the", "of", "for", "to", "in", "on", "with", "by", "we", "our", "need",
    "needs", "supply", "supplies", "offer", "offers", "provide", "per", "year",
})


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """``{word: canonical word}`` from ``synonyms.yaml`` (validated: every group a list of words)."""
    from pydantic import BaseModel, field_validator

    from reforge.settings.yaml_files import safe_load

    class _File(BaseModel):
        version: int
        groups: list[list[str]]

        @field_validator("groups")
        @classmethod
        def _non_empty(cls, v: list[list[str]]) -> list[list[str]]:
            if any(len(g) < 2 for g in v):
                raise ValueError("a synonym group needs at least two words")
            return v

    data = _File.model_validate(safe_load(_SYNONYMS.read_text(encoding="utf-8")))
    out: dict[str, str] = {}
    for group in data.groups:
        canon = _norm(group[0])
        for w in group:
            out[_norm(w)] = canon
    return out


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).lower().strip()


@lru_cache(maxsize=1)
def _jieba():
    """A private jieba tokenizer that knows every synonym word (so ``伺服马达`` stays one word);
    jieba's global tokenizer is left as it is."""
    import jieba
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in synonyms():
        if _CJK.search(w):
            tk.add_word(w)
    return tk


def load_tokenizer() -> None:
    """Load the segmentation dictionary now (~0.5 s, once per process): a server does it at its
    start, so that no request of a matching, board or classification page waits for it."""
    _jieba()


def _stem(word: str) -> str:
    """A light English plural strip (``joints`` -> ``joint``); other words unchanged."""
    if len(word) > 3 and word.isalpha() and word.isascii():
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    return word


def word_tokens(text: str) -> list[str]:
    """Segmented words of ``text`` (jieba for Chinese), normalised, stop words out, synonyms mapped."""
    syn = synonyms()
    out: list[str] = []
    for piece in _jieba().lcut(_norm(text), HMM=True):
        piece = piece.strip()
        if not piece or not _WORDCHAR.search(piece):
            continue
        if _CJK.search(piece):
            words = [piece]
        else:
            words = [_stem(w) for w in _LATIN.findall(piece)]
        for w in words:
            if w in STOP_WORDS:
                continue
            out.append(syn.get(w, w))
    return out


def ngram_tokens(text: str, latin: bool = True, unigrams: bool = False) -> list[str]:
    """Character bigrams of each Chinese run (prefixed ``#``), also every single character when
    ``unigrams``, and, when ``latin``, Latin words."""
    t = _norm(text)
    out: list[str] = []
    for run in _CJK.findall(t):
        if unigrams and len(run) > 1:
            out += ["#" + ch for ch in run]
        if len(run) == 1:
            out.append("#" + run)
        else:
            out += ["#" + run[i:i + 2] for i in range(len(run) - 1)]
    if not latin:
        return out
    syn = synonyms()
    for w in _LATIN.findall(_CJK.sub(" ", t)):
        w = _stem(w)
        if w not in STOP_WORDS:
            out.append(syn.get(w, w))
    return out


def tokens(text: str | None, mode: Mode = "both") -> list[str]:
    """Tokens of ``text`` for ``mode`` (see the module docstring); ``[]`` for empty or missing text."""
    if mode not in MODES:
        raise InvalidInput(f"unknown text mode {mode!r}; use one of {', '.join(MODES)}",
                           code="match.bad_mode", params={"mode": str(mode)[:40], "modes": list(MODES)})
    if text is None or (isinstance(text, float) and text != text):
        return []
    if mode == "words":
        return word_tokens(text)
    if mode == "ngrams":
        return ngram_tokens(text)
    if mode == "chars":
        return ngram_tokens(text, unigrams=True)
    return word_tokens(text) + ngram_tokens(text, latin=False)


@dataclass(frozen=True)
class Hit:
    """One ranked candidate: its position in the candidate list and its BM25 score."""

    index: int
    score: float


class TextIndex:
    """BM25 (Lucene variant, bm25s) over a fixed list of candidate texts.

    ``k1`` (term-frequency saturation) and ``b`` (length normalisation) are the usual BM25
    parameters. Empty candidate texts are allowed (they score 0). With ``query_tf`` a token
    that occurs n times in the query counts n times (long queries such as descriptions);
    otherwise each distinct query token counts once.
    """

    def __init__(self, texts: Sequence[str | None], mode: Mode = "both", k1: float = 1.5, b: float = 0.75,
                 query_tf: bool = False) -> None:
        import bm25s
        self.mode: Mode = mode
        self.query_tf = bool(query_tf)
        self.k1, self.b = float(k1), float(b)
        self.doc_tokens: list[list[str]] = [tokens(t, mode) for t in texts]
        self.n = len(self.doc_tokens)
        self._bm25 = None
        if self.n and any(self.doc_tokens):
            bm = bm25s.BM25(method="lucene", k1=self.k1, b=self.b)
            bm.index([d if d else [""] for d in self.doc_tokens], show_progress=False)
            self._bm25 = bm

    def scores(self, query: str | None) -> np.ndarray:
        """BM25 score of every candidate for ``query`` (float64, length = number of candidates)."""
        if self._bm25 is None:
            return np.zeros(self.n)
        q = tokens(query, self.mode)
        if not self.query_tf:
            q = list(dict.fromkeys(q))
        ids = [i for i in self._bm25.get_tokens_ids(q) if i is not None]
        vocab_empty = self._bm25.vocab_dict.get("")
        ids = [i for i in ids if i != vocab_empty]
        if not ids:
            return np.zeros(self.n)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float64)

    def normalised(self, query: str | None) -> np.ndarray:
        """Scores in [0, 1]: each divided by the best score of this query (0 when nothing matches)."""
        s = self.scores(query)
        top = float(s.max()) if s.size else 0.0
        return s / top if top > 0 else s

    def top(self, query: str | None, k: int = 10) -> list[Hit]:
        """The ``k`` best candidates with a positive score, best first (ties by position)."""
        if k < 1:
            raise InvalidInput("top must be at least 1", code="match.bad_top", params={"top": k})
        s = self.scores(query)
        order = np.lexsort((np.arange(self.n), -s))
        return [Hit(int(i), float(s[i])) for i in order[:k] if s[i] > 0]


def rank_texts(queries: Sequence[str | None], candidates: Sequence[str | None], top: int = 5,
               mode: Mode = "both", query_tf: bool = False) -> list[list[Hit]]:
    """For each query, the ``top`` best candidate texts (index and score), best first
    (``query_tf``: see :class:`TextIndex`)."""
    index = TextIndex(candidates, mode, query_tf=query_tf)
    return [index.top(q, top) for q in queries]


__all__ = ["MODES", "STOP_WORDS", "Hit", "Mode", "TextIndex", "ngram_tokens", "rank_texts", "synonyms",
           "tokens", "word_tokens"]
