"""Planted key-technology tackling projects (issue 18): projects, target items, partners, budget by
source, milestones (some overdue) and outputs, with a known effect on the target items.

Two kinds of project are planted:

- **effective** projects start on ``EFFECT_START`` (2021-03-01) on one chokepoint item per chain
  (two items on the hydraulics chain: the main pump and the main valve), led by the item's
  largest domestic producer. From the year ``start year + LAG`` (2024, the demo's link year) on,
  the item's domestic share of purchases is ``EFFECT_SHARE`` (0.10) higher and its best domestic
  technology level ``EFFECT_LEVEL`` (1) higher than before. The effect is planted by moving the
  years *before* the effect year, so the link year (and every planted label) stays as designed:
  in earlier link years the domestic supply links of the item are scaled so that its domestic
  share is its own generated share minus 0.10, the lead's capability starts in the effect year
  (``since_year``) and the other domestic producers of the item are capped one level below the
  lead. Items of the matching plan (:mod:`reforge.demo.matching`) and of the planted label
  transitions (:mod:`reforge.demo.loop_plants`) are never chosen (their levels or 2023 mix are part
  of those plans); the first suitable chokepoint of each chain in ``TREATED_ORDER`` is.
- **recent** projects start on ``RECENT_START`` (2024-03-01, effect year 2027, after the data) on
  four blank items and one chokepoint, led by the item's largest domestic buyer; no effect yet.

Every other blank or chokepoint item has no project ("nobody works on it"). Milestones: four
per project (design review, prototype, pilot, acceptance); as of ``AS_OF`` (2025-06-30) the first
milestone of the tactile-sensor and light-source projects is overdue (not done), and the pilot of
the ITO-target project was done late (after ``AS_OF``, so overdue as of that date).
Budgets: total ``60 + 20 k`` million CNY for the k-th project, split central 30 %, provincial
30 %, enterprise 40 %.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

EFFECT_SHARE = 0.10
EFFECT_LEVEL = 1
LAG = 3
EFFECT_START = "2021-03-01"
RECENT_START = "2024-03-01"
AS_OF = "2025-06-30"
TREATED_ORDER: dict[str, tuple[str, ...]] = {
    "industrial_robot": ("rv_reducer", "motion_chip"),
    "nev_battery": ("pouch_film", "traction_power_module"),
    "cnc_machine_tool": ("scale_encoder", "cnc_system"),
    "integrated_circuit": ("photoresist", "litho_scanner"),
    "construction_hydraulics": ("main_pump",),
    "display_panel": ("ito_target", "microspheres"),
}
SECOND_ITEM = {"main_pump": "main_valve"}  # a project with two target items
RECENT_ITEMS = ("tactile_sensor", "afe_chip", "litho_optics_source", "common_rail", "eda")
OVERDUE = {"tactile_sensor": "M1", "litho_optics_source": "M1"}  # not done as of AS_OF
DONE_LATE = {"microspheres": ("M3", "2025-08-15")}                # done after AS_OF
BUDGET_SPLIT = {"central": 0.3, "provincial": 0.3, "enterprise": 0.4}
MILESTONES = (("M1", "方案论证", 0.15), ("M2", "样机研制", 0.45), ("M3", "中试验证", 0.75), ("M4", "验收", 1.0))
DEPARTMENTS = ("省工业和信息化厅", "省科学技术厅", "省发展和改革委员会")


def planted() -> dict:
    """The documented truth (``PLANTED["projects"]``); items actually chosen depend on the seed's
    producers, see :func:`project_plan`."""
    return {"effect": {"domestic_share": EFFECT_SHARE, "tech_level": EFFECT_LEVEL, "lag_years": LAG,
                       "definition": "from year(start_on) + lag on, the target item's domestic share of "
                                     "purchases is +0.10 and its best domestic technology level +1 against "
                                     "the years before; items without a project: no change by design"},
            "effective_start": EFFECT_START, "recent_start": RECENT_START, "as_of": AS_OF,
            "treated_order": {k: list(v) for k, v in TREATED_ORDER.items()}, "second_item": dict(SECOND_ITEM),
            "recent_items": list(RECENT_ITEMS), "overdue_as_of": dict(OVERDUE),
            "done_late": {k: list(v) for k, v in DONE_LATE.items()}, "budget_split": dict(BUDGET_SPLIT)}


def _date(s: str) -> _dt.date:
    return _dt.date.fromisoformat(s)


def _between(a: _dt.date, b: _dt.date, f: float) -> _dt.date:
    return a + _dt.timedelta(days=int(round((b - a).days * f)))


def _plan_items(tables: dict[str, pd.DataFrame], seed: int) -> set[str]:
    """Items other plants shape: the matching plan's items and the planted label transitions
    (``reforge.demo.loop_plants``, which set the items' 2023 mix); a project never targets them."""
    from reforge.demo.loop_plants import transition_items
    from reforge.demo.matching import planted_pairs
    moved = {r["item_id"] for rows in transition_items().values() for r in rows}
    try:
        return set(planted_pairs(tables, seed)["item_id"]) | moved
    except (KeyError, ValueError):
        return moved


def _treated_items(tables: dict[str, pd.DataFrame], seed: int) -> list[tuple[str, str]]:
    """(chain, item) of the effective projects: the first chokepoint per chain in TREATED_ORDER with
    at least two domestic producers with a level active before the effect year, not in the matching
    plan or a planted transition. Producers that only start in the effect year or later do not count:
    choosing on them would pick items whose best level is about to rise anyway (a difference in
    trends between project and comparison items with the effect switched off)."""
    caps = tables["capabilities"]
    effect_year = _date(EFFECT_START).year + LAG
    since = pd.to_numeric(caps.since_year, errors="coerce").fillna(0)
    dom = caps[(caps.producer_type == "enterprise") & caps.tech_level.notna() & (since < effect_year)]
    n = dom.groupby("item_id").producer_id.nunique()
    avoid = _plan_items(tables, seed)
    out = []
    for chain, items in TREATED_ORDER.items():
        for it in items:
            if n.get(it, 0) >= 2 and it not in avoid:
                out.append((chain, it))
                break
    return out


def plant_projects(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """Add the project tables and plant the effect (see the module docstring); returns ``tables``."""
    out = dict(tables)
    caps = out["capabilities"].copy()
    sl = out["supply_links"].copy()
    items = out["items"].set_index("item_id")
    link_year = int(sl.year.max())
    treated = _treated_items(out, seed)
    projects, pitems, partners, budget, miles, outputs = [], [], [], [], [], []
    inst = out["institutions"].institution_id.sort_values().tolist()
    fields = out["institution_fields"]
    apps = out["appraisals"]
    ly = sl[sl.year == link_year]
    buyers = (ly.groupby(["item_id", "buyer_uscc"]).value.sum().reset_index()
              .sort_values(["item_id", "value", "buyer_uscc"], ascending=[True, False, True]))
    top_buyer = buyers.drop_duplicates("item_id").set_index("item_id").buyer_uscc

    def add(k: int, item: str, lead: str, start: str, recent: bool, extra: list[str]) -> str:
        s = _date(start)
        pid = f"P-{s.year}-{k + 1:03d}"
        end = _date(f"{s.year + 3}-12-31") if not recent else _date(f"{s.year + 3}-02-28")
        nm = items.loc[item]
        projects.append({"project_id": pid, "title": f"{nm['name_zh']}关键核心技术攻关",
                         "title_en": f"Tackling key technology: {nm['name']}", "lead_uscc": lead,
                         "department": DEPARTMENTS[k % len(DEPARTMENTS)], "programme": "key_core_tech",
                         "start_on": s, "end_on": end, "status": "active" if recent else "completed"})
        for it in [item, *extra]:
            pitems.append({"project_id": pid, "item_id": it, "target_level": 5})
        f = fields[fields.field == item].sort_values(["strength", "institution_id"], ascending=[False, True])
        ins = f.institution_id.iloc[0] if len(f) else (inst[k % len(inst)] if inst else None)
        if ins is not None:
            partners.append({"project_id": pid, "partner_id": ins, "partner_type": "institution", "role": "research"})
        user = top_buyer.get(item)
        if user is not None and user != lead:
            partners.append({"project_id": pid, "partner_id": user, "partner_type": "enterprise", "role": "user"})
        total = 6e7 + 2e7 * k
        for src, w in BUDGET_SPLIT.items():
            budget.append({"project_id": pid, "source": src, "amount": round(total * w, 2)})
        as_of = _date(AS_OF)
        for mid, title, frac in MILESTONES:
            due = _between(s, end, frac)
            done: _dt.date | None = due + _dt.timedelta(days=10) if due + _dt.timedelta(days=10) <= as_of else None
            if OVERDUE.get(item) == mid:
                done = None
            if item in DONE_LATE and DONE_LATE[item][0] == mid:
                done = _date(DONE_LATE[item][1])
            status = "done" if done is not None else ("delayed" if due < as_of else "open")
            miles.append({"project_id": pid, "milestone_id": mid, "title": title, "due_on": due,
                          "done_on": done, "status": status})
        if not recent:
            a = apps[apps.item_id == item].appraisal_id.sort_values()
            outputs.append({"project_id": pid, "output_id": "O1", "kind": "patent", "title": f"{nm['name_zh']}发明专利",
                            "year": s.year + LAG - 1, "quantity": 3, "appraisal_id": None})
            outputs.append({"project_id": pid, "output_id": "O2", "kind": "first_set",
                            "title": f"{nm['name_zh']}首台（套）产品", "year": s.year + LAG, "quantity": 1,
                            "appraisal_id": a.iloc[0] if len(a) else None})
        return pid

    k = 0
    avoid = _plan_items(out, seed)
    for _chain, item in treated:
        extra = [SECOND_ITEM[item]] if item in SECOND_ITEM and SECOND_ITEM[item] not in avoid else []
        dom = caps[(caps.producer_type == "enterprise") & (caps.item_id == item) & caps.tech_level.notna()]
        lead_row = dom.sort_values(["tech_level", "capacity", "producer_id"], ascending=[False, False, True]).iloc[0]
        lead = str(lead_row.producer_id)
        add(k, item, lead, EFFECT_START, False, extra)
        k += 1
        effect_year = _date(EFFECT_START).year + LAG
        for it in [item, *extra]:
            if EFFECT_SHARE:
                sl = _lower_share(sl, it, effect_year)
            if EFFECT_LEVEL:
                caps = _lower_level(caps, it, effect_year)
    for item in RECENT_ITEMS:
        lead = top_buyer.get(item)
        if lead is None:
            continue
        add(k, item, str(lead), RECENT_START, True, [])
        k += 1
    out["capabilities"] = caps
    out["supply_links"] = sl
    out["projects"] = pd.DataFrame(projects)
    out["project_items"] = pd.DataFrame(pitems)
    out["project_partners"] = pd.DataFrame(partners)
    out["project_budget"] = pd.DataFrame(budget)
    out["project_milestones"] = pd.DataFrame(miles)
    out["project_outputs"] = pd.DataFrame(outputs)
    for name in ("projects", "project_milestones"):
        for c in ("start_on", "end_on", "due_on", "done_on"):
            if c in out[name]:
                out[name][c] = pd.to_datetime(out[name][c])
    return out


def _lower_share(sl: pd.DataFrame, item: str, effect_year: int) -> pd.DataFrame:
    """In every link year before ``effect_year``, scale the item's domestic links so that its domestic
    share is its generated share minus EFFECT_SHARE (floored at 0)."""
    for y in sorted(sl.loc[sl.item_id == item, "year"].unique()):
        if y >= effect_year:
            continue
        m = (sl.item_id == item) & (sl.year == y)
        d = m & (sl.supplier_type == "enterprise")
        dv, tv = sl.loc[d, "value"].sum(), sl.loc[m, "value"].sum()
        if dv <= 0 or tv <= dv:
            continue
        s = dv / tv
        target = max(s - EFFECT_SHARE, 0.0)
        fv = tv - dv
        k = target * fv / ((1 - target) * dv)
        sl.loc[d, "value"] = np.round(sl.loc[d, "value"] * k, 2)
    return sl[sl.value > 0].reset_index(drop=True)


def _lower_level(caps: pd.DataFrame, item: str, effect_year: int) -> pd.DataFrame:
    """The item's best domestic producer (highest level, then capacity) starts in ``effect_year``; the
    other domestic producers are active before it, at most EFFECT_LEVEL below the best level and the
    next one in that order exactly so (so the best level before the effect year is one lower)."""
    dom = (caps.producer_type == "enterprise") & (caps.item_id == item) & caps.tech_level.notna()
    if not dom.any():
        return caps
    d = caps[dom].sort_values(["tech_level", "capacity", "producer_id"], ascending=[False, False, True])
    best, top = d.tech_level.iloc[0], d.index[0]
    caps.loc[top, "since_year"] = effect_year
    others = dom & (caps.index != top)
    caps.loc[others, "tech_level"] = np.minimum(caps.loc[others, "tech_level"], best - EFFECT_LEVEL)
    if others.any():  # the best of the others sits exactly EFFECT_LEVEL below the best
        caps.loc[d.index[1], "tech_level"] = best - EFFECT_LEVEL
    caps.loc[others, "since_year"] = np.minimum(caps.loc[others, "since_year"].fillna(effect_year - 1),
                                                effect_year - 1)
    return caps


def project_plan(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (project, item): ``project_id``, ``item_id``, ``lead_uscc``, ``start_year``,
    ``effect_year`` (start year + LAG), ``effective`` (the effect year is within the link years)."""
    p = tables["projects"].merge(tables["project_items"], on="project_id")
    p["start_year"] = pd.to_datetime(p.start_on).dt.year.astype(int)
    p["effect_year"] = p.start_year + LAG
    last = int(tables["supply_links"].year.max())
    p["effective"] = p.effect_year <= last
    return p[["project_id", "item_id", "lead_uscc", "start_year", "effect_year", "effective"]]


PROJECT_TABLES = ("projects", "project_items", "project_partners", "project_budget", "project_milestones",
                  "project_outputs")


def project_examples(full: dict[str, pd.DataFrame], cut: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Example project tables consistent with the example subset ``cut`` of the demo ``full``: leads
    and enterprise partners are mapped onto the example's enterprises, appraisal ids outside the
    example are dropped (examples/*.csv, :mod:`reforge.demo.examples`)."""
    firms = sorted(cut["enterprises"].uscc)
    ents = sorted(set(full["projects"].lead_uscc)
                  | set(full["project_partners"].query("partner_type == 'enterprise'").partner_id))
    remap = {u: firms[i % len(firms)] for i, u in enumerate(ents)}
    out = {n: full[n].copy() for n in PROJECT_TABLES}
    out["projects"]["lead_uscc"] = out["projects"].lead_uscc.map(remap)
    pp = out["project_partners"]
    ent = pp.partner_type == "enterprise"
    pp.loc[ent, "partner_id"] = pp.loc[ent, "partner_id"].map(remap)
    lead = pp.project_id.map(out["projects"].set_index("project_id").lead_uscc)
    inst = set(cut["institutions"].institution_id)
    keep = (ent & (pp.partner_id != lead)) | (~ent & pp.partner_id.isin(inst))
    out["project_partners"] = pp[keep].drop_duplicates(["project_id", "partner_id"])
    po = out["project_outputs"]
    po.loc[~po.appraisal_id.isin(set(cut["appraisals"].appraisal_id)), "appraisal_id"] = None
    return out
