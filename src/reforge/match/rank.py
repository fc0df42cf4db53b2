"""Entry points: rank domestic suppliers for each demand, and the matching degree.

:func:`match_demands` generates candidates and applies the hard filters in SQL
(:mod:`reforge.match.sql`), scores the reduced candidate list in Python (BM25 text score from
:mod:`reforge.match.text`, the other parts from the SQL columns, weights from
``weights.yaml``) and ranks the qualified candidates of each demand. :func:`matching_degree`
sends each demand's "has a qualified candidate" flag back to the engine and aggregates the
demand value per item and per chain in SQL.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from reforge.dates import parse_as_of
from reforge.errors import DataMissing, InvalidInput
from reforge.match import sql as q
from reforge.match.params import PARTS, MatchParams, default_params
from reforge.match.result import AssignResult, DegreeResult, MatchResult
from reforge.match.shortlist import pair_count, shortlist
from reforge.match.text import MODES, Mode, TextIndex
from reforge.messages import Localized, Message

INPUTS = ("demands", "enterprises", "capabilities", "offers", "supply_links", "credit_records", "designations")


def _as_of(as_of: str | _dt.date | None) -> str:
    """ISO date (default today in UTC); ``InvalidInput`` (``match.bad_date``) otherwise."""
    return parse_as_of(as_of, "as_of", code="match.bad_date")


def _check_inputs(engine, names: Sequence[str]) -> None:
    missing = [n for n in names if not engine.table_exists(n)]
    if missing:
        raise DataMissing(f"matching needs the tables {', '.join(missing)}; import them first",
                          code="match.no_table", params={"tables": missing})


def _reasons(r: Any) -> list[Message]:
    """The exclusion reasons of one candidate row (a namedtuple of the candidate frame)."""
    out: list[Message] = []
    if r.x_dishonest:
        out.append(Message("match.exclude.dishonest", {"records": int(r.n_dishonest)}))
    if r.x_level:
        if pd.isna(r.tech_level):
            out.append(Message("match.exclude.level_unknown", {"required": int(r.required_level)}))
        else:
            out.append(Message("match.exclude.level_below",
                               {"level": int(r.tech_level), "required": int(r.required_level)}))
    if r.x_capacity:
        out.append(Message("match.exclude.no_capacity", {"spare": float(r.spare_capacity)}))
    if r.x_region:
        out.append(Message("match.exclude.region", {"province": None if pd.isna(r.producer_province)
                                                    else str(r.producer_province), "region": str(r.region_code)}))
    return out


def _parts(c: pd.DataFrame, text: np.ndarray, p: MatchParams) -> pd.DataFrame:
    """The score parts (each in [0, 1]) of the candidate rows ``c``."""
    fit = np.where(c["has_capability"].astype(bool), p.item_fit.capability,
                   np.where(c["has_offer"].astype(bool), p.item_fit.offer, p.item_fit.main_product))
    fit = np.where(c["near"].astype(bool), p.item_fit.neighbour, fit)
    if "item_from_text" in c:  # the item is a guess from the demand's words: no more than a neighbour
        fit = np.where(c["item_from_text"].fillna(False).astype(bool), np.minimum(fit, p.item_fit.neighbour), fit)
    level = pd.to_numeric(c["tech_level"], errors="coerce").fillna(0).to_numpy(float) / 5.0
    spare = pd.to_numeric(c["spare_capacity"], errors="coerce").to_numpy(float)
    value = pd.to_numeric(c["value"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(np.maximum(spare, 0) / value, 0, 1)
    cap = np.where(np.isnan(spare), 0.5, np.where(~(value > 0), (spare > 0).astype(float), ratio))
    pref = c["region_code"].where(c["region_code"].notna(), c["buyer_province"])
    region = (c["producer_province"].notna() & (c["producer_province"] == pref)).to_numpy(float)
    credit = c["tax_rating"].map(p.credit_part).astype(float) if "tax_rating" in c else pd.Series(0.5, index=c.index)
    return pd.DataFrame({"text": text, "item_fit": fit, "level": level, "capacity": cap,
                         "credit": credit.fillna(0.5).to_numpy(float), "region": region,
                         "designation": c["designated"].astype(bool).to_numpy(float),
                         "relation": (pd.to_numeric(c["past_value"]).fillna(0) > 0).to_numpy(float)},
                        index=c.index)


def _fit_messages(engine, c: pd.DataFrame, near: bool) -> list[Message]:
    """Why each candidate's item fit is what it is: a capability, an offer or the main product on
    the demanded item, a capability/offer on a neighbouring item, or the item proposed from the
    words of a demand recorded without one (items named in both languages)."""
    if c.empty:
        return []
    names: dict[str, Localized] = {}
    guessed = c["item_from_text"].fillna(False).astype(bool).to_numpy() if "item_from_text" in c \
        else np.zeros(len(c), bool)
    if (near and bool(c["near"].astype(bool).any())) or guessed.any():
        it = engine.fetch_df("SELECT item_id, name, name_zh FROM items")
        names = {str(r.item_id): Localized({"en": r.name, "zh": r.name_zh}) for r in it.itertuples(index=False)}
    # one message per distinct fit (hundreds of thousands of candidates share a handful of them;
    # building and rendering a Message per row cost seconds)
    same = {k: Message(f"match.fit.{k}") for k in ("capability", "offer", "main_product")}
    via: dict[str, Message] = {}
    out = []
    text: dict[str, Message] = {}
    for i, r in enumerate(c.itertuples(index=False)):
        if bool(r.near):
            k = str(r.via_item)
            if k not in via:
                via[k] = Message("match.fit.neighbour", {"item": names.get(k, k)})
            out.append(via[k])
        elif guessed[i]:
            k = str(r.item_id)
            if k not in text:
                text[k] = Message("match.fit.from_text", {"item": names.get(k, k)})
            out.append(text[k])
        elif bool(r.has_capability):
            out.append(same["capability"])
        elif bool(r.has_offer):
            out.append(same["offer"])
        else:
            out.append(same["main_product"])
    return out


def _text_scores(engine, c: pd.DataFrame, mode: Mode) -> np.ndarray:
    """BM25 of each row's demand text against its candidate's offers on the item (the
    neighbouring item for a neighbour candidate) and main product, divided by the best score
    among the demand's exact candidates, so in [0, 1].

    Exact candidates are scored on an index of the exact candidates' documents alone (so
    neighbours change neither their IDF nor their part); neighbours on an index of all
    documents, divided by the best exact candidate's score on that index (the best neighbour's
    when there is none) and capped at 1."""
    if c.empty:
        return np.zeros(0)
    offers = engine.fetch_df(q.offer_texts_sql())
    joined = offers.groupby(["provider_id", "item_id"], sort=False)["text"].agg(
        lambda s: " ".join(str(t) for t in s if t is not None)) if not offers.empty else pd.Series(dtype=object)
    main = dict(zip(c["producer_id"], c["main_product"], strict=True))
    near = c["near"].astype(bool).to_numpy()
    rk = list(zip(c["producer_id"], c["via_item"], strict=True))
    out = np.zeros(len(c))
    for which in ((~near), None) if near.any() else ((~near),):
        sub = c if which is None else c[which]
        keys = list(dict.fromkeys(zip(sub["producer_id"], sub["via_item"], strict=True)))
        docs = [" ".join(t for t in (joined.get((pid, item)), main.get(pid)) if isinstance(t, str))
                for pid, item in keys]
        index = TextIndex(docs, mode)
        pos = {k: i for i, k in enumerate(keys)}
        for _, rows in pd.Series(range(len(c))).groupby(c["demand_id"].to_numpy(), sort=False):
            idx = rows.to_numpy()
            if which is not None:
                idx = idx[which[idx]]
            elif not near[idx].any():
                continue
            if not idx.size:
                continue
            s = index.scores(c["demand_text"].iloc[idx[0]])[[pos[rk[k]] for k in idx]]
            ex = s[~near[idx]]
            top = ex.max() if ex.size and ex.max() > 0 else s.max()
            val = np.minimum(s / top, 1.0) if top > 0 else np.zeros(idx.size)
            out[idx] = val if which is not None else np.where(near[idx], val, out[idx])
    return out


def _candidates(engine, p: MatchParams, ids: list[str] | None, day: str, near: bool,
                short: pd.DataFrame | None, inferred: pd.DataFrame | None = None) -> pd.DataFrame:
    """The candidate rows of ``candidates_sql``: all producers of each demand's item (and its
    neighbours when ``near``; the item proposed from its words, ``inferred``, when it has none),
    or the shortlisted ones when ``short`` is given."""
    if short is None:
        name = None
        if inferred is not None and not inferred.empty:
            name = engine.temp_name("match_inferred")
            engine.register(name, inferred)
        try:
            sql, bind = q.candidates_sql(p.dishonesty_kinds, p.designation_kinds, ids, neighbours=near, inferred=name)
            return engine.fetch_df(sql, {**bind, "as_of": day}).reset_index(drop=True)
        finally:
            if name is not None:
                engine.drop(name)
    name = engine.temp_name("match_short")
    engine.register(name, short[["demand_id", "producer_id"]])
    try:
        sql, bind = q.candidates_sql(p.dishonesty_kinds, p.designation_kinds, ids, shortlist=name)
        return engine.fetch_df(sql, {**bind, "as_of": day}).reset_index(drop=True)
    finally:
        engine.drop(name)


def _shortlist_scores(c: pd.DataFrame, short: pd.DataFrame) -> np.ndarray:
    """The text part at scale: each candidate's BM25 (from the SQL shortlist) divided by the
    best of its demand's shortlist, so in [0, 1]."""
    if c.empty:
        return np.zeros(0)
    s = short[["demand_id", "producer_id"]].copy()
    s["_text"] = (short["bm25"] / short.groupby("demand_id")["bm25"].transform("max")).to_numpy(float)
    m = c[["demand_id", "producer_id"]].merge(s, on=["demand_id", "producer_id"], how="left")
    return m["_text"].fillna(0.0).to_numpy(float)  # a left merge keeps c's row order


FROM_TEXT_SHARE = 0.5
"""A demand recorded without an item is matched on the chain item whose names its words match
best, when that match scores at least this share of the item's names against themselves."""


def _items_from_text(engine, ids: list[str] | None, mode: Mode) -> pd.DataFrame:
    """``demand_id``, ``item_id``: the chain item proposed from the words of each demand recorded
    without one (BM25 over the items' Chinese and English names, as ``match classify``); demands
    whose best item scores below ``FROM_TEXT_SHARE`` of that item's own names get none."""
    from reforge.match.classify import item_documents
    only, bind = q.in_list("dm", list(ids or []))
    where = f"AND demand_id IN {only}" if ids is not None else ""
    d = engine.fetch_df(f"SELECT demand_id, text FROM demands WHERE item_id IS NULL AND text IS NOT NULL {where} "
                        "ORDER BY demand_id", bind or None)
    out = pd.DataFrame({"demand_id": pd.Series(dtype=object), "item_id": pd.Series(dtype=object)})
    if d.empty or not engine.table_exists("items"):
        return out
    items = item_documents(engine)
    if items.empty:
        return out
    index = TextIndex(items["text"].tolist(), mode, query_tf=True)
    own = np.array([index.scores(t)[i] for i, t in enumerate(items["text"])], float)
    rows = []
    for did, text in zip(d["demand_id"], d["text"], strict=True):
        sc = index.scores(text)
        j = int(np.argmax(sc)) if sc.size else -1  # ties: the first item by id
        if j >= 0 and sc[j] > 0 and sc[j] >= FROM_TEXT_SHARE * own[j]:
            rows.append((did, str(items["item_id"].iloc[j])))
    return pd.DataFrame(rows, columns=["demand_id", "item_id"]) if rows else out


def _status(matched: bool, n: int, reasons: list[list[Message]], item_id: object) -> Message:
    if item_id is None or (isinstance(item_id, float) and item_id != item_id):
        return Message("match.status.no_item")
    if matched:
        return Message("match.status.matched", {"n": n})
    if not reasons:
        return Message("match.status.no_producer")
    common = Counter(m.code for rs in reasons for m in rs).most_common(1)[0][0]
    return Message("match.status.all_excluded", {"n": len(reasons), "reason": Message(common + "_short")})


def match_demands(engine, demand_ids: Sequence[str] | None = None, as_of: str | _dt.date | None = None,
                  mode: Mode = "both", params: MatchParams | None = None, min_score: float = 0.0,
                  progress: Callable[[str], None] | None = None) -> MatchResult:
    """Rank domestic candidate suppliers for each demand (all demands, or ``demand_ids``).

    ``as_of`` (date, default today) decides which credit records and designations are active.
    A candidate is excluded, with reason codes, when it has an active dishonesty record, a
    technology level below the demand's ``required_level`` (or none given), no spare capacity,
    or lies outside the demand's region when the demand accepts only that region. The others
    are ranked by the weighted sum of the score parts; ``min_score`` (0-1) is the lowest score
    that counts a demand as matched.

    At scale (more demand-producer pairs than ``params.scale.pairs``) the candidates of a demand
    are its ``params.scale.top`` best BM25 matches among its item's producers, found in SQL
    (:mod:`reforge.match.shortlist`, tokens from the stored index); neighbouring items are not
    searched, and the result's ``shortlist`` says so.
    """
    if mode not in MODES:
        raise InvalidInput(f"unknown text mode {mode!r}", code="match.bad_mode",
                           params={"mode": str(mode)[:40], "modes": list(MODES)})
    if not 0 <= float(min_score) <= 1:
        raise InvalidInput("min_score must be between 0 and 1", code="match.bad_min_score",
                           params={"value": float(min_score)})
    p = params or default_params()
    day = _as_of(as_of)
    _check_inputs(engine, INPUTS)
    ids = None if demand_ids is None else [str(x) for x in demand_ids]
    if progress:
        progress("candidates")
    near = engine.table_exists("chain_links") and engine.table_exists("items")
    short, inferred = None, None
    if pair_count(engine, ids) > p.scale.pairs:
        if progress:
            progress("shortlist")
        short = shortlist(engine, mode, p.scale.top, ids, p.scale.batch, p.scale.common)
        near = False
        if progress:
            progress("shortlisted candidates")
    else:
        inferred = _items_from_text(engine, ids, mode)
    c = _candidates(engine, p, ids, day, near, short, inferred)
    dsql, dbind = q.demands_sql(ids)
    demands = engine.fetch_df(dsql, dbind or None).reset_index(drop=True)
    guess = dict(zip(inferred["demand_id"], inferred["item_id"], strict=True)) if inferred is not None else {}
    demands["item_from_text"] = demands["item_id"].isna() & demands["demand_id"].isin(guess)
    demands["item_id"] = demands["item_id"].where(~demands["item_from_text"], demands["demand_id"].map(guess))
    if progress:
        progress("scores")
    text = _text_scores(engine, c, mode) if short is None else _shortlist_scores(c, short)
    parts = _parts(c, text, p) if not c.empty else pd.DataFrame(columns=list(PARTS))
    c = pd.concat([c, parts], axis=1)
    flagged = (c[["x_dishonest", "x_level", "x_capacity", "x_region"]].fillna(False).astype(bool).any(axis=1)
               .to_numpy() if not c.empty else np.zeros(0, bool))
    c["reasons"] = [_reasons(r) if f else [] for r, f in zip(c.itertuples(index=False), flagged, strict=True)]
    c["fit"] = _fit_messages(engine, c, near)
    c["excluded"] = [bool(r) for r in c["reasons"]]
    w = p.weights
    c["score"] = sum(c[k].astype(float) * w[k] for k in PARTS) if not c.empty else []
    c.loc[c["excluded"], "score"] = np.nan
    c["rank"] = c[~c["excluded"]].sort_values(["score", "producer_id"], ascending=[False, True]) \
        .groupby("demand_id").cumcount().add(1) if not c.empty else []
    c["rank"] = c["rank"].astype("Int64")
    matched, status = [], []
    if c.empty:
        n_ok: dict = {}
        excl: dict = {}
    else:  # set-wise: a loop over the demands only looks up their counts
        n_ok = ((~c["excluded"]) & (c["score"] >= min_score)).groupby(c["demand_id"], sort=False).sum().to_dict()
        ex = c[c["excluded"]]
        excl = ex.groupby("demand_id", sort=False)["reasons"].agg(list).to_dict() if len(ex) else {}
    for d in demands.itertuples(index=False):
        k = int(n_ok.get(d.demand_id, 0))
        matched.append(k > 0)
        status.append(_status(k > 0, k, excl.get(d.demand_id, []) if k == 0 else [], d.item_id))
    demands["matched"], demands["status"] = matched, status
    keep = ["demand_id", "buyer", "item_id", "via_item", "near", "fit", "kind", "value", "required_level",
            "producer_id", "producer_name",
            "producer_province", "tech_level", "spare_capacity", "has_capability", "has_offer", "n_dishonest",
            "designated", "past_value", "tax_rating", *PARTS, "score", "rank", "excluded", "reasons", "item_from_text"]
    cand = c[keep].sort_values(["demand_id", "rank", "producer_id"], na_position="last").reset_index(drop=True)
    return MatchResult(cand, demands, day, mode, dict(w), PARTS, None if short is None else p.scale.top)


def matching_degree(engine, as_of: str | _dt.date | None = None, mode: Mode = "both",
                    params: MatchParams | None = None, min_score: float = 0.0,
                    items: Sequence[str] | None = None, region: str | None = None) -> DegreeResult:
    """Per item and per chain: demand value, the value of demands with at least one qualified
    domestic candidate (score >= ``min_score``), and their ratio (the matching degree).

    ``items``: match only the demands for these items and return only their rows (a chain's
    figures then sum over these items only); an item board needs one item, not the province.
    ``region`` (GB/T 2260 code): only the demands of that region's firms (issue 19); their
    candidates stay national, and capacities are not shared with other regions' demands.
    """
    _check_inputs(engine, ("chain_items", *INPUTS))
    ids = None
    wanted: list[str] = []
    if items is not None:
        wanted = [str(i) for i in items]
        ids = [str(x) for x in engine.fetch_df(
            f"SELECT demand_id FROM demands WHERE item_id IN ({', '.join('?' for _ in wanted)}) ORDER BY demand_id",
            wanted)["demand_id"]] if wanted else []
    if region is not None:
        mine = region_demands(engine, region)
        ids = mine if ids is None else sorted(set(ids) & set(mine))
    return degree_of(engine, match_demands(engine, ids, as_of, mode, params, min_score), wanted, region)


def degree_of(engine, res: MatchResult, wanted: Sequence[str] = (), region: str | None = None) -> DegreeResult:
    """The matching degree of the demands of ``res`` (a :func:`match_demands` result), per item
    and per chain, aggregated in SQL over their recorded items (needs ``chain_items``); with
    ``wanted``, only those items' rows."""
    keep = [str(i) for i in wanted]
    name = engine.temp_name("match_ok")
    flags = pd.DataFrame({"demand_id": res.demands["demand_id"].astype(str),
                          "matched": res.demands["matched"].astype(bool)})
    engine.register(name, flags)
    try:
        items = engine.fetch_df(q.degree_sql(name, by_chain=False))
        per = engine.fetch_df(q.degree_sql(name, by_chain=True))
    finally:
        engine.drop(name)
    if keep:
        items = items[items["item_id"].isin(keep)]
        per = per[per["item_id"].isin(keep)]
    for df in (items, per):
        for col in ("n_demands", "n_matchable"):
            df[col] = df[col].astype(int)
        for col in ("demand_value", "matchable_value"):
            df[col] = df[col].astype(float)
    chains = per.groupby("chain_id", as_index=False)[["n_demands", "n_matchable", "demand_value",
                                                      "matchable_value"]].sum()
    for df in (items, chains):
        df["degree"] = np.where(df["demand_value"] > 0, df["matchable_value"] / df["demand_value"].where(
            df["demand_value"] > 0, 1), np.nan)
    items = items.sort_values("item_id").reset_index(drop=True)
    chains = chains.sort_values("chain_id").reset_index(drop=True)
    return DegreeResult(items, chains, res.as_of, region)


def region_demands(engine, region: str) -> list[str]:
    """Ids of the demands posted by firms in GB/T 2260 ``region`` or below, sorted."""
    from reforge.region import region_clause
    cond, bind = region_clause(region)
    return [str(x) for x in engine.fetch_df(
        f"SELECT d.demand_id FROM demands d JOIN enterprises e ON e.uscc = d.uscc WHERE {cond} ORDER BY d.demand_id",
        bind)["demand_id"]]


def assign_demands(engine, demand_ids: Sequence[str] | None = None, as_of: str | _dt.date | None = None,
                   mode: Mode = "both", params: MatchParams | None = None, min_score: float = 0.0) -> AssignResult:
    """Assign demand value to qualified suppliers (score >= ``min_score``) maximising the matched
    value under each supplier's spare capacity on the item (unknown spare capacity: unlimited).

    Each demand's unassigned value gets a reason: its match status when it has no qualified
    supplier, ``match.unmatched.no_value`` without a value, ``match.unmatched.capacity_taken``
    when its suppliers' capacity went to other demands.
    """
    from reforge.match.assign import Edge, assign_flows
    res = match_demands(engine, demand_ids, as_of, mode, params, min_score)
    c = res.candidates
    ok = c[~c["excluded"] & (c["score"] >= min_score)]
    slot = ok["producer_id"].astype(str) + "\x1f" + ok["via_item"].astype(str)
    spare = pd.to_numeric(ok["spare_capacity"], errors="coerce")
    caps = {k: (float(v) if v == v else float("inf")) for k, v in zip(slot, spare, strict=True)}
    values = {str(d): float(v) for d, v in zip(res.demands["demand_id"], res.demands["value"], strict=True)
              if v == v and v is not None and v > 0}
    edges = [Edge(str(d), s, float(sc)) for d, s, sc in zip(ok["demand_id"], slot, ok["score"], strict=True)]
    flows = assign_flows(values, caps, edges)
    score = {(e.demand, e.slot): e.score for e in edges}
    rows = [(d, s.split("\x1f")[0], s.split("\x1f")[1], x, score[(d, s)]) for (d, s), x in flows.items()]
    fdf = pd.DataFrame(rows, columns=["demand_id", "producer_id", "item_id", "value", "score"]) \
        .sort_values(["demand_id", "value", "producer_id"], ascending=[True, False, True]).reset_index(drop=True)
    got = fdf.groupby("demand_id")["value"].sum() if len(fdf) else pd.Series(dtype=float)
    used = {}
    for (_, s), x in flows.items():
        used[s] = used.get(s, 0.0) + x
    slots = pd.DataFrame([(s.split("\x1f")[0], s.split("\x1f")[1], caps[s], used.get(s, 0.0)) for s in caps],
                         columns=["producer_id", "item_id", "capacity", "used"])
    out = []
    for d in res.demands.itertuples(index=False):
        v = None if d.value is None or d.value != d.value else float(d.value)
        a = float(got.get(d.demand_id, 0.0))
        short = max((v or 0.0) - a, 0.0)
        if not d.matched:
            st = d.status
        elif not v:
            st = Message("match.unmatched.no_value")
        elif short > 1e-6 * max(v, 1.0):
            st = Message("match.unmatched.capacity_taken", {"short": short})
        else:
            st = Message("match.assign.full")
        out.append((d.demand_id, v, a, short, st))
    ddf = pd.DataFrame(out, columns=["demand_id", "value", "assigned", "unmatched", "status"])
    return AssignResult(fdf, ddf, slots, res.as_of, float(min_score))


__all__ = ["INPUTS", "assign_demands", "degree_of", "match_demands", "matching_degree", "region_demands"]
