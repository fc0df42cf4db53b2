"""Pre-research groups: upstream makers with the downstream users who would adopt (预研).

Targets: every ``pre_research`` demand with an item (the demanding firm is the first adopter)
and every item the chain capability labels ``blank`` or ``chokepoint``. For each target, each
eligible upstream maker forms a group with the adopters - the demanding firm, then the firms
that buy the item from abroad today (``supply_links`` with a foreign supplier), most imported
value first. Groups are ranked by

    score = w_capability x fit x level/5 + w_credit x credit + w_relation x relations

(weights in ``weights.yaml``, ``groups``): ``fit`` 1 for a capability on the item, 0.5 on a
chain neighbour, ``level`` the maker's technology level (unknown: 2.5), ``credit`` the grade
part of the joint-research capability (latest tax rating against its floor), ``relations`` the
share of the group's adopters the maker has supplied before. Maker candidates, credit grades and
exclusion records come from :mod:`reforge.research` (the same SQL and rules as its consortium
proposals, ``reforge match partners``, which picks one lead with institutions and a platform;
here the alternatives are ranked side by side, without institutions).
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from reforge.engine import Engine
from reforge.errors import InvalidInput, NotFound
from reforge.match.params import default_params as match_params
from reforge.match.result import GroupsResult
from reforge.messages import Localized, Message
from reforge.research import sql as rq
from reforge.research.common import as_of_date, check_tables
from reforge.research.params import default_params as research_params
from reforge.research.partners import _grade_parts

INPUTS = ("items", "enterprises", "capabilities", "chain_links", "credit_records", "designations", "demands")
TARGET_LABELS = ("blank", "chokepoint")


def _opt(v: object) -> object:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _relations(engine: Engine) -> set[tuple[str, str]]:
    if not engine.table_exists("supply_links"):
        return set()
    df = engine.fetch_df("SELECT DISTINCT supplier_id, buyer_uscc FROM supply_links WHERE supplier_type = 'enterprise'")
    return set(zip(df["supplier_id"].astype(str), df["buyer_uscc"].astype(str), strict=True))


def pre_research_groups(engine: Engine, item: str | None = None, as_of: str | _dt.date | None = None,
                        top: int = 3, adopters: int | None = None,
                        labels: pd.DataFrame | None = None) -> GroupsResult:
    """The ``top`` best maker groups for each pre-research target (or those of ``item``).

    ``as_of`` (default today) decides the active exclusion records, designations and the latest
    tax rating; ``adopters`` (default: the research parameter ``adopters_per_consortium``) caps
    the adopters per group; ``labels`` defaults to the chain capability's item labels.
    """
    if not isinstance(top, int) or not 1 <= top <= 50:
        raise InvalidInput("top must be between 1 and 50", code="match.bad_top", params={"top": str(top)[:20]})
    rp, w = research_params(), match_params().groups
    n_adopt = rp.adopters_per_consortium if adopters is None else int(adopters)
    if not 1 <= n_adopt <= 50:
        raise InvalidInput("adopters must be between 1 and 50", code="match.groups.bad_adopters",
                           params={"value": n_adopt})
    day = as_of_date(as_of)
    check_tables(engine, INPUTS)
    items = engine.fetch_df("SELECT item_id, name, name_zh FROM items ORDER BY item_id").set_index("item_id")
    if item is not None and item not in items.index:
        raise NotFound(f"item {str(item)[:64]!r} not found", code="research.item_not_found",
                       params={"item": str(item)[:64]})
    if labels is None:
        from reforge.research.need import item_labels
        labels = item_labels(engine)
    lab: dict[str, str] = {}
    for r in labels[labels["label"].isin(TARGET_LABELS)].sort_values(["label", "item_id"]).itertuples():
        lab.setdefault(str(r.item_id), str(r.label))
    targets: list[tuple[str, str | None, str | None]] = []  # (item, demand_id, demanding firm)
    dem = engine.fetch_df("SELECT demand_id, uscc, item_id FROM demands WHERE kind = 'pre_research' "
                          "AND item_id IS NOT NULL ORDER BY demand_id")
    for r in dem.itertuples():
        if (item is None or r.item_id == item) and r.item_id in items.index:
            targets.append((str(r.item_id), str(r.demand_id), str(r.uscc)))
    targets += [(i, None, None) for i in sorted(lab) if item is None or i == item]
    ids = sorted({t[0] for t in targets})
    sql, b = rq.leads_sql(ids, rp.exclusion_kinds, rp.tier_kinds)
    makers = engine.fetch_df(sql, {**b, "as_of": day})
    if engine.table_exists("supply_links"):
        sql, b = rq.adopters_sql(ids)
        buyers = engine.fetch_df(sql, b)
    else:
        buyers = pd.DataFrame(columns=["item_id", "uscc", "name", "bought", "imported"])
    sql, b = rq.active_records_sql(rp.exclusion_kinds)
    bad = engine.fetch_df(sql, {**b, "as_of": day})
    bad_kind = dict(zip(bad["uscc"], bad["kind"], strict=True))
    ent = engine.fetch_df("SELECT uscc, name FROM enterprises")
    firm_names = dict(zip(ent["uscc"].astype(str), ent["name"], strict=True))
    rel = _relations(engine)
    scale, floor = list(rp.tax_ratings), rp.credit_floor.tax_rating
    out = []
    for iid, demand_id, firm in targets:
        iname = Localized({"en": _opt(items.at[iid, "name"]) or iid, "zh": _opt(items.at[iid, "name_zh"])})
        excluded: list[dict] = []
        pool: list[dict] = []
        seen: set[str] = set()
        bu = buyers[(buyers["item_id"] == iid) & (pd.to_numeric(buyers["imported"]) > 0)] \
            .sort_values(["imported", "uscc"], ascending=[False, True])
        rows = ([(firm, firm_names.get(firm), None)] if firm else []) + \
            [(str(r.uscc), _opt(r.name), float(r.imported)) for r in bu.itertuples()]
        for u, nm, imported in rows:
            if u in seen:
                continue
            seen.add(u)
            if u in bad_kind:
                excluded.append({"uscc": u, "name": nm, "role": "adopter", "reason": Message(
                    "research.exclude.record", {"kind": Message(f"research.record.{bad_kind[u]}")})})
                continue
            pool.append({"uscc": u, "name": nm, "imported": imported, "demand_id": demand_id if u == firm else None})
        groups = []
        for r in makers[makers["item_id"] == iid].itertuples():
            if r.uscc == firm:
                continue
            if r.uscc in bad_kind:
                excluded.append({"uscc": r.uscc, "name": _opt(r.name), "role": "maker", "reason": Message(
                    "research.exclude.record", {"kind": Message(f"research.record.{bad_kind[r.uscc]}")})})
                continue
            grade = _opt(r.tax_rating)
            credit, why = _grade_parts(grade, scale, floor)  # type: ignore[arg-type]
            if why is not None:
                excluded.append({"uscc": r.uscc, "name": _opt(r.name), "role": "maker",
                                 "reason": Message(why, {"grade": grade or "-", "floor": floor})})
                continue
            ad = [a for a in pool if a["uscc"] != r.uscc][:n_adopt]
            level = _opt(r.tech_level)
            capability = float(r.fit) * (float(level) / 5 if level is not None else 0.5)
            supplied = sum(1 for a in ad if (r.uscc, a["uscc"]) in rel)
            relation = supplied / len(ad) if ad else 0.0
            vals = {"capability": capability, "credit": float(credit), "relation": relation}
            reasons = {
                "capability": Message("match.groups.part.capability.item" if float(r.fit) == 1
                                      else "match.groups.part.capability.near",
                                      {"item": iname, "level": None if level is None else int(level)}),
                "credit": Message("match.groups.part.credit", {"grade": grade, "floor": floor}),
                "relation": Message("match.groups.part.relation", {"n": supplied, "of": len(ad)}),
            }
            parts = [{"part": k, "value": round(vals[k], 6), "weight": w[k], "points": round(w[k] * vals[k], 6),
                      "reason": reasons[k]} for k in ("capability", "credit", "relation")]
            groups.append({"score": round(sum(p["points"] for p in parts), 6),
                           "maker": {"uscc": r.uscc, "name": _opt(r.name), "fit": float(r.fit),
                                     "tech_level": None if level is None else int(level), "grade": grade,
                                     "tier": _opt(r.tier), "province_code": _opt(r.province_code)},
                           "adopters": ad, "parts": parts})
        groups.sort(key=lambda g: (-g["score"], g["maker"]["uscc"]))
        groups = [{"rank": k, **g} for k, g in enumerate(groups[:top], 1)]
        status = (Message("match.groups.ok", {"item": iname, "n": len(groups), "adopters": len(pool)}) if groups
                  else Message("match.groups.no_maker", {"item": iname, "excluded": len(excluded)}))
        out.append({"target": f"demand:{demand_id}" if demand_id else f"item:{iid}",
                    "source": "demand" if demand_id else "item", "item_id": iid, "item_name": str(iname),
                    "item_name_zh": _opt(items.at[iid, "name_zh"]), "label": lab.get(iid), "demand_id": demand_id,
                    "groups": groups, "excluded": excluded, "status": status})
    return GroupsResult(day, dict(w), floor, out)


__all__ = ["INPUTS", "TARGET_LABELS", "pre_research_groups"]
