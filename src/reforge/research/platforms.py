"""Platforms (``reforge match platforms``): who public R&D platforms serve and what they miss.

- **Usage by enterprise size and ownership**: firms, platform users (firms with any usage row),
  uses and fees; the SME (small + micro) share of users against their share of firms, and the
  coverage (users / firms) per size class.
- **Fields served vs needed**: every needed field (blank/chokepoint/weak item) with the number of
  platforms serving it (0 = a gap).
- **Generic technologies without a platform**: items of ``reforge.chain.generic`` (in at least
  two chain templates) that no platform lists as a field.
"""

from __future__ import annotations

import pandas as pd

from reforge.engine import Engine
from reforge.messages import Localized, Message
from reforge.research import sql as q
from reforge.research.common import check_tables
from reforge.research.need import item_labels, need_by_field
from reforge.research.result import PlatformsResult

SME = ("small", "micro")


def platform_report(engine: Engine, labels: pd.DataFrame | None = None, min_chains: int = 2) -> PlatformsResult:
    """Usage by size, fields served vs needed and uncovered generic technologies."""
    check_tables(engine, ["platforms", "platform_fields", "platform_usage", "enterprises"])
    plats = engine.fetch_df(q.platform_summary_sql())
    usage = engine.fetch_df(q.usage_by_size_sql())
    for c in ("firms", "users", "uses"):
        usage[c] = usage[c].astype(int)
    by_size = usage.groupby("size_class")[["firms", "users"]].sum()
    users, firms = int(by_size["users"].sum()), int(by_size["firms"].sum())
    sme = by_size.reindex(list(SME)).fillna(0)
    sme_users = float(sme["users"].sum()) / users if users else None
    sme_firms = float(sme["firms"].sum()) / firms if firms else None
    cov = {str(k): (float(r.users) / float(r.firms) if r.firms else None) for k, r in by_size.iterrows()}
    served = engine.fetch_df(q.served_fields_sql())
    n_pf = dict(zip(served["field"], served["platforms"].astype(int), strict=True))
    labels = item_labels(engine) if labels is None else labels
    need = need_by_field(labels)
    names = labels.drop_duplicates("item_id").set_index("item_id") if len(labels) else None
    need_rows = []
    for r in need.itertuples():
        need_rows.append({"field": r.field, "name": None if names is None else names.at[r.field, "name"],
                          "name_zh": None if names is None else names.at[r.field, "name_zh"],
                          "label": r.label, "need": float(r.need), "platforms": n_pf.get(r.field, 0)})
    needed = pd.DataFrame(need_rows, columns=["field", "name", "name_zh", "label", "need", "platforms"])
    if len(needed):
        needed = needed.sort_values(["platforms", "need", "field"], ascending=[True, False, True]).reset_index(drop=True)
    uncovered = []
    if all(engine.table_exists(t) for t in ("chains", "chain_items", "items", "supply_links")):
        from reforge.chain.generic import generic_technologies
        for it in generic_technologies(engine, min_chains).items:
            if it["item_id"] not in n_pf:
                uncovered.append({"item_id": it["item_id"], "name": it["name"], "name_zh": it["name_zh"],
                                  "breadth": it["breadth"], "score": it["score"]})
    notes = [Message("research.platforms.summary", {"platforms": len(plats), "users": users})]
    if sme_users is not None and sme_firms is not None:
        code = "research.platforms.sme_under" if sme_users < sme_firms else "research.platforms.sme_ok"
        notes.append(Message(code, {"users": sme_users, "firms": sme_firms}))
    gaps = needed[needed["platforms"] == 0] if len(needed) else needed
    notes.append(Message("research.platforms.gaps", {"n": len(gaps), "of": len(needed)}))
    for it in uncovered:
        notes.append(Message("research.platforms.generic_uncovered",
                             {"item": Localized({"en": it["name"], "zh": it["name_zh"]}), "chains": it["breadth"]}))
    return PlatformsResult(plats, usage, sme_users, sme_firms, cov, needed, uncovered, notes)


__all__ = ["platform_report"]
