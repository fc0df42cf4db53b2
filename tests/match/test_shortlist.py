"""The SQL text shortlist at scale: its BM25 equals bm25s (an independent implementation) over
the same documents, its top-k equals a brute-force sort, batches and demand subsets change
nothing, and ``match_demands`` on the shortlist keeps every other score part and reason. The
shortlist runs on DuckDB and Spark alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.match import default_params, match_demands
from reforge.match.params import PARTS
from reforge.match.shortlist import pair_count, shortlist
from reforge.match.text import tokens
from tests.conftest import put_tables
from tests.match.test_rank import planted


def _reference(tables: dict[str, pd.DataFrame], mode: str) -> dict[str, dict[str, float]]:
    """{demand_id: {producer_id: BM25 > 0}} by bm25s over the (producer, item) documents
    (offer texts on the item plus the main product; only documents with a token count)."""
    import bm25s
    ent, off, cap, dem = (tables[k] for k in ("enterprises", "offers", "capabilities", "demands"))
    off = off[(off["provider_type"] == "enterprise") & off["item_id"].notna()]
    keys = set(zip(cap.loc[cap["producer_type"] == "enterprise", "producer_id"],
                   cap.loc[cap["producer_type"] == "enterprise", "item_id"], strict=True))
    keys |= set(zip(off["provider_id"], off["item_id"], strict=True))
    keys |= {(u, i) for u, i in zip(ent["uscc"], ent["main_item_id"], strict=True) if isinstance(i, str)}
    main = {u: m for u, m in zip(ent["uscc"], ent["main_product"], strict=True) if isinstance(m, str)}
    docs: dict[tuple[str, str], list[str]] = {}
    for p, i, t in zip(off["provider_id"], off["item_id"], off["text"], strict=True):
        docs.setdefault((p, i), []).extend(tokens(t, mode))
    for p, i in sorted(keys):
        if p in main:
            docs.setdefault((p, i), []).extend(tokens(main[p], mode))
    ks = [k for k, v in docs.items() if v]
    bm = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    bm.index([docs[k] for k in ks], show_progress=False)
    out: dict[str, dict[str, float]] = {}
    for d in dem.itertuples(index=False):
        if not isinstance(d.item_id, str):
            continue
        ids = [i for i in bm.get_tokens_ids(list(dict.fromkeys(tokens(d.text, mode)))) if i is not None]
        s = np.asarray(bm.get_scores_from_ids(ids), float) if ids else np.zeros(len(ks))
        out[d.demand_id] = {k[0]: float(v) for k, v in zip(ks, s, strict=True)
                            if k[1] == d.item_id and k[0] != d.uscc and v > 0}
    return out


@pytest.mark.parametrize("mode", ["both", "chars"])
def test_shortlist_equals_bm25s_and_brute_force_top(any_engine, mode):
    tables = planted()
    put_tables(any_engine, tables)
    ref = _reference(tables, mode)
    got = shortlist(any_engine, mode, top=100)
    assert set(got["demand_id"]) == {d for d, v in ref.items() if v}
    for d, want in ref.items():
        mine = got[got["demand_id"] == d]
        assert dict(zip(mine["producer_id"], mine["bm25"], strict=True)) == pytest.approx(want, rel=1e-5)
    # top 2: the first two of a sort by score (ties by producer id); the buyer is never listed
    top2 = shortlist(any_engine, mode, top=2)
    for d, want in ref.items():
        order = sorted(want, key=lambda p: (-round(want[p], 4), p))[:2]
        assert list(top2.loc[top2["demand_id"] == d, "producer_id"]) == order
    assert "B1" not in set(got["producer_id"])
    # D1's own words are closest to the low-level decoy's offer
    assert got.loc[(got["demand_id"] == "D1") & (got["text_rank"] == 1), "producer_id"].item() == "S_LOW"


@pytest.fixture
def mem():
    """A fresh in-memory DuckDB engine without the schema (the tables are the test's own)."""
    from reforge.engine import DuckDBEngine
    e = DuckDBEngine(":memory:")
    yield e
    e.close()


def test_batches_and_subsets_change_nothing(mem):
    duck = mem
    put_tables(duck, planted())
    full = shortlist(duck, "both", top=5)
    assert shortlist(duck, "both", top=5, batch=1).equals(full)
    one = shortlist(duck, "both", top=5, demand_ids=["D1"])
    assert one.equals(full[full["demand_id"] == "D1"].reset_index(drop=True))
    assert shortlist(duck, "both", top=5, demand_ids=[]).empty
    assert pair_count(duck, None) == 10  # D1: 7 rv_reducer keys (buyer included), D2: 2, D4: 1
    assert pair_count(duck, ["D2"]) == 2


def test_random_corpora_against_bm25s(mem):
    """Random texts over a small vocabulary, three items: every shortlisted score equals bm25s."""
    rng = np.random.default_rng(5)
    vocab = ["减速器", "轴承", "伺服", "精密", "磨削", "陶瓷", "gear", "sensor", "涂层", "焊接", "高纯", "车规"]
    items = ["a", "b", "c"]
    n_firms = 40

    def text() -> str:
        return "，".join(rng.choice(vocab, size=int(rng.integers(1, 6))))

    ent = pd.DataFrame({"uscc": [f"F{i:03d}" for i in range(n_firms)], "name": "x", "province_code": "320000",
                        "main_product": [text() if rng.random() < 0.5 else None for _ in range(n_firms)],
                        "main_item_id": [items[int(rng.integers(0, 3))] if rng.random() < 0.3 else None
                                         for _ in range(n_firms)]})
    off = pd.DataFrame({"offer_id": [f"O{i}" for i in range(120)],
                        "provider_id": [f"F{int(rng.integers(0, n_firms)):03d}" for _ in range(120)],
                        "provider_type": "enterprise", "item_id": [items[int(rng.integers(0, 3))] for _ in range(120)],
                        "text": [text() for _ in range(120)]})
    cap = pd.DataFrame({"producer_id": [f"F{i:03d}" for i in range(0, n_firms, 3)], "producer_type": "enterprise",
                        "item_id": [items[i % 3] for i in range(0, n_firms, 3)]})
    dem = pd.DataFrame({"demand_id": [f"D{i:02d}" for i in range(30)],
                        "uscc": [f"F{int(rng.integers(0, n_firms)):03d}" for _ in range(30)],
                        "item_id": [items[i % 3] for i in range(30)], "text": [text() for _ in range(30)]})
    tables = {"enterprises": ent, "offers": off, "capabilities": cap, "demands": dem}
    put_tables(mem, tables)
    ref = _reference(tables, "words")
    got = shortlist(mem, "words", top=1000)
    for d, want in ref.items():
        mine = got[got["demand_id"] == d]
        assert dict(zip(mine["producer_id"], mine["bm25"], strict=True)) == pytest.approx(want, rel=1e-5)
    assert len(got) == sum(len(v) for v in ref.values()) > 100


def test_match_demands_on_the_shortlist(any_engine):
    put_tables(any_engine, planted())
    p = default_params()
    scaled = p.model_copy(update={"scale": p.scale.model_copy(update={"pairs": 0, "top": 20})})
    small = match_demands(any_engine, as_of="2026-01-15")
    big = match_demands(any_engine, as_of="2026-01-15", params=scaled)
    assert small.shortlist is None and big.shortlist == 20 and big.to_dict()["shortlist"] == 20
    assert any("20" in line for line in big.summary("en")[1:])
    a, b = small.candidates, big.candidates
    # the shortlisted candidates: the exact ones that share a token with the demand
    sl = shortlist(any_engine, "both", top=20)
    assert set(zip(b["demand_id"], b["producer_id"], strict=True)) == set(
        zip(sl["demand_id"], sl["producer_id"], strict=True))
    m = a[~a["near"]].merge(b, on=["demand_id", "producer_id"], suffixes=("_a", "_b"))
    assert len(m) == len(b)
    for k in [p for p in PARTS if p != "text"]:
        assert (m[f"{k}_a"] == m[f"{k}_b"]).all(), k
    assert (m["excluded_a"] == m["excluded_b"]).all()
    assert [[x.code for x in r] for r in m["reasons_a"]] == [[x.code for x in r] for r in m["reasons_b"]]
    d1 = big.for_demand("D1").set_index("producer_id")
    assert list(d1[d1["rank"].notna()].sort_values("rank").index) == ["S_TRUE", "S_OK2"]  # S_OLDBAD: no shared token
    assert d1["text"].max() == pytest.approx(1.0) and d1.loc["S_LOW", "text"] == pytest.approx(1.0)


@pytest.mark.parametrize("common", [0.05, 0.3, 1.0])
def test_pruned_search_equals_the_full_search(mem, common):
    """Rare-term candidates plus the common-term lists per signature and their bound give the
    full search's top lists: random corpora whose every document repeats its item's name (the
    common terms), three list lengths."""
    rng = np.random.default_rng(11)
    names = {"a": "谐波减速器", "b": "伺服电机", "c": "碳化硅衬底"}
    vocab = ["精密", "磨削", "陶瓷", "涂层", "焊接", "高纯", "车规", "轴承", "柔轮", "gear", "sensor", "寿命"]

    def text(item: str) -> str:
        return names[item] + "，" + "，".join(rng.choice(vocab, size=int(rng.integers(0, 4))))

    n = 60
    off_items = [list(names)[int(rng.integers(0, 3))] for _ in range(300)]
    tables = {
        "enterprises": pd.DataFrame({"uscc": [f"F{i:03d}" for i in range(n)], "name": "x", "province_code": "1",
                                     "main_product": None, "main_item_id": None}),
        "offers": pd.DataFrame({"offer_id": [f"O{i}" for i in range(300)],
                                "provider_id": [f"F{int(rng.integers(0, n)):03d}" for _ in range(300)],
                                "provider_type": "enterprise", "item_id": off_items,
                                "text": [text(i) for i in off_items]}),
        "capabilities": pd.DataFrame({"producer_id": ["F000"], "producer_type": "enterprise", "item_id": ["a"]}),
        "demands": pd.DataFrame({"demand_id": [f"D{i:02d}" for i in range(40)],
                                 "uscc": [f"F{int(rng.integers(0, n)):03d}" for _ in range(40)],
                                 "item_id": [list(names)[i % 3] for i in range(40)],
                                 "text": [text(list(names)[i % 3]) for i in range(40)]})}
    put_tables(mem, tables)
    redone = []
    for top in (1, 3, 10):
        full = shortlist(mem, "both", top, common=1.0)  # nothing is common: every candidate generated
        assert len(full) == 40 * top
        stats: dict[str, int] = {}
        got = shortlist(mem, "both", top, common=common, batch=7, stats=stats)
        pd.testing.assert_frame_equal(got, full)
        assert stats["demands"] == 40
        redone.append(stats["redone"])
    if common < 1:  # both ways are taken: lists settled by the bound, and lists searched again in full
        assert max(redone) > 0 and max(redone) < 40, redone
    else:  # no common term: the candidates are every document sharing a term, nothing to redo
        assert redone == [0, 0, 0]
