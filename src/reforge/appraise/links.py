"""Links of an appraisal to the chain and to downstream adopters (issue 17, point 4).

For an appraisal's ``item_id``:

* **chains**: every chain that holds the item (``chain_items``), with the item's bottleneck
  label, priority and reason codes on that chain (:func:`reforge.chain.bottlenecks`) for the
  appraisal's year (the latest year of ``supply_links`` when that year has no links; a note
  says so). ``closes_gap`` is true when the label is missing, blank, chokepoint or weak.
  Labels other than chokepoint do not depend on the chain (they come from the item's own
  producers and purchases); chokepoint needs the chain's downstream reach.
* **adopters**: the firms that buy the item (``supply_links.buyer_uscc``) in the appraisal's
  year, or else the latest earlier year with purchases, or else the latest year with any;
  per buyer the purchase value, its number of suppliers, the applicant's own sales of the
  item to it that year, and whether the applicant has supplied it anything (any item, any
  year up to the year used). Top ``top`` by value; totals over all buyers.
* **demands**: the demand side of the matching capability (:func:`reforge.match.match_demands`
  on the demands for the item, as of the end of the appraisal's year): per demand the
  buyer, value, and the applicant's rank among the qualified suppliers, or why it is
  excluded, or that it is no candidate.

All SQL binds its values; the appraisals of a batch go to the engine as one registered
table, so each step is one statement whatever the batch size (DuckDB and Spark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel

from reforge.appraise import sql
from reforge.appraise.result import MessageModel, _opt, _plain
from reforge.engine.base import Engine
from reforge.engine.sqlbuild import ident
from reforge.errors import InvalidInput, ReforgeError
from reforge.messages import Localized, Message, codes_of

GAP_LABELS = ("missing", "blank", "chokepoint", "weak")
TOP = 10


class ChainLinkModel(BaseModel):
    chain_id: str
    chain_name: str | None
    chain_name_zh: str | None
    year: int | None
    label: str | None
    priority: float | None
    closes_gap: bool
    reason_codes: list[dict[str, Any]]
    message: MessageModel


class AdopterModel(BaseModel):
    uscc: str
    name: str | None
    name_en: str | None
    province_code: str | None
    value: float | None
    n_suppliers: int | None
    applicant_value: float | None
    already_supplies: bool


class DemandLinkModel(BaseModel):
    demand_id: str
    uscc: str
    name: str | None
    province_code: str | None
    kind: str | None
    value: float | None
    matched: bool
    applicant_rank: int | None
    n_qualified: int
    status: MessageModel


class LinksModel(BaseModel):
    appraisal_id: str
    uscc: str | None
    item_id: str | None
    item_name: str | None
    item_name_zh: str | None
    year: int | None
    closes_gap: bool
    chains: list[ChainLinkModel]
    adopters_year: int | None
    adopters_total_value: float | None
    adopters_n: int
    adopters: list[AdopterModel]
    demands: list[DemandLinkModel]
    notes: list[MessageModel]


@dataclass
class LinksResult:
    """One appraisal's chain links, adopters and demands (see the module docstring)."""

    appraisal_id: str
    uscc: str | None
    item_id: str | None
    year: int | None
    item_name: str | None = None
    item_name_zh: str | None = None
    chains: list[dict[str, Any]] = field(default_factory=list)   # message: a Message
    adopters: list[dict[str, Any]] = field(default_factory=list)
    adopters_year: int | None = None
    adopters_total_value: float | None = None
    adopters_n: int = 0
    demands: list[dict[str, Any]] = field(default_factory=list)  # status: a Message
    notes: list[Message] = field(default_factory=list)

    @property
    def closes_gap(self) -> bool:
        """True when the item is a gap (missing, blank, chokepoint, weak) on some chain."""
        return any(c["closes_gap"] for c in self.chains)

    def to_dict(self) -> dict[str, Any]:
        return {"appraisal_id": self.appraisal_id, "uscc": self.uscc, "item_id": self.item_id,
                "item_name": self.item_name, "item_name_zh": self.item_name_zh, "year": self.year,
                "closes_gap": self.closes_gap,
                "chains": [{**{k: _plain(v) for k, v in c.items() if k != "message"}, "message": c["message"].to_dict()}
                           for c in self.chains],
                "adopters_year": self.adopters_year, "adopters_total_value": self.adopters_total_value,
                "adopters_n": self.adopters_n, "adopters": [_plain(a) for a in self.adopters],
                "demands": [{**{k: _plain(v) for k, v in d.items() if k != "status"}, "status": d["status"].to_dict()}
                            for d in self.demands],
                "notes": [n.to_dict() for n in self.notes]}

    def model(self) -> LinksModel:
        return LinksModel(**self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per chain and per adopter (``part`` says which)."""
        rows = [{"part": "chain", "id": c["chain_id"], "label": c["label"], "priority": c["priority"],
                 "closes_gap": c["closes_gap"], "value": None, "applicant_value": None,
                 "already_supplies": None} for c in self.chains]
        rows += [{"part": "adopter", "id": a["uscc"], "label": a["name"], "priority": None, "closes_gap": None,
                  "value": a["value"], "applicant_value": a["applicant_value"],
                  "already_supplies": a["already_supplies"]} for a in self.adopters]
        return pd.DataFrame(rows, columns=["part", "id", "label", "priority", "closes_gap", "value",
                                           "applicant_value", "already_supplies"])

    def messages(self) -> list[Message]:
        """Every message of the result (for rendering in another language)."""
        return [c["message"] for c in self.chains] + [d["status"] for d in self.demands] + list(self.notes)

    def summary(self) -> str:
        lines = [f"links of {self.appraisal_id} (item {self.item_id or '-'}, year {self.year or '-'}): "
                 f"{'closes a gap' if self.closes_gap else 'closes no gap'}"]
        lines += [f"  chain {c['chain_id']}: {c['message']} (priority {c['priority']})" for c in self.chains]
        if self.adopters:
            lines.append(f"  adopters in {self.adopters_year}: {self.adopters_n} buyers, "
                         f"{self.adopters_total_value:,.0f} CNY")
        for a in self.adopters:
            lines.append(f"    {a['uscc']} {a['name'] or '-'} ({a['province_code'] or '-'}): {a['value']:,.0f} CNY"
                         f"; applicant sells {a['applicant_value']:,.0f}"
                         f"{'; already a customer' if a['already_supplies'] else ''}")
        for d in self.demands:
            v = "-" if d["value"] is None else f"{d['value']:,.0f}"
            lines.append(f"  demand {d['demand_id']} of {d['uscc']} {d['name'] or '-'} ({v} CNY): {d['status']}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def redacted(self) -> LinksResult:
        """A copy without other firms' purchase and demand values (for an enterprise account):
        the applicant's own sales and the totals stay."""
        return LinksResult(**{**self.__dict__,
                              "adopters": [{**a, "value": None, "n_suppliers": None} for a in self.adopters],
                              "demands": [{**d, "value": None} for d in self.demands]})


def label_message(chain_id: str, item_id: str, label: str | None, chain_name: Localized | None = None,
                  item_name: Localized | None = None) -> Message:
    """``appraise.link.closes`` / ``appraise.link.no_gap`` with the label as a catalog message;
    ``chain``/``item`` are the ids, ``chain_name``/``item_name`` the names in both languages
    (the ids when no name is known)."""
    lab = Message(f"appraise.link.label.{label or 'unknown'}")
    code = "appraise.link.closes" if label in GAP_LABELS else "appraise.link.no_gap"
    return Message(code, {"chain": chain_id, "item": item_id, "label": lab,
                          "chain_name": chain_name or Localized({"en": chain_id}),
                          "item_name": item_name or Localized({"en": item_id})})


def appraisal_links(engine: Engine, appraisal_id: str, top: int = TOP, as_of: str | None = None) -> LinksResult:
    """The links of one appraisal (NotFound when it does not exist)."""
    sql.appraisal(engine, appraisal_id)
    return links_for(engine, [appraisal_id], top, as_of)[0]


def links_for(engine: Engine, appraisal_ids: Sequence[str], top: int = TOP,
              as_of: str | None = None) -> list[LinksResult]:
    """The links of several appraisals, in the order given (unknown ids are left out).

    ``as_of`` (YYYY-MM-DD) fixes the date of the demand matching; default: the end of each
    appraisal's year (today when it has none).
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise InvalidInput("top must be a whole number from 1 to 1000", code="appraise.link.bad_top",
                           params={"value": str(top)[:20]})
    ap = sql.appraisals(engine, list(appraisal_ids))
    order = {a: i for i, a in enumerate(appraisal_ids)}
    ap = ap.assign(_o=ap.appraisal_id.map(order)).sort_values("_o").drop(columns="_o")
    out: dict[str, LinksResult] = {}
    keyed: list[dict[str, Any]] = []
    for r in ap.to_dict("records"):
        r = {k: _opt(None if pd.isna(v) else v) for k, v in r.items()}
        res = LinksResult(str(r["appraisal_id"]), r["uscc"], r["item_id"],
                          None if r["year"] is None else int(r["year"]))
        out[res.appraisal_id] = res
        if res.item_id is None:
            res.notes.append(Message("appraise.link.no_item", {"appraisal_id": res.appraisal_id}))
        else:
            keyed.append({"appraisal_id": res.appraisal_id, "item_id": res.item_id, "uscc": res.uscc or "",
                          "year": res.year})
    if keyed:
        _item_names(engine, out, keyed)
        _chains(engine, out, keyed)
        _adopters(engine, out, keyed, top)
        _demands(engine, out, keyed, top, as_of)
    return list(out.values())


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _item_names(engine: Engine, out: dict[str, LinksResult], keyed: list[dict[str, Any]]) -> None:
    if not engine.table_exists("items"):
        return
    items = sorted({k["item_id"] for k in keyed})
    df = engine.fetch_df(f"SELECT item_id, name, name_zh FROM items WHERE item_id IN ({_marks(len(items))})", items)
    names = {r.item_id: (r.name, r.name_zh) for r in df.itertuples(index=False)}
    for k in keyed:
        res = out[k["appraisal_id"]]
        res.item_name, res.item_name_zh = names.get(res.item_id, (None, None))
        if res.item_id not in names:
            res.notes.append(Message("appraise.link.item_unknown", {"item": res.item_id}))


def _chain_year(engine: Engine, year: int | None, have: set[int]) -> int | None:
    from reforge.chain.metrics import resolve_year
    return year if year is not None and year in have else resolve_year(engine, None)


def _chains(engine: Engine, out: dict[str, LinksResult], keyed: list[dict[str, Any]]) -> None:
    from reforge.chain import bottlenecks
    if not engine.table_exists("chain_items") or not engine.table_exists("chains"):
        for k in keyed:
            out[k["appraisal_id"]].notes.append(Message("appraise.link.no_chain_data", {}))
        return
    items = sorted({k["item_id"] for k in keyed})
    ci = engine.fetch_df("SELECT ci.chain_id, ci.item_id, c.name, c.name_zh FROM chain_items ci "
                         "JOIN chains c ON c.chain_id = ci.chain_id "
                         f"WHERE ci.item_id IN ({_marks(len(items))}) ORDER BY ci.chain_id", items)
    years = sorted({k["year"] for k in keyed if k["year"] is not None})
    have: set[int] = set()
    if years and engine.table_exists("supply_links"):
        have = {int(y) for y in engine.fetch_df(
            f"SELECT DISTINCT year FROM supply_links WHERE year IN ({_marks(len(years))})", years)["year"]}
    cache: dict[tuple[str, int | None], dict[str, dict[str, Any]] | ReforgeError] = {}
    for k in keyed:
        res = out[k["appraisal_id"]]
        mine = ci[ci.item_id == k["item_id"]]
        if mine.empty:
            res.notes.append(Message("appraise.link.no_chain", {"item": k["item_id"]}))
            continue
        y = _chain_year(engine, k["year"], have)
        if y != k["year"]:
            res.notes.append(Message("appraise.link.chain_year", {"year": k["year"], "used": y}))
        for r in mine.itertuples(index=False):
            key = (str(r.chain_id), y)
            if key not in cache:
                try:
                    cache[key] = {i["item_id"]: i for i in bottlenecks(engine, key[0], year=y).items}
                except ReforgeError as e:
                    cache[key] = e
            got = cache[key]
            if isinstance(got, ReforgeError):
                res.notes.append(Message("appraise.link.chain_failed", {"chain": key[0], "error": str(got)[:200]}))
                continue
            it = got.get(k["item_id"], {})
            label = it.get("label")
            res.chains.append({"chain_id": key[0], "chain_name": _opt(r.name), "chain_name_zh": _opt(r.name_zh),
                               "year": y, "label": label, "priority": it.get("priority"),
                               "closes_gap": label in GAP_LABELS,
                               "reason_codes": it.get("reason_codes") or codes_of(it.get("reasons", [])),
                               "message": label_message(
                                   key[0], k["item_id"], label,
                                   Localized({"en": _opt(r.name) or key[0], "zh": _opt(r.name_zh)}),
                                   Localized({"en": it.get("name") or k["item_id"], "zh": it.get("name_zh")}))})
        res.chains.sort(key=lambda c: (not c["closes_gap"], -(c["priority"] or 0.0), c["chain_id"]))


def _adopters(engine: Engine, out: dict[str, LinksResult], keyed: list[dict[str, Any]], top: int) -> None:
    if not engine.table_exists("supply_links"):
        for k in keyed:
            out[k["appraisal_id"]].notes.append(Message("appraise.link.no_purchases", {"item": k["item_id"]}))
        return
    keys = pd.DataFrame(keyed, columns=["appraisal_id", "item_id", "uscc", "year"])
    keys["year"] = keys["year"].astype("Int64")
    name = engine.temp_name("appraise_keys")
    engine.register(name, keys)
    t = ident(name, "table")
    has_ent = engine.table_exists("enterprises")
    ent = ("e.name, e.name_en, e.province_code" if has_ent
           else "CAST(NULL AS VARCHAR) AS name, CAST(NULL AS VARCHAR) AS name_en, CAST(NULL AS VARCHAR) AS province_code")
    join_ent = "LEFT JOIN enterprises e ON e.uscc = p.buyer_uscc" if has_ent else ""
    try:
        used = engine.fetch_df(
            f"SELECT k.appraisal_id, MAX(CASE WHEN k.year IS NULL OR s.year <= k.year THEN s.year END) AS le_year, "
            f"MAX(s.year) AS any_year FROM {t} k JOIN supply_links s ON s.item_id = k.item_id "
            "GROUP BY k.appraisal_id")
        used["year"] = used.le_year.where(used.le_year.notna(), used.any_year).astype(int)
        ykeys = keys.drop(columns="year").merge(used[["appraisal_id", "year"]], on="appraisal_id")
        yname = engine.temp_name("appraise_years")
        engine.register(yname, ykeys)
        y = ident(yname, "table")
        try:
            df = engine.fetch_df(f"""
WITH p AS (
  SELECT k.appraisal_id, s.buyer_uscc, SUM(CAST(s.value AS DOUBLE)) AS value,
         COUNT(DISTINCT s.supplier_id) AS n_suppliers,
         SUM(CASE WHEN s.supplier_type = 'enterprise' AND s.supplier_id = k.uscc
                  THEN CAST(s.value AS DOUBLE) ELSE 0 END) AS applicant_value
  FROM {y} k JOIN supply_links s ON s.item_id = k.item_id AND s.year = k.year
  GROUP BY k.appraisal_id, s.buyer_uscc),
r AS (
  SELECT DISTINCT k.appraisal_id, s.buyer_uscc FROM {y} k
  JOIN supply_links s ON s.supplier_id = k.uscc AND s.supplier_type = 'enterprise' AND s.year <= k.year),
q AS (
  SELECT p.appraisal_id, p.buyer_uscc, p.value, p.n_suppliers, p.applicant_value, {ent},
         r.buyer_uscc IS NOT NULL AS already_supplies,
         ROW_NUMBER() OVER (PARTITION BY p.appraisal_id ORDER BY p.value DESC, p.buyer_uscc) AS pos,
         SUM(p.value) OVER (PARTITION BY p.appraisal_id) AS total_value,
         COUNT(*) OVER (PARTITION BY p.appraisal_id) AS n_buyers
  FROM p {join_ent}
  LEFT JOIN r ON r.appraisal_id = p.appraisal_id AND r.buyer_uscc = p.buyer_uscc)
SELECT * FROM q WHERE pos <= ? ORDER BY appraisal_id, pos""", [int(top)])
        finally:
            engine.drop(yname)
    finally:
        engine.drop(name)
    years = dict(zip(used.appraisal_id, used.year, strict=True))
    groups = {a: g for a, g in df.groupby("appraisal_id", sort=False)}
    for k in keyed:
        res = out[k["appraisal_id"]]
        g = groups.get(res.appraisal_id)
        if g is None:
            res.notes.append(Message("appraise.link.no_purchases", {"item": res.item_id}))
            continue
        res.adopters_year = int(years[res.appraisal_id])
        if res.year is not None and res.adopters_year != res.year:
            res.notes.append(Message("appraise.link.year_fallback", {"item": res.item_id, "year": res.year,
                                                                     "used": res.adopters_year}))
        res.adopters_total_value = float(g.total_value.iloc[0])
        res.adopters_n = int(g.n_buyers.iloc[0])
        res.adopters = [{"uscc": str(a.buyer_uscc), "name": _opt(a.name), "name_en": _opt(a.name_en),
                         "province_code": _opt(a.province_code), "value": float(a.value),
                         "n_suppliers": int(a.n_suppliers), "applicant_value": float(a.applicant_value),
                         "already_supplies": bool(a.already_supplies)}
                        for a in g.itertuples(index=False)]


def _demands(engine: Engine, out: dict[str, LinksResult], keyed: list[dict[str, Any]], top: int,
             as_of: str | None) -> None:
    from reforge.match import match_demands
    from reforge.match.rank import INPUTS
    missing = [t for t in INPUTS if not engine.table_exists(t)]
    if missing:
        for k in keyed:
            out[k["appraisal_id"]].notes.append(Message("appraise.link.no_match_data", {"tables": missing}))
        return
    items = sorted({k["item_id"] for k in keyed})
    dm = engine.fetch_df(f"SELECT demand_id, item_id FROM demands WHERE item_id IN ({_marks(len(items))}) "
                         "ORDER BY demand_id", items)
    if dm.empty:
        return
    by_day: dict[str, list[dict[str, Any]]] = {}
    for k in keyed:
        day = as_of or (f"{int(k['year'])}-12-31" if k["year"] is not None else None) or ""
        by_day.setdefault(day, []).append(k)
    names: dict[str, tuple[Any, Any]] = {}
    for day, ks in by_day.items():
        its = {k["item_id"] for k in ks}
        ids = [str(d) for d, i in zip(dm.demand_id, dm.item_id, strict=True) if i in its]
        if not ids:
            continue
        m = match_demands(engine, ids, day or None)
        buyers = sorted({str(u) for u in m.demands.uscc} - set(names))
        if buyers and engine.table_exists("enterprises"):
            e = engine.fetch_df(f"SELECT uscc, name, province_code FROM enterprises WHERE uscc IN "
                                f"({_marks(len(buyers))})", buyers)
            names.update({str(r.uscc): (r.name, r.province_code) for r in e.itertuples(index=False)})
        cand = m.candidates
        for k in ks:
            res = out[k["appraisal_id"]]
            rows = m.demands[m.demands.item_id == k["item_id"]].copy()
            rows["v"] = pd.to_numeric(rows.value, errors="coerce")
            rows = rows.sort_values(["v", "demand_id"], ascending=[False, True], na_position="last").head(top)
            for d in rows.itertuples(index=False):
                c = cand[cand.demand_id == d.demand_id]
                qualified = c[~c.excluded.astype(bool)]
                mine = c[c.producer_id == res.uscc] if res.uscc else c.iloc[0:0]
                rank = None
                if mine.empty:
                    status = Message("appraise.link.demand_not_candidate", {})
                elif bool(mine.excluded.iloc[0]):
                    status = Message("appraise.link.demand_excluded",
                                     {"reasons": [Message(x.code + "_short") for x in mine.reasons.iloc[0]]})
                else:
                    rank = int(mine["rank"].iloc[0])
                    status = Message("appraise.link.demand_rank", {"rank": rank, "n": len(qualified)})
                nm, prov = names.get(str(d.uscc), (None, None))
                res.demands.append({"demand_id": str(d.demand_id), "uscc": str(d.uscc), "name": _opt(nm),
                                    "province_code": _opt(prov), "kind": _opt(d.kind),
                                    "value": None if pd.isna(d.v) else float(d.v), "matched": bool(d.matched),
                                    "applicant_rank": rank, "n_qualified": int(len(qualified)), "status": status})
