"""Partner and consortium proposals (``reforge match partners``).

For each target - an item labelled blank, chokepoint or weak by the chain capability, and each
``rd`` demand with an item - a consortium of:

- a **lead enterprise**: a capability on the item (fit 1) or on a chain neighbour of it (fit
  0.5), a credit grade at or above the floor (``params.yaml``: latest tax rating by default,
  or the stored credit scorecard's grade with ``grade_source="scorecard"``), tier status;
- **institutions**, ranked by the link score ``strength x w_s + min(past, 3) / 3 x w_p +
  same province x w_r`` (field strength on the item, past collaborations with the lead);
- the **platform** whose fields include the item (open services first, then most services);
- **downstream adopters**: the R&D demand's firm, then the item's domestic buyers by value
  imported, then by value bought.

Firms under an active exclusion record (serious dishonesty, dishonest debtor, abnormal
operation) are never proposed, in any role; they are listed as excluded with the reason, as are
leads without a grade or below the floor. Every lead candidate is scored as a whole consortium;
the best one is proposed. Every part of the score carries a coded message explaining its value.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from reforge.engine import Engine
from reforge.errors import DataMissing, InvalidInput, NotFound
from reforge.messages import Localized, Message
from reforge.research import sql as q
from reforge.research.common import as_of_date, check_tables
from reforge.research.need import NEED_LABELS, item_labels
from reforge.research.params import PARTS, ResearchParams, default_params
from reforge.research.result import PartnersResult

INPUTS = ("items", "enterprises", "capabilities", "chain_links", "credit_records", "designations",
          "institutions", "institution_fields")
GRADE_SOURCES = ("tax_rating", "scorecard")


def _opt(v: object) -> object:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _scorecard_grades(engine: Engine) -> tuple[dict[str, str], list[str]]:
    """Grade per uscc from the stored credit scorecard (latest year), and the grade names."""
    from reforge.credit.grades import load_grades
    from reforge.credit.pipeline import score
    from reforge.errors import ReforgeError
    try:
        res = score(engine)
    except ReforgeError as err:
        raise DataMissing(f"no credit grades: {err}", code="research.no_credit_model", params={}) from None
    df = res.frame
    return dict(zip(df["uscc"], df["grade"], strict=True)), load_grades().names


def _grade_parts(grade: str | None, scale: list[str], floor: str) -> tuple[float | None, str | None]:
    """(credit part in (0, 1], None) when at or above the floor, else (None, reason code)."""
    if grade is None or grade not in scale:
        return None, "research.exclude.no_grade"
    r, f = scale.index(grade), scale.index(floor)
    if r > f:
        return None, "research.exclude.credit_floor"
    return (f - r + 1) / (f + 1), None


def _table_or_empty(engine: Engine, table: str, sql: str, bind: dict, cols: list[str]) -> pd.DataFrame:
    if not engine.table_exists(table):
        return pd.DataFrame(columns=cols)
    return engine.fetch_df(sql, bind)


def propose_partners(engine: Engine, item: str | None = None, as_of: str | _dt.date | None = None,
                     grade_source: str = "tax_rating", credit_floor: str | None = None,
                     params: ResearchParams | None = None, labels: pd.DataFrame | None = None,
                     include_demands: bool = True) -> PartnersResult:
    """Consortium proposals for every target item and ``rd`` demand (or those of ``item``).

    ``as_of`` (date, default today) decides which credit records and designations are active and
    which tax rating is the latest. ``credit_floor`` overrides the floor of ``grade_source``.
    ``labels`` defaults to :func:`reforge.research.need.item_labels` on the engine's data.
    """
    p = params or default_params()
    day = as_of_date(as_of)
    if grade_source not in GRADE_SOURCES:
        raise InvalidInput(f"grade source {str(grade_source)[:20]!r} is not one of {GRADE_SOURCES}",
                           code="research.bad_grade_source", params={"value": str(grade_source)[:20]})
    check_tables(engine, INPUTS)
    if grade_source == "tax_rating":
        scale, grades = list(p.tax_ratings), None
        floor = credit_floor or p.credit_floor.tax_rating
    else:
        grades, scale = _scorecard_grades(engine)
        floor = credit_floor or p.credit_floor.scorecard
    if floor not in scale:
        raise InvalidInput(f"credit floor {str(floor)[:10]!r} is not one of {', '.join(scale)}",
                           code="research.bad_floor", params={"value": str(floor)[:10], "grades": scale})
    items = engine.fetch_df("SELECT item_id, name, name_zh FROM items ORDER BY item_id").set_index("item_id")
    if item is not None and item not in items.index:
        raise NotFound(f"item {str(item)[:64]!r} not found", code="research.item_not_found",
                       params={"item": str(item)[:64]})
    labels = item_labels(engine) if labels is None else labels
    order = {lab: k for k, lab in enumerate(NEED_LABELS)}
    lab = {}
    for r in labels.assign(o=labels["label"].map(order)).sort_values(["o", "item_id"]).itertuples():
        lab.setdefault(r.item_id, r.label)
    targets: list[tuple[str, str, str | None, str | None]] = []  # (target, item, demand_id, demand firm)
    for iid in sorted(lab, key=lambda i: (order[lab[i]], i)):
        if item is None or iid == item:
            targets.append((f"item:{iid}", iid, None, None))
    if include_demands and engine.table_exists("demands"):
        for r in engine.fetch_df(q.rd_demands_sql()).itertuples():
            if (item is None or r.item_id == item) and r.item_id in items.index:
                targets.append((f"demand:{r.demand_id}", str(r.item_id), str(r.demand_id), str(r.uscc)))
    if item is not None and not targets:
        targets.append((f"item:{item}", item, None, None))
    ids = sorted({t[1] for t in targets})
    sql, b = q.leads_sql(ids, p.exclusion_kinds, p.tier_kinds)
    leads = engine.fetch_df(sql, {**b, "as_of": day})
    sql, b = q.institutions_sql(ids)
    inst = engine.fetch_df(sql, b)
    sql, b = q.pair_counts_sql()
    pairs = _table_or_empty(engine, "collaborations", sql, b, ["uscc", "institution_id", "n"])
    past = {(r.uscc, r.institution_id): int(r.n) for r in pairs.itertuples()}
    firms_of: dict[object, set] = {}  # institution -> the firms that have worked with it
    for f, i in past:
        firms_of.setdefault(i, set()).add(f)
    sql, b = q.platforms_for_sql(ids)
    plats = _table_or_empty(engine, "platform_fields", sql, b, ["item_id", "platform_id"]) \
        if engine.table_exists("platforms") else pd.DataFrame(columns=["item_id", "platform_id"])
    sql, b = q.adopters_sql(ids)
    adopt = _table_or_empty(engine, "supply_links", sql, b, ["item_id", "uscc", "name", "bought", "imported"])
    sql, b = q.active_records_sql(p.exclusion_kinds)
    bad = engine.fetch_df(sql, {**b, "as_of": day})
    bad_kind = dict(zip(bad["uscc"], bad["kind"], strict=True))
    names = {}
    if len(leads):
        names.update(zip(leads["uscc"], leads["name"], strict=True))
    w = p.weights
    lw = p.link_weights
    wp = [w[k] for k in PARTS]
    if len(wp) != 7:  # the score below names the seven parts by position
        raise RuntimeError(f"seven consortium score parts expected, got {PARTS}")
    proposals = []

    def by_item(df: pd.DataFrame, name: str) -> dict[object, list]:
        """The frame's rows per item_id in frame order, as named tuples of one class (a boolean
        scan per target cost seconds on a province; a DataFrame per item cost 0.2 s on the 20k demo)."""
        out: dict[object, list] = {}
        for r in df.itertuples(index=False, name=name):
            out.setdefault(r.item_id, []).append(r)
        return out

    leads_by, inst_by = by_item(leads, "Lead"), by_item(inst, "Institution")
    # per item the best platform: open services first, then most services, then the lowest id
    best_plat: dict[object, object] = {}
    if len(plats):
        ranked_plats = plats.assign(o=plats["open_services"].astype(bool)).sort_values(
            ["o", "n_services", "platform_id"], ascending=[False, False, True], kind="stable")
        for r in ranked_plats.itertuples(index=False, name="Platform"):
            best_plat.setdefault(r.item_id, r)
    # the adopters sorted once, as plain rows per item
    adopt = adopt.sort_values(["imported", "bought", "uscc"], ascending=[False, False, True], kind="stable")
    adopt_rows: dict[object, list] = {}
    for i, u, n, b, m in zip(adopt["item_id"], adopt["uscc"], adopt["name"], adopt["bought"], adopt["imported"],
                             strict=True):
        adopt_rows.setdefault(i, []).append((u, _opt(n), float(b), float(m)))
    grade_made: dict[object, tuple[float | None, str | None]] = {}  # a few grades over 60,000 leads
    item_names = {i: (_opt(n), _opt(z)) for i, n, z in zip(items.index, items["name"], items["name_zh"], strict=True)}
    reasons_made: dict[tuple, Message] = {}

    def reason(code: str, kind: str | None = None, grade: str | None = None) -> Message:
        """An exclusion reason; one shared message per distinct reason (tens of thousands of
        excluded leads share a few dozen, and each message is rendered when made)."""
        k = (code, kind, grade)
        if k not in reasons_made:
            reasons_made[k] = (Message(code, {"kind": Message(f"research.record.{kind}")}) if kind is not None
                               else Message(code, {"grade": grade, "floor": floor}))
        return reasons_made[k]

    def item_state(iid: object) -> dict:
        """What every target on an item shares (items recur over demand targets), made once per item:
        each candidate lead excluded with why (``leads``: (uscc, excluded entry or None)), the best
        platform, and per eligible lead the institutions it would take and the first six score parts
        summed left to right (``scored``; the adopters part depends on the target)."""
        leads_of: list[tuple] = []
        ok_leads: list[tuple] = []
        for r in leads_by.get(iid, ()):
            if r.uscc in bad_kind:
                leads_of.append((r.uscc, {"id": r.uscc, "name": _opt(r.name), "role": "lead", "detail": {
                    "reason": reason("research.exclude.record", kind=bad_kind[r.uscc])}}))
                continue
            grade = grades.get(r.uscc) if grades is not None else _opt(r.tax_rating)
            if grade not in grade_made:
                grade_made[grade] = _grade_parts(grade, scale, floor)
            credit, why = grade_made[grade]
            if why is not None:
                leads_of.append((r.uscc, {"id": r.uscc, "name": _opt(r.name), "role": "lead",
                                          "detail": {"reason": reason(why, grade=grade or "-")}}))
            else:
                leads_of.append((r.uscc, None))
                ok_leads.append((r, grade, credit))
        platform = None
        best = best_plat.get(iid)
        if best is not None:
            platform = {"id": str(best.platform_id), "name": _opt(best.name), "role": "platform",
                        "detail": {"open_services": bool(best.open_services), "services": int(best.n_services),
                                   "name_en": _opt(best.name_en)}}
        plat_val = 0.0 if platform is None else (1.0 if platform["detail"]["open_services"] else 0.5)
        # per institution: (row, id, strength, province or None)
        ins_rows = [(i, i.institution_id, float(i.strength), _opt(i.province_code))
                    for i in inst_by.get(iid, ())]
        ins_ids = {x[1] for x in ins_rows}
        worked = set().union(*(firms_of.get(i, ()) for i in ins_ids))  # with one of the item's institutions
        picked: dict[tuple, tuple] = {}  # (lead or None, lead's province) -> institutions, their two parts
        rows, partial = [], []
        for r, grade, credit in ok_leads:
            # the institutions a lead would take, with their mean strength and share of past partners;
            # a lead that has worked with none of the item's institutions ranks them by province alone
            who = r.uscc if r.uscc in worked else None
            got = picked.get((who, r.province_code))
            if got is None:
                ranked = []
                for i, inst_id, strength, prov in ins_rows:
                    n_past = past.get((r.uscc, inst_id), 0)
                    same = bool(prov is not None and prov == r.province_code)
                    ls = lw.strength * strength + lw.past * min(n_past, 3) / 3 + lw.region * same
                    ranked.append((-ls, inst_id, i, n_past, same, ls))
                ranked.sort(key=lambda x: (x[0], x[1]))
                chosen = ranked[: p.institutions_per_consortium]
                got = picked[(who, r.province_code)] = (
                    chosen, (sum(float(c[2].strength) for c in chosen) / len(chosen)) if chosen else 0.0,
                    (sum(1 for c in chosen if c[3] > 0) / len(chosen)) if chosen else 0.0)
            chosen, inst_val, past_val = got
            tier = _opt(r.tier)
            v6 = (float(r.fit), float(credit), 1.0 if tier else 0.0, inst_val, past_val, plat_val)  # PARTS order
            rows.append((r, grade, credit, tier, v6, chosen))
            partial.append(0 + wp[0] * v6[0] + wp[1] * v6[1] + wp[2] * v6[2] + wp[3] * v6[3] + wp[4] * v6[4]
                           + wp[5] * v6[5])
        scored = {"rows": rows, "usccs": np.array([x[0].uscc for x in rows], dtype=object),
                  "partial": np.array(partial, dtype=float)}
        return {"leads": leads_of, "platform": platform, "scored": scored}

    adopters_made: dict[object, tuple[list, list]] = {}

    def item_adopters(iid: object) -> tuple[list, list]:
        """The item's buyers in order, each once, made once per item: those under an exclusion
        record, and the first eligible ones (two more than a pool: enough for any target, whose
        own firm may be among them)."""
        if iid not in adopters_made:
            bad, good, seen = [], [], set()
            for row in adopt_rows.get(iid, []):
                if row[0] in seen:
                    continue
                seen.add(row[0])
                if row[0] in bad_kind:
                    bad.append(row)
                elif len(good) <= p.adopters_per_consortium + 1:
                    good.append(row)
            adopters_made[iid] = (bad, good)
        return adopters_made[iid]

    def adopter_excluded(u: str, name: object) -> dict:
        return {"id": u, "name": name, "role": "adopter",
                "detail": {"reason": reason("research.exclude.record", kind=bad_kind[u])}}

    per_item: dict[object, dict] = {}
    for target, iid, demand_id, demand_firm in targets:
        iname = Localized({"en": item_names[iid][0] or iid, "zh": item_names[iid][1]})
        if iid not in per_item:
            per_item[iid] = item_state(iid)
        state = per_item[iid]
        # the firm that posted the demand does not lead its own consortium
        excluded = [dict(x) for u, x in state["leads"] if x is not None and u != demand_firm]
        b = state["platform"]
        platform = None if b is None else {**b, "detail": dict(b["detail"])}  # each proposal its own
        # the adopters: the demand's own firm first, then the item's buyers (each once); eligible
        # ones fill the pool (one more than needed: the lead may be one), the others are excluded
        bad, good = item_adopters(iid)
        pool: list[dict] = []
        if demand_firm:
            if demand_firm in bad_kind:
                excluded.append(adopter_excluded(demand_firm, None))
            else:
                pool.append({"id": demand_firm, "name": names.get(demand_firm), "role": "adopter",
                             "detail": {"bought": None, "imported": None, "demand_id": demand_id}})
        for u, nm, bought, imported in good:
            if len(pool) > p.adopters_per_consortium:
                break
            if u != demand_firm:
                pool.append({"id": u, "name": nm or names.get(u), "role": "adopter",
                             "detail": {"bought": bought, "imported": imported, "demand_id": None}})
        excluded.extend(adopter_excluded(u, nm) for u, nm, _b, _i in bad if u != demand_firm)
        best_prop = None
        pool_ids = {a["id"] for a in pool}
        scored = state["scored"]
        if len(scored["usccs"]):
            # the adopters part: the pool without the lead itself; summed after the six others, as sum() does
            cap = p.adopters_per_consortium
            a_in, a_out = min(min(len(pool) - 1, cap) / 3, 1.0), min(min(len(pool), cap) / 3, 1.0)
            a = np.where(np.isin(scored["usccs"], list(pool_ids)), a_in, a_out)
            s = scored["partial"] + wp[6] * a
            if demand_firm is not None:
                s[scored["usccs"] == demand_firm] = -np.inf
            top = s.max()
            if top > -np.inf:  # the exact key, rounded as shown, among those within rounding of the top
                near = np.flatnonzero(s >= top - 1e-6)
                j = min(near, key=lambda j: (-round(float(s[j]), 6), scored["usccs"][j]))
                r, grade, credit, tier, v6, chosen = scored["rows"][j]
                best_prop = (r, grade, tier, dict(zip(PARTS, (*v6, float(a[j])), strict=True)), chosen)
        if best_prop is None:
            status = Message("research.proposal.no_lead", {"item": iname, "excluded": len(excluded)})
            proposals.append({"target": target, "source": "demand" if demand_id else "item", "item_id": iid,
                              "item_name": str(iname), "item_name_zh": item_names[iid][1],
                              "label": lab.get(iid), "demand_id": demand_id, "score": None, "lead": None,
                              "institutions": [], "platform": platform, "adopters": [], "parts": [],
                              "excluded": excluded, "status": status})
            continue
        r, grade, tier, vals, chosen = best_prop
        adopters = [a for a in pool if a["id"] != r.uscc][: p.adopters_per_consortium]
        parts_msg = {
            "lead_fit": Message("research.part.lead_fit.item" if vals["lead_fit"] == 1 else "research.part.lead_fit.near",
                                {"firm": _opt(r.name) or r.uscc, "item": iname}),
            "lead_credit": Message("research.part.lead_credit", {"grade": grade, "floor": floor,
                                                                 "source": Message(f"research.grade.{grade_source}")}),
            "lead_tier": Message("research.part.lead_tier.yes", {"tier": Message(f"firms.tier.{tier}")})
            if tier else Message("research.part.lead_tier.no", {}),
            "institutions": Message("research.part.institutions", {"n": len(chosen),
                                                                   "strength": vals["institutions"]}),
            "past_collaboration": Message("research.part.past", {"n": sum(1 for c in chosen if c[3] > 0),
                                                                 "of": len(chosen)}),
            "platform": Message("research.part.platform.none", {}) if platform is None else Message(
                "research.part.platform.open" if platform["detail"]["open_services"] else "research.part.platform.closed",
                {"platform": Localized({"en": platform["detail"]["name_en"] or platform["id"],
                                        "zh": platform["name"]})}),
            "adopters": Message("research.part.adopters", {"n": len(adopters)}),
        }
        parts = [{"part": k, "value": round(vals[k], 6), "weight": w[k], "points": round(w[k] * vals[k], 6),
                  "reason": parts_msg[k]} for k in PARTS]
        score = round(sum(x["points"] for x in parts), 6)
        lead = {"id": r.uscc, "name": _opt(r.name), "role": "lead",
                "detail": {"grade": grade, "tier": tier, "fit": float(r.fit), "province_code": _opt(r.province_code),
                           "tech_level": None if _opt(r.tech_level) is None else int(r.tech_level)}}
        inst_m = [{"id": c[1], "name": _opt(c[2].name), "role": "institution",
                   "detail": {"strength": float(c[2].strength), "past_collaborations": c[3], "same_province": c[4],
                              "link_score": round(c[5], 6), "kind": _opt(c[2].kind), "name_en": _opt(c[2].name_en)}}
                  for c in chosen]
        status = Message("research.proposal.ok", {"item": iname, "firm": _opt(r.name) or r.uscc, "score": score})
        proposals.append({"target": target, "source": "demand" if demand_id else "item", "item_id": iid,
                          "item_name": str(iname), "item_name_zh": item_names[iid][1],
                          "label": lab.get(iid), "demand_id": demand_id, "score": score, "lead": lead,
                          "institutions": inst_m, "platform": platform, "adopters": adopters, "parts": parts,
                          "excluded": excluded, "status": status})
    return PartnersResult(day, grade_source, floor, dict(w), proposals)


__all__ = ["GRADE_SOURCES", "propose_partners"]
