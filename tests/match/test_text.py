"""Text scorer: Chinese/English tokens, BM25 against an independent brute-force computation,
and the right offer first on a small hand-made Chinese corpus."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from reforge.errors import InvalidInput
from reforge.match.text import TextIndex, rank_texts, tokens

# Offers written the way suppliers write: specifications, synonyms and processes, not item names.
OFFERS = [
    "RV减速机，机器人关节专用，额定扭矩1000N·m，回差≤1弧分，摆线针轮精密加工",   # 0 robot reducer
    "谐波减速器 柔轮 刚轮 精密传动 用于协作机器人",                                # 1 harmonic reducer
    "6英寸导电型4H-SiC衬底，微管密度<0.5/cm²，物理气相传输法长晶",               # 2 SiC substrate
    "高纯氧化铝陶瓷基板 96% 流延成型 激光划片",                                   # 3 alumina substrate
    "ArF浸没式光刻胶 化学放大 分辨率38nm",                                        # 4 photoresist
    "交流伺服马达 17位绝对值编码器 额定功率750W",                                  # 5 servo motor
    "深沟球轴承 P4精度 高速主轴 轴承钢淬火",                                      # 6 bearing
    "铝合金压铸件 新能源汽车电驱壳体 低压铸造 T6热处理",                          # 7 castings
    "Harmonic drive gear reducers for collaborative robot joints",                 # 8 English reducer
    "锂离子电池正极材料 磷酸铁锂 高压实密度",                                      # 9 LFP cathode
]
QUERIES = [  # (demand text, index of the right offer)
    ("工业机器人用RV减速器，扭矩800N·m以上，回差不大于1弧分", 0),
    ("碳化硅衬底，6英寸，导电型，用于功率器件外延", 2),
    ("需要光阻剂，193nm浸没式光刻工艺", 4),
    ("伺服电机配绝对值编码器，750W", 5),
    ("P4级高速精密轴承，用于数控机床主轴", 6),
    ("电驱动壳体铝合金铸件，低压铸造工艺", 7),
    ("Al2O3 ceramic substrates, tape casting, 96%", 3),
    ("gear reducer for robot joints, harmonic type", 8),
    ("磷酸铁锂正极材料，锂电池用", 9),
]


def brute_bm25(docs: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """BM25 written out from its definition (Lucene variant), summed over distinct query tokens."""
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    out = np.zeros(n)
    for t in dict.fromkeys(query):
        if df[t] == 0:
            continue
        idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
        for i, d in enumerate(docs):
            tf = d.count(t)
            out[i] += idf * tf / (tf + k1 * (1 - b + b * len(d) / avg))
    return out


def test_chinese_segmentation_synonyms_and_ngrams():
    w = tokens("工业机器人用RV减速机，回差≤1弧分", "words")
    assert "减速器" in w and "减速机" not in w  # synonym mapped to the group's first word
    assert "rv" in w and "机器人" in w and "的" not in w
    assert tokens("伺服马达", "words") == tokens("伺服电机", "words")
    assert tokens("Gear Reducers", "words") == ["齿轮", "减速器"]  # English maps onto the Chinese group
    ng = tokens("减速机", "ngrams")
    assert ng == ["#减速", "#速机"]
    assert set(tokens("减速机", "both")) == {"减速器", "#减速", "#速机"}
    assert tokens(None) == [] and tokens("") == [] and tokens("，。！") == []
    with pytest.raises(InvalidInput) as ei:
        tokens("x", "dense")  # type: ignore[arg-type]
    assert ei.value.code == "match.bad_mode"


@pytest.mark.parametrize("mode", ["words", "ngrams", "both"])
def test_library_bm25_equals_brute_force(mode):
    index = TextIndex(OFFERS, mode)
    for q, _ in QUERIES:
        expected = brute_bm25(index.doc_tokens, tokens(q, mode))
        got = index.scores(q)
        assert got.shape == (len(OFFERS),)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert expected.max() > 0


@pytest.mark.parametrize("mode", ["words", "both"])
def test_right_offer_ranks_first(mode):
    ranked = rank_texts([q for q, _ in QUERIES], OFFERS, top=3, mode=mode)
    firsts = [hits[0].index if hits else None for hits in ranked]
    assert firsts == [right for _, right in QUERIES]


def test_ngrams_alone_find_chinese_offers_without_a_dictionary():
    ranked = rank_texts([q for q, _ in QUERIES if not q.isascii()], OFFERS, top=1, mode="ngrams")
    expected = [right for q, right in QUERIES if not q.isascii()]
    got = [h[0].index for h in ranked]
    assert sum(g == e for g, e in zip(got, expected, strict=True)) >= len(expected) - 1


def test_empty_and_unmatched_queries_score_zero():
    index = TextIndex(OFFERS)
    assert not index.scores("").any() and not index.scores("量子纠缠通信卫星").any()
    assert index.top("量子纠缠通信卫星", 3) == []
    assert TextIndex([]).scores("减速器").shape == (0,)
    assert not TextIndex(["", None]).scores("减速器").any()
    norm = index.normalised(QUERIES[0][0])
    assert norm.max() == pytest.approx(1.0) and norm.min() >= 0
    with pytest.raises(InvalidInput):
        index.top("x", 0)
