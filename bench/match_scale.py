"""Matching at scale, end to end: N offers and M demands in a DuckDB file, every demand matched.

Steps, each in a child process so that each peak memory (max RSS) is its own:

1. ``build``: the 2,000-firm demo province (seed 7: chains, items, credit records,
   designations, supply links), then ``--offers`` synthetic offers from ``--offers / 4`` new
   producers (each with a capability and a main product on its item) and ``--demands``
   synthetic demands from the demo's firms. Texts follow the demo's generator: the item's
   Chinese name (half of the time with a synonym), a specification and a process word from
   ``reforge.demo.matching``, and two runs of 4-10 characters cut from the GB/T 4754-2017
   notes (real Chinese industrial vocabulary) as noise. Items are drawn with weight
   1/sqrt(rank), so the largest item holds about 4 % of all offers and demands.
2. ``index``: ``refresh_index`` (the stored text index) from nothing; then 1,000 offer texts
   are edited and the index refreshed again (the incremental case).
3. ``match``: ``match_demands`` over all demands (shortlist in SQL, candidates, hard filters,
   score parts, ranks), as ``reforge match run`` does.
4. ``recall``: on ``--compare`` random demands, the SQL shortlist (top 10) searched in full
   (every shared term generates candidates: the peer) and pruned (rare terms first, common
   terms ranked once per signature, with a bound: the default), alternating, twice each, and
   whether both give the same lists (and how many demands the pruned search redid in full);
   then the pruned lists against exact search on ``--check`` of those demands: bm25s over every
   (producer, item) document, the full score vector of the demand, restricted to its item's
   producers, sorted. A shortlisted producer counts as right when its exact score reaches the
   exact 10th score (ties).

usage: python bench/match_scale.py [--offers 1000000] [--demands 100000] [--db PATH] [--check 200]
       [--compare 10000] [--mode both] [--keep]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(db: Path, n_offers: int, n_demands: int) -> dict:
    import numpy as np
    import pyarrow as pa

    from reforge.demo.load import build_demo
    from reforge.demo.matching import PROCESS_WORDS, SPEC_WORDS, _name
    from reforge.engine import DuckDBEngine
    from reforge.match.classify import industry_documents
    t0 = time.perf_counter()
    res, _ = build_demo(db, n_firms=2000, seed=7)
    if not res.ok:
        raise SystemExit("demo import failed")
    e = DuckDBEngine(db)
    rng = np.random.default_rng(15)
    items = e.fetch_df("SELECT item_id, name_zh FROM items WHERE foundation <> 'end_product' ORDER BY item_id")
    buyers = e.fetch_df("SELECT uscc, province_code FROM enterprises ORDER BY uscc")["uscc"].to_numpy()
    notes = "".join(t.replace(" ", "") for t in industry_documents(notes=True)["text"])
    weight = 1 / np.sqrt(np.arange(1, len(items) + 1))
    weight = weight[rng.permutation(len(items))] / weight.sum()
    ids, zh = items["item_id"].to_numpy(), items["name_zh"].to_list()

    def noise() -> str:
        s = int(rng.integers(0, len(notes) - 12))
        return notes[s:s + int(rng.integers(4, 11))]

    def text(i: int, offer: bool) -> str:
        spec, proc = SPEC_WORDS[int(rng.integers(0, 8))], PROCESS_WORDS[int(rng.integers(0, 8))]
        if offer:
            return f"供应{_name(zh[i], rng)}，{spec}，采用{proc}，{noise()}，{noise()}，可提供样品与技术支持"
        return f"采购{_name(zh[i], rng)}，{spec}，{proc}工艺，{noise()}，{noise()}，年需求稳定"

    n_prod = max(1, n_offers // 4)
    prod_item = rng.choice(len(items), size=n_prod, p=weight)
    provinces = ["110000", "310000", "320000", "330000", "440000", "370000", "420000", "510000"]
    uscc = np.array([f"9X{k:016d}" for k in range(n_prod)])
    e.register("_p", pa.table({
        "uscc": uscc, "name": [f"合成供应商{k}" for k in range(n_prod)],
        "province_code": rng.choice(provinces, size=n_prod), "industry_code": np.full(n_prod, "C3484"),
        "main_product": [text(int(i), True)[2:].split("，")[0] for i in prod_item],
        "main_item_id": ids[prod_item]}))
    e.execute("INSERT INTO enterprises (uscc, name, province_code, industry_code, main_product, main_item_id) "
              "SELECT * FROM _p")
    e.register("_c", pa.table({"producer_id": uscc, "item_id": ids[prod_item],
                               "tech_level": rng.integers(1, 6, size=n_prod).astype(np.int32),
                               "capacity": np.round(np.exp(rng.normal(np.log(2e7), 1, size=n_prod)), -3),
                               "spare_capacity": np.round(np.exp(rng.normal(np.log(5e6), 1.2, size=n_prod)), -3)}))
    e.execute("INSERT INTO capabilities (producer_id, producer_type, item_id, tech_level, capacity, spare_capacity) "
              "SELECT producer_id, 'enterprise', item_id, tech_level, capacity, spare_capacity FROM _c")
    # an offer on the producer's item; one in five on another item it makes too
    who = rng.integers(0, n_prod, size=n_offers)
    other = rng.random(n_offers) < 0.2
    oitem = np.where(other, rng.choice(len(items), size=n_offers, p=weight), prod_item[who])
    e.register("_o", pa.table({
        "offer_id": [f"OFX{k:09d}" for k in range(n_offers)], "provider_id": uscc[who], "item_id": ids[oitem],
        "text": [text(int(i), True) for i in oitem],
        "capacity": np.round(np.exp(rng.normal(np.log(5e6), 1.2, size=n_offers)), -3),
        "tech_level": rng.integers(1, 6, size=n_offers).astype(np.int32)}))
    e.execute("INSERT INTO offers (offer_id, provider_id, provider_type, item_id, text, year, capacity, tech_level) "
              "SELECT offer_id, provider_id, 'enterprise', item_id, text, 2025, capacity, tech_level FROM _o")
    ditem = rng.choice(len(items), size=n_demands, p=weight)
    e.register("_d", pa.table({
        "demand_id": [f"DMX{k:09d}" for k in range(n_demands)], "uscc": rng.choice(buyers, size=n_demands),
        "item_id": ids[ditem], "text": [text(int(i), False) for i in ditem],
        "value": np.round(np.exp(rng.normal(np.log(5e6), 0.6, size=n_demands)), -3),
        "required_level": rng.integers(1, 5, size=n_demands).astype(np.int32)}))
    e.execute("INSERT INTO demands (demand_id, uscc, item_id, kind, text, year, value, required_level) "
              "SELECT demand_id, uscc, item_id, 'purchase', text, 2025, value, required_level FROM _d")
    e.execute("CHECKPOINT")
    n = {t: e.count(t) for t in ("enterprises", "offers", "demands", "capabilities")}
    e.close()
    return {"step": "build", "seconds": time.perf_counter() - t0, "rows": n, "peak_mb": _peak_mb()}


def index(db: Path, mode: str) -> dict:
    from reforge.engine import DuckDBEngine
    from reforge.match.index import refresh_index
    e = DuckDBEngine(db)
    t0 = time.perf_counter()
    first = refresh_index(e, mode)
    t_first = time.perf_counter() - t0
    e.execute("UPDATE offers SET text = text || '，可加急' WHERE offer_id IN "
              "(SELECT offer_id FROM offers WHERE provider_type = 'enterprise' ORDER BY offer_id LIMIT 1000)")
    t0 = time.perf_counter()
    again = refresh_index(e, mode)
    t_again = time.perf_counter() - t0
    e.execute("CHECKPOINT")
    e.close()
    return {"step": "index", "first": first.to_dict(), "first_seconds": t_first, "after_1000_edits": again.to_dict(),
            "incremental_seconds": t_again, "peak_mb": _peak_mb()}


def match(db: Path, mode: str) -> dict:
    from reforge.engine import DuckDBEngine
    from reforge.match import match_demands
    e = DuckDBEngine(db, read_only=True)
    steps: dict[str, float] = {}
    t0 = last = time.perf_counter()

    def tick(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[f"until {name}"] = now - last
        last = now

    r = match_demands(e, as_of="2026-01-15", mode=mode, progress=tick)
    total = time.perf_counter() - t0
    steps["scores and ranks"] = time.perf_counter() - last
    d = r.demands
    return {"step": "match", "seconds": total, "steps": steps, "demands": len(d),
            "matched": int(d["matched"].sum()), "candidate_rows": len(r.candidates), "shortlist": r.shortlist,
            "peak_mb": _peak_mb()}


def recall(db: Path, mode: str, check: int, compare: int) -> dict:
    import bm25s
    import numpy as np

    from reforge.engine import DuckDBEngine
    from reforge.match.shortlist import KEYS_SQL, shortlist
    from reforge.match.text import tokens
    e = DuckDBEngine(db, read_only=True)
    rng = np.random.default_rng(3)
    dem = e.fetch_df("SELECT demand_id, uscc, item_id, text FROM demands WHERE item_id IS NOT NULL ORDER BY demand_id")
    sample = dem.iloc[np.sort(rng.choice(len(dem), size=min(compare, len(dem)), replace=False))]
    ids = list(sample["demand_id"])
    # side by side on the same demands: the full SQL search (every shared term generates
    # candidates) and the pruned one (rare terms first, common terms once per signature), alternating, twice each
    times: dict[str, list[float]] = {"full": [], "pruned": []}
    res = {}
    stats: dict[str, int] = {}
    for _ in range(2):
        for name, common in (("full", 1.0), ("pruned", None)):
            t0 = time.perf_counter()
            if common is None:
                stats.clear()
                res[name] = shortlist(e, mode, 10, ids, stats=stats)
            else:
                res[name] = shortlist(e, mode, 10, ids, common=common)
            times[name].append(time.perf_counter() - t0)
    same = res["full"].reset_index(drop=True).equals(res["pruned"].reset_index(drop=True))
    got = res["pruned"]
    pick = sample.iloc[np.sort(rng.choice(len(sample), size=min(check, len(sample)), replace=False))]
    # exact search, independent of the SQL: bm25s over the same documents
    docs: dict[tuple[str, str], list[str]] = {}
    for p, i, t in e.fetch_rows("SELECT provider_id, item_id, text FROM offers WHERE provider_type = 'enterprise' "
                                "AND item_id IS NOT NULL AND text IS NOT NULL"):
        docs.setdefault((p, i), []).extend(tokens(t, mode))
    main = dict(e.fetch_rows("SELECT uscc, main_product FROM enterprises WHERE main_product IS NOT NULL"))
    for p, i in e.fetch_rows(KEYS_SQL):
        if p in main:
            docs.setdefault((p, i), []).extend(tokens(main[p], mode))
    keys = [k for k, v in docs.items() if v]
    bm = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    bm.index([docs[k] for k in keys], show_progress=False)
    del docs
    prod = np.array([k[0] for k in keys])
    item = np.array([k[1] for k in keys])
    rec, t_exact = [], 0.0
    for d in pick.itertuples(index=False):
        t1 = time.perf_counter()
        qids = [i for i in bm.get_tokens_ids(list(dict.fromkeys(tokens(d.text, mode)))) if i is not None]
        s = np.asarray(bm.get_scores_from_ids(qids), float) if qids else np.zeros(len(keys))
        s[(item != d.item_id) | (prod == d.uscc)] = 0
        order = np.argsort(-s, kind="stable")
        t_exact += time.perf_counter() - t1
        pos = s[order[:10]]
        want = pos[pos > 0]
        mine = got[got["demand_id"] == d.demand_id]
        if not len(want):
            rec.append(float(mine.empty))
            continue
        tenth = want[-1]
        on_item = item == d.item_id  # a producer has one document per item it makes
        exact = dict(zip(prod[on_item], s[on_item], strict=True))
        ok = sum(1 for p in mine["producer_id"] if exact.get(p, 0.0) >= tenth - 1e-4 * max(tenth, 1))
        rec.append(ok / len(want))
    return {"step": "recall", "compared": len(ids), "full_seconds": times["full"], "pruned_seconds": times["pruned"],
            "pruned_equals_full": bool(same), "pruned_redone_in_full": stats.get("redone"), "checked": len(rec), "recall_at_10": float(np.mean(rec)),
            "min_recall": float(np.min(rec)), "bm25s_exact_seconds_per_1000": 1000 * t_exact / max(len(rec), 1),
            "peak_mb": _peak_mb()}


def _child(step: str, a: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--step", step, "--db", str(a.db), "--offers", str(a.offers),
           "--demands", str(a.demands), "--check", str(a.check), "--compare", str(a.compare), "--mode", a.mode]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offers", type=int, default=1_000_000)
    ap.add_argument("--demands", type=int, default=100_000)
    ap.add_argument("--check", type=int, default=200, help="demands checked against exact search (bm25s)")
    ap.add_argument("--compare", type=int, default=10_000, help="demands searched in full and pruned, side by side")
    ap.add_argument("--mode", default="both", help="text mode (words, ngrams, both, chars)")
    ap.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--step", choices=("build", "index", "match", "recall"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        fn = {"build": lambda: build(a.db, a.offers, a.demands), "index": lambda: index(a.db, a.mode),
              "match": lambda: match(a.db, a.mode), "recall": lambda: recall(a.db, a.mode, a.check, a.compare)}[a.step]
        print(json.dumps(fn(), ensure_ascii=False))
        return
    tmp = None
    if a.db is None:
        tmp = tempfile.mkdtemp(prefix="reforge-match-scale-")
        a.db = Path(tmp) / "scale.duckdb"
    try:
        for step in ("build", "index", "match", "recall"):
            if step == "build" and a.db.exists():
                print(json.dumps({"step": "build", "skipped": f"{a.db} exists"}))
                continue
            print(json.dumps(_child(step, a), ensure_ascii=False), flush=True)
    finally:
        if tmp and not a.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            print(f"database kept: {a.db}", file=sys.stderr)


if __name__ == "__main__":
    main()
