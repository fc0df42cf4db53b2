"""The board of one item (issue 18, point 5): ``board(engine, item_id, as_of, ...)``, read top to bottom.

1. ``why`` - label, reasons and margin on every chain that holds the item
   (:func:`reforge.chain.bottlenecks`, year ``year``, default the latest link year);
2. ``makers`` - domestic producers with a capability for the item (level, capacity) and their
   credit grade from the stored model (:func:`reforge.credit.score`, latest covered year);
3. ``matching`` - demands for the item and the share of their value with a qualified domestic
   supplier (:func:`reforge.match.matching_degree` on ``as_of``);
4. ``consortium`` - the proposed research consortium of :mod:`reforge.research.partners` (lead,
   institutions, platform, adopters, score with its parts), or why there is none;
5. ``projects`` - tackling projects that target the item, their milestones and which are overdue
   on ``as_of``;
6. ``appraisals`` - appraisals of the item (first set / batch / version, achievements);
7. ``adoption`` - domestic supply of the item per link year (value, share, suppliers, buyers) and
   whether the domestic value grew over the last two years;
8. ``trend`` - the item's label in every link year on each of its chains.

A step without rows carries ``missing`` (what is absent) and ``action`` (what fills it), both
coded messages (``loop.board.missing.*`` / ``loop.board.action.*``). ``scope`` (a USCC) shows an
enterprise account only its own projects and no other firm's credit grade.
"""

from __future__ import annotations

import datetime as _dt

from reforge.chain.metrics import shared_bottlenecks
from reforge.engine.base import Engine
from reforge.errors import NotFound, ReforgeError
from reforge.loop import projects_sql as q
from reforge.loop.project_result import BoardResult, Step, records
from reforge.loop.projects import check_date, credit_grades
from reforge.messages import Localized, Message


def _empty(key: str, link: str | None = None, **params: object) -> Step:
    return Step(key, [], Message(f"loop.board.missing.{key}", dict(params)),
                Message(f"loop.board.action.{key}", dict(params)), link)


def board(engine: Engine, item_id: str, as_of: str | _dt.date | None = None, year: int | None = None,
          scope: str | None = None, region: str | None = None, memo: dict | None = None) -> BoardResult:
    """The board of ``item_id`` (NotFound when the item does not exist). ``region`` (GB/T 2260,
    issue 19): the item as a region sees it - labels, matching degree and adoption from that
    region's buyers, the consortia, projects and appraisals a firm of the region takes part in;
    the makers stay national (a region's firms buy from anywhere in China). ``memo``: a dict shared
    by the boards of one batch (same data) to compute each chain's bottlenecks and the item labels
    once for all of them."""
    day = check_date(as_of)
    if not engine.table_exists("items"):
        raise NotFound("the database has no items table", code="loop.board.item_not_found",
                       params={"item": str(item_id)[:80]})
    it = q.item(engine, item_id)
    if it.empty:
        raise NotFound(f"item {item_id!r} not found", code="loop.board.item_not_found", params={"item": str(item_id)[:80]})
    r = records(it)[0]
    from reforge.chain.metrics import resolve_year
    y = resolve_year(engine, year)
    name = Localized({"en": r["name"] or item_id, "zh": r["name_zh"]})
    memo = {} if memo is None else memo
    steps = [_why(engine, item_id, y, name, region, memo), _makers(engine, item_id, y, scope),
             _matching(engine, item_id, day, region), _consortium(engine, item_id, day, scope, region, memo),
             _projects(engine, item_id, day, scope, region), _appraisals(engine, item_id, region),
             _adoption(engine, item_id, region), _trend(engine, item_id, region, memo)]
    return BoardResult(item_id, r["name"], r["name_zh"], r["foundation"], day, y, steps, region)


def _chains(engine: Engine, item_id: str) -> list[dict]:
    if not engine.table_exists("chain_items") or not engine.table_exists("chains"):
        return []
    return records(q.item_chains(engine, item_id))


def _why(engine: Engine, item_id: str, year: int | None, name: Localized, region: str | None, memo: dict) -> Step:
    chains = _chains(engine, item_id)
    if not chains:
        return _empty("why", "/chains", item=item_id)
    if year is None:
        return Step("why", [], Message("loop.board.missing.why_links", {"item": item_id}),
                    Message("loop.board.action.why_links", {"item": item_id}), None)
    rows = []
    notes: list[Message] = []
    for c in chains:
        try:
            b = shared_bottlenecks(engine, c["chain_id"], year, region, memo)
        except ReforgeError as e:
            notes.append(Message("loop.projects.note.chain_failed", {"chain": c["chain_id"], "error": str(e)[:200]}))
            continue
        i = next(x for x in b.items if x["item_id"] == item_id)
        rows.append({"chain_id": c["chain_id"], "chain_name": c["name"], "chain_name_zh": c["name_zh"], "year": year,
                     "label": i["label"], "priority": i["priority"], "reason_codes": i["reason_codes"],
                     "margin": i["margin"], "stable": i["stable"], "domestic_share": i["domestic_share"],
                     "tech_gap": i["tech_gap"], "top_country": i["top_country"]})
    st = Step("why", rows, None, None, f"/chains/{chains[0]['chain_id']}", notes)
    if not rows:
        st.missing, st.action = (Message("loop.board.missing.why_links", {"item": item_id}),
                                 Message("loop.board.action.why_links", {"item": item_id}))
    return st


def _makers(engine: Engine, item_id: str, year: int | None, scope: str | None) -> Step:
    if not engine.table_exists("capabilities"):
        return _empty("makers", None, item=item_id)
    rows = records(q.producers(engine, item_id, year))
    if not rows:
        return _empty("makers", None, item=item_id)
    notes: list[Message] = []
    if scope is None:
        grades, gy = credit_grades(engine, [r["uscc"] for r in rows], notes)
        for r in rows:
            r["grade"] = grades.get(r["uscc"], (None, None))[1]
            r["grade_year"] = gy
    else:
        for r in rows:
            r["grade"], r["grade_year"] = None, None
        notes.append(Message("loop.projects.note.grades_hidden", {}))
    return Step("makers", rows, None, None, f"/enterprises/{rows[0]['uscc']}" if scope is None else None, notes)


def _matching(engine: Engine, item_id: str, day: str, region: str | None = None) -> Step:
    from reforge.match import matching_degree
    from reforge.match.rank import INPUTS
    missing = [t for t in (*INPUTS, "chain_items") if not engine.table_exists(t)]
    if missing:
        return _empty("matching", None, item=item_id)
    n = engine.fetch_scalar("SELECT COUNT(*) FROM demands WHERE item_id = ?", [item_id])
    if not n:
        return _empty("matching", None, item=item_id)
    try:
        d = matching_degree(engine, day, items=[item_id], region=region)  # this item's demands only
    except ReforgeError as e:
        st = _empty("matching", None, item=item_id)
        st.notes.append(Message("loop.projects.note.matching_failed", {"error": str(e)[:200]}))
        return st
    rows = [r for r in records(d.items) if r.get("item_id") == item_id]
    if not rows:
        return _empty("matching", None, item=item_id)
    return Step("matching", rows, None, None, None)


def _consortium(engine: Engine, item_id: str, day: str, scope: str | None, region: str | None, memo: dict) -> Step:
    """The joint-research capability's consortium proposal for the item
    (:func:`reforge.research.partners.propose_partners` on ``as_of``; an enterprise account sees
    it only when its firm takes part, as on the research page)."""
    from reforge.research.partners import propose_partners
    action = Message("loop.board.action.consortium", {"item": item_id})
    try:
        from reforge.research.need import item_labels
        res = propose_partners(engine, item=item_id, as_of=day, include_demands=False,
                               labels=item_labels(engine, memo=memo))
    except ReforgeError as e:  # e.g. a database without the joint-research tables
        return Step("consortium", [], Message("loop.board.missing.consortium_failed", {"error": str(e)[:200]}),
                    action, "/research")
    if scope is not None:
        res = res.for_firm(scope)
    elif region is not None:
        from reforge.region import region_firms
        res = res.for_firms(region_firms(engine, region), redact=False)
    props = [p for p in res.proposals if p["source"] == "item"]
    if not props:
        return Step("consortium", [], Message("loop.board.missing.consortium", {"item": item_id}), action,
                    "/research")
    p = props[0]
    if p["score"] is None:  # no eligible lead or no institution: the proposal's status says which
        return Step("consortium", [], p["status"], action, "/research")
    row = [q for q in res.to_dict()["proposals"] if q["source"] == "item"][0]
    return Step("consortium", [row], None, None, "/research")


def _projects(engine: Engine, item_id: str, day: str, scope: str | None, region: str | None = None) -> Step:
    if not engine.table_exists("projects") or not engine.table_exists("project_items"):
        return _empty("projects", "/loop/projects", item=item_id)
    q.need(engine)
    pr = records(q.projects(engine, scope, item_id, region))
    if not pr:
        return _empty("projects", "/loop/projects", item=item_id)
    ms = records(q.milestones(engine, [p["project_id"] for p in pr]))
    late = {(o["project_id"], o["milestone_id"]): o["days_overdue"]
            for o in records(q.overdue(engine, day, scope, item_id, region))}
    for p in pr:
        p["items"] = [x for x in (p["items"] or "").split(",") if x]
        p["milestones"] = [{**m, "overdue": (m["project_id"], m["milestone_id"]) in late,
                            "days_overdue": late.get((m["project_id"], m["milestone_id"]))}
                           for m in ms if m["project_id"] == p["project_id"]]
        p["n_overdue"] = sum(1 for m in p["milestones"] if m["overdue"])
    return Step("projects", pr, None, None, "/loop/projects")


def _appraisals(engine: Engine, item_id: str, region: str | None = None) -> Step:
    if not engine.table_exists("appraisals"):
        return _empty("appraisals", "/appraise", item=item_id)
    rows = records(q.appraisals(engine, item_id, region))
    if not rows:
        return _empty("appraisals", "/appraise", item=item_id)
    return Step("appraisals", rows, None, None, f"/appraise?id={rows[0]['appraisal_id']}")


def _adoption(engine: Engine, item_id: str, region: str | None = None) -> Step:
    if not engine.table_exists("supply_links"):
        return _empty("adoption", None, item=item_id)
    rows = records(q.adoption(engine, item_id, region))
    for r in rows:
        r["domestic_share"] = r["domestic_value"] / r["total_value"] if r["total_value"] else None
    if not rows or not any(r["domestic_value"] for r in rows):
        return _empty("adoption", None, item=item_id)
    notes = []
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        code = "loop.projects.note.adoption_growing" if b["domestic_value"] > a["domestic_value"] else "loop.projects.note.adoption_flat"
        notes.append(Message(code, {"from": a["year"], "to": b["year"], "a": a["domestic_value"],
                                    "b": b["domestic_value"]}))
    return Step("adoption", rows, None, None, None, notes)


def _trend(engine: Engine, item_id: str, region: str | None, memo: dict) -> Step:
    chains = _chains(engine, item_id)
    years = q.link_years(engine)
    if not chains or not years:
        return _empty("trend", None, item=item_id)
    rows = []
    for c in chains:
        for yr in years:
            try:
                b = shared_bottlenecks(engine, c["chain_id"], yr, region, memo)
            except ReforgeError:
                continue
            i = next(x for x in b.items if x["item_id"] == item_id)
            rows.append({"chain_id": c["chain_id"], "chain_name": c["name"], "chain_name_zh": c["name_zh"],
                         "year": yr, "label": i["label"],
                         "domestic_share": i["domestic_share"], "tech_gap": i["tech_gap"]})
    if not rows:
        return _empty("trend", None, item=item_id)
    return Step("trend", rows, None, None, f"/chains/{chains[0]['chain_id']}")
