"""The tackling-project portfolio (issue 18, point 2): ``portfolio(engine, as_of, ...)``.

* **coverage** - every item labelled ``blank`` or ``chokepoint`` on a chain by
  :func:`reforge.chain.bottlenecks` (year ``year``, default the latest link year), with the
  projects that target it: ``n_projects`` = projects not cancelled that started by ``as_of``,
  ``n_active`` = of those, not completed/suspended and not ended before ``as_of``; an item with
  ``n_projects`` = 0 is *uncovered* (nobody works on it);
* **budget** by chain, foundation category and source (the SQL in ``projects_sql.budget`` says how
  a project's amount is split over items and chains; totals add up to the project budgets);
* **overdue** milestones on ``as_of`` (due before, not done by then, not cancelled);
* **leads** of projects whose credit grade fell between the previous and the latest covered
  year (:func:`reforge.credit.score` with the stored model) or that carry an amber/red early
  warning in the latest year (:func:`reforge.firms.warnings`). Without a stored credit model or
  firm panel a note says so and which command fills it.

``scope`` (a USCC) limits everything to the projects where that enterprise leads or partners
(an enterprise account); coverage then shows only the items of those projects as covered.
``region`` (a GB/T 2260 code, issue 19) limits it to the projects where a firm of that region or
below leads or partners, labels the gap items from the supply links of the region's buyers
(:func:`reforge.chain.bottlenecks` with ``region``) and lists only leads of the region.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from reforge.dates import parse_as_of
from reforge.engine.base import Engine
from reforge.errors import ReforgeError
from reforge.loop import projects_sql as q
from reforge.loop.project_result import PortfolioResult, records
from reforge.messages import Localized, Message

GAP_LABELS = ("blank", "chokepoint")
WARN_LEVELS = ("amber", "red")


def check_date(as_of: str | _dt.date | None) -> str:
    """``as_of`` as YYYY-MM-DD (default: today, UTC); InvalidInput (``loop.projects.bad_date``)
    otherwise (see :func:`reforge.dates.parse_as_of`)."""
    return parse_as_of(as_of, "as_of", code="loop.projects.bad_date")


def gap_items(engine: Engine, year: int | None = None, chain_id: str | None = None,
              labels: tuple[str, ...] = GAP_LABELS, region: str | None = None,
              memo: dict | None = None) -> tuple[list[dict], int | None]:
    """Blank/chokepoint items per chain: ``[{"chain_id", "chain_name", "chain_name_zh", "item_id",
    "name", "name_zh", "foundation", "label", "priority"}]`` by chain then priority, and the year used.
    ``memo``: each chain's bottlenecks shared with other analyses (``chain.metrics.shared_bottlenecks``)."""
    from reforge.chain import list_chains
    from reforge.chain.metrics import shared_bottlenecks
    chains = list_chains(engine)
    if chain_id is not None:
        chains = [c for c in chains if c["chain_id"] == chain_id]
        if not chains:
            from reforge.errors import NotFound
            raise NotFound(f"chain {chain_id!r} not found", code="loop.projects.chain_not_found",
                           params={"chain": str(chain_id)[:80]})
    out: list[dict] = []
    used: int | None = None
    for c in chains:
        b = shared_bottlenecks(engine, c["chain_id"], year, region, memo)
        used = b.year
        for i in b.items:
            if i["label"] in labels:
                out.append({"chain_id": c["chain_id"], "chain_name": c.get("name"), "chain_name_zh": c.get("name_zh"),
                            "item_id": i["item_id"], "name": i["name"], "name_zh": i["name_zh"],
                            "foundation": i["foundation"], "label": i["label"], "priority": i["priority"]})
    return out, used


def portfolio(engine: Engine, as_of: str | _dt.date | None = None, year: int | None = None,
              chain_id: str | None = None, scope: str | None = None,
              progress: Callable[[str, float], None] | None = None, region: str | None = None,
              memo: dict | None = None) -> PortfolioResult:
    """The portfolio on ``as_of`` (default today) with labels of ``year`` (see the module doc);
    ``memo`` as in :func:`gap_items`."""
    day = check_date(as_of)
    q.need(engine)
    res = PortfolioResult(as_of=day, year=None, region=region)
    projs = q.projects(engine, scope, region=region)
    res.projects = [{**r, "items": [x for x in (r["items"] or "").split(",") if x],
                     "n_partners": int(r["n_partners"] or 0)} for r in records(projs)]
    if progress:
        progress("coverage", 0.1)
    gaps, res.year = gap_items(engine, year, chain_id, region=region, memo=memo)
    per = q.item_projects(engine, day, scope, region).set_index("item_id")
    for g in gaps:
        has = g["item_id"] in per.index
        r = per.loc[g["item_id"]] if has else None
        ids = str(r["project_ids"]).split(",") if has else []
        res.coverage.append({**g, "n_projects": int(r["n_projects"]) if has else 0,
                             "n_active": int(r["n_active"]) if has else 0, "project_ids": ids, "covered": has})
    if progress:
        progress("budget", 0.4)
    names = {c["chain_id"]: (c["chain_name"], c["chain_name_zh"]) for c in _chains(engine)}
    for b in records(q.budget(engine, scope, region)):
        if chain_id is not None and b["chain_id"] != chain_id:
            continue
        n = names.get(b["chain_id"], (None, None))
        res.budget.append({**b, "chain_name": n[0], "chain_name_zh": n[1], "amount": float(b["amount"] or 0.0)})
    res.overdue = [{**o, "days_overdue": int(o["days_overdue"])} for o in records(q.overdue(engine, day, scope, region=region))]
    if progress:
        progress("leads", 0.6)
    res.leads, res.credit_year = _leads(engine, scope, res.notes, region)
    return res


def _chains(engine: Engine) -> list[dict]:
    from reforge.chain import list_chains
    return [{"chain_id": c["chain_id"], "chain_name": c.get("name"), "chain_name_zh": c.get("name_zh")}
            for c in list_chains(engine)]


def credit_grades(engine: Engine, usccs: list[str], notes: list[Message]) -> tuple[dict[str, tuple], int | None]:
    """``{uscc: (grade_prev, grade)}`` from the stored credit model for the latest covered year of the
    firm panel and the year before (None where a firm has no figures), and the latest year; a note
    instead when no model is stored or the panel is missing."""
    if not usccs:
        return {}, None
    if not engine.table_exists("credit_models") or engine.count("credit_models") == 0:
        notes.append(Message("loop.projects.note.no_credit_model", {}))
        return {}, None
    from reforge.credit import score
    from reforge.credit.features import year_range
    try:
        _lo, y = year_range(engine)
    except ReforgeError as e:
        notes.append(Message("loop.projects.note.credit_failed", {"error": str(e)[:200]}))
        return {}, None
    out: dict[str, list] = {u: [None, None] for u in usccs}
    for k, yr in ((1, y), (0, y - 1)):
        have = q.firms_with_year(engine, usccs, yr)
        if not have:
            continue
        try:
            fr = score(engine, yr, have).frame
        except ReforgeError as e:
            notes.append(Message("loop.projects.note.credit_failed", {"error": str(e)[:200]}))
            return {}, y
        for u, g in zip(fr.uscc, fr.grade, strict=True):
            out[str(u)][k] = str(g)
    return {u: tuple(v) for u, v in out.items()}, y


def _leads(engine: Engine, scope: str | None, notes: list[Message],
           region: str | None = None) -> tuple[list[dict], int | None]:
    from reforge.credit.grades import load_grades
    ld = records(q.leads(engine, scope, region))
    if region is not None:  # a region's view names no other region's firm's grade or warning
        from reforge.region import region_firms
        mine = region_firms(engine, region)
        ld = [r for r in ld if str(r["uscc"]) in mine]
    usccs = [str(r["uscc"]) for r in ld]
    grades, year = credit_grades(engine, usccs, notes)
    order = load_grades().names
    warn, wyear = _warnings(engine, usccs, year, notes)
    out = []
    for r in ld:
        prev, cur = grades.get(r["uscc"], (None, None))
        weakening = prev is not None and cur is not None and order.index(cur) > order.index(prev)
        w = warn.get(r["uscc"])
        if not weakening and w is None:
            continue
        reasons: list[Message] = []
        if weakening:
            reasons.append(Message("loop.projects.lead.weakening", {"prev": prev, "grade": cur, "year": year}))
        if w is not None:
            reasons.append(Message("loop.projects.lead.warning", {"level": Message(f"warn.level.{w['level']}"),
                                                                  "year": wyear}))
        out.append({"uscc": r["uscc"], "name": r["name"], "name_en": r["name_en"],
                    "project_ids": str(r["project_ids"]).split(","), "grade": cur, "grade_prev": prev,
                    "weakening": weakening, "warning": None if w is None else w["level"],
                    "reasons": reasons + [_revive(c) for c in (w or {}).get("reason_codes", [])]})
    return out, year


def _revive(c: dict) -> Message:
    """A ``{"code", "params"}`` entry (see ``messages.codes_of``) back as a Message."""
    if not c.get("code"):
        return Message("loop.projects.text", {"text": str((c.get("params") or {}).get("text", ""))})
    return Message(c["code"], {k: _param(v) for k, v in (c.get("params") or {}).items()})


def _param(v: object) -> object:
    if isinstance(v, dict) and v.get("code") == Localized.CODE:
        return Localized(v.get("params") or {})
    if isinstance(v, dict) and "code" in v and "text" in v:
        return Message(str(v["code"]), {k: _param(x) for k, x in (v.get("params") or {}).items()}, text=str(v["text"]))
    if isinstance(v, list):
        return [_param(x) for x in v]
    return v


def _warnings(engine: Engine, usccs: list[str], year: int | None,
              notes: list[Message]) -> tuple[dict[str, dict], int | None]:
    """Amber/red early warnings of the leads in ``year`` (default: the latest panel year), and the year."""
    if not usccs:
        return {}, None
    from reforge.firms import warnings
    from reforge.firms.screen import data_years
    try:
        ys = data_years(engine)
        y = year if year is not None and year in ys else (ys[-1] if ys else None)
        if y is None:
            notes.append(Message("loop.projects.note.no_panel", {}))
            return {}, None
        w = warnings(engine, y)
    except ReforgeError as e:
        notes.append(Message("loop.projects.note.warnings_failed", {"error": str(e)[:200]}))
        return {}, None
    want = set(usccs)
    w.frame = w.frame[w.frame["uscc"].isin(want)].reset_index(drop=True)  # explain the leads only
    return {f["uscc"]: f for f in w.firms() if f["level"] in WARN_LEVELS}, y


__all__ = ["GAP_LABELS", "check_date", "credit_grades", "gap_items", "portfolio"]
