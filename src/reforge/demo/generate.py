"""The demo province: a deterministic synthetic data set for every data table.

``build_tables(n_firms, seed)`` returns one DataFrame per data table of
``reforge.schema.tables`` (column names as in the schema). Same (n_firms, seed), same
tables. All work over firms is vectorised numpy (1,000,000 firms is supported).

``PLANTED`` documents the known truth that other parts test against (mirrored in
``PLANTED.md``):

- ``PLANTED["blank"|"chokepoint"|"weak"|"sound"][chain_id] -> [item_id, ...]``: the label
  issue 3's rules give to every template item, computed on the latest year's
  supply links (``PLANTED["link_year"]``). Planted items chosen from the atlas are in
  ``PLANTED["planted"][chain_id]``; every other item follows a documented default rule
  (``atlas.designs``), and every label holds unambiguously (no item meets two rules).
- ``PLANTED["chokepoint_country"][item_id]``: dominant country of a chokepoint's imports.
- ``PLANTED["design"][item_id]``: domestic share, import split by country, best
  domestic technology level, downstream reach per chain.
- ``PLANTED["little_giant_effect"]``: the designation effect (see ``reforge.demo.firms``).
- ``PLANTED["default_model"]``: how defaults depend on the latent risk (``reforge.demo.credit``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from reforge.demo import community, credit, firms, loop_plants, macro, matching, supply, tiers
from reforge.demo import projects as project_plants
from reforge.demo import research as research_demo
from reforge.demo.atlas import (
    IMPORT_DEP_MIN,
    REACH_MIN,
    TOP_COUNTRY_MIN,
    WEAK_GAP_MIN,
    WEAK_SHARE_MAX,
    designs,
    downstream_reach,
    template,
)
from reforge.schema.tables import DATA_TABLES, get_table

MIN_FIRMS = 500
Progress = Callable[[str, float], None]


def _planted() -> dict:
    t = template()
    ds = designs()
    out: dict = {"blank": {}, "chokepoint": {}, "weak": {}, "sound": {}, "planted": {},
                 "chokepoint_country": {}, "design": {}, "link_year": supply.LINK_YEAR,
                 "thresholds": {"import_dependence_min": IMPORT_DEP_MIN, "top_country_share_min": TOP_COUNTRY_MIN,
                                "downstream_reach_min": REACH_MIN, "weak_domestic_share_max": WEAK_SHARE_MAX,
                                "weak_tech_gap_min": WEAK_GAP_MIN, "frontier_level": 5}}
    for cid in t["chains"].chain_id:
        reach = downstream_reach(cid)
        members = t["chain_items"][t["chain_items"].chain_id == cid].item_id.tolist()
        for lab in ("blank", "chokepoint", "weak", "sound"):
            out[lab][cid] = [i for i in members if ds[i].state == lab]
        out["planted"][cid] = {i: ds[i].state for i in members if ds[i].planted}
        for i in members:
            d = ds[i]
            if d.state == "chokepoint":
                out["chokepoint_country"][i] = d.top_country[0]
            e = out["design"].setdefault(i, {"domestic_share": d.domestic_share, "import_countries": d.countries,
                                             "best_domestic_tech": d.best_tech, "label": d.state,
                                             "reach": {}})
            e["reach"][cid] = round(reach[i], 6)
    out["little_giant_effect"] = {
        "rd_intensity": firms.EFFECT_RD, "revenue_growth": firms.EFFECT_GROWTH,
        "first_effect_year_offset": firms.EFFECT_OFFSET,
        "definitions": {"rd_intensity": "rd_expense / revenue (fraction)",
                        "revenue_growth": "revenue_t / revenue_{t-1} - 1 (fraction)"},
        "treatment": "first little_giant granted_on year g (renewal rows repeat the kind; use the minimum); "
                     "effect = constant ATT from year g + 1 on (absorbing); ATT(g, t) = 0 for t <= g",
        "att_by_event_time": {k: {"e<=0": 0.0, "e>=1": v} for k, v in
                              (("rd_intensity", firms.EFFECT_RD), ("revenue_growth", firms.EFFECT_GROWTH))},
        "dgp": "y_it = firm effect + year effect + effect * 1[t >= g + 1] + iid noise; designation selects on "
               "latent firm quality (levels) and the batch year is random, so parallel trends hold for "
               "never-treated and not-yet-treated controls",
        "noise_sd": {"rd_intensity": firms.RD_SD, "revenue_growth": firms.GROWTH_SD},
        "other_designations_effect": 0.0,
    }
    out["default_model"] = {
        "link": "logit", "intercept": credit.INTERCEPT, "coefficients": dict(credit.COEF),
        "year_effects": dict(credit.YEAR_EFFECT),
        "latent": "z ~ N(0,1), corr(z, q) = -0.4; z raises debt ratio (+0.11 per sd), lowers margin (-0.035), "
                  "worsens tax ratings and raises record rates (admin penalty, dishonest debtor, abnormal "
                  "operation, serious dishonesty, ...)",
        "timing": "default in year t uses figures of t-1 and the tax rating of t-2 (published April t-1); "
                  "an overdue_loan credit record is written in the default year",
        "rows": "defaults has one row per firm and year 2016-2025 for firms that existed in t-1",
    }
    out.update(loop_plants.planted_facts())
    return out


PLANTED: dict = _planted()
PLANTED["projects"] = project_plants.planted()
PLANTED["research"] = research_demo.planted_research()


def _report(progress: Progress | None, stage: str, frac: float) -> None:
    if progress is not None:
        progress(stage, frac)


def build_tables(n_firms: int = 20000, seed: int = 7,
                 progress: Callable[[str, float], None] | None = None,
                 realism: bool = False, firm_offset: int = 0,
                 serial_base: int | None = None) -> dict[str, pd.DataFrame]:
    """Every data table of the demo province, deterministic in (n_firms, seed, realism).

    ``firm_offset`` / ``serial_base``: where the firms' USCC serials start (see
    ``firms.make_enterprises``; the shards of ``reforge.demo.national`` use them).

    ``realism=True`` adds share noise, late capability years and designations and name
    typos (``reforge.demo.realism``), so planted labels are no longer exact by construction.

    ``progress(stage, fraction_done)`` is called between stages. Raises ValueError when
    ``n_firms`` < 500 (every domestic item needs a producer) or > 10,000,000.
    """
    if not isinstance(n_firms, int | np.integer) or isinstance(n_firms, bool):
        raise ValueError(f"n_firms must be an integer, got {n_firms!r}")
    if n_firms < MIN_FIRMS or n_firms > 10_000_000:
        raise ValueError(f"n_firms must be between {MIN_FIRMS} and 10,000,000, got {n_firms}")
    ss = np.random.SeedSequence([int(seed), 20251129])
    rngs = [np.random.default_rng(s) for s in ss.spawn(10)]
    t = template()
    out: dict[str, pd.DataFrame] = {}
    _report(progress, "template", 0.0)
    out["chains"] = t["chains"].copy()
    out["items"] = t["items"].drop(columns=["industry"]).copy()
    out["chain_items"] = t["chain_items"].copy()
    out["chain_links"] = t["chain_links"].copy()
    out["foreign_suppliers"] = t["foreign_suppliers"].copy()
    _report(progress, "enterprises", 0.05)
    f = firms.make_enterprises(rngs[0], int(n_firms), firm_offset=firm_offset, serial_base=serial_base)
    first = tiers.select_tiers(rngs[1], f)
    _report(progress, "enterprise_years", 0.15)
    out["enterprise_years"] = firms.make_panel(rngs[2], f, first["little_giant"])
    out["enterprises"] = firms.finish_enterprises(rngs[3], f)
    _report(progress, "designations", 0.35)
    out["designations"] = tiers.make_designations(rngs[4], f, first)
    out["support_events"] = tiers.make_support(rngs[4], f, first)
    _report(progress, "supply", 0.45)
    caps, dom = supply.make_capabilities(rngs[5], f)
    out["capabilities"] = caps
    out["supply_links"] = supply.make_supply_links(rngs[5], f, dom)
    _report(progress, "credit", 0.65)
    out["credit_records"], out["defaults"] = credit.make_credit(rngs[6], f)
    _report(progress, "institutions", 0.85)
    inst, fields = community.make_institutions(rngs[7], int(n_firms))
    out["institutions"], out["institution_fields"] = inst, fields
    out["demands"], out["offers"] = community.make_demands_offers(rngs[7], f, inst, fields)
    out["experts"], out["appraisals"], out["appraisal_scores"] = community.make_experts_appraisals(
        rngs[8], f, inst, fields)
    _report(progress, "indicators", 0.95)
    out["indicators"] = macro.make_indicators(rngs[9])
    out["io_tables"], out["io_sectors"] = macro.make_io(rngs[9])
    out["item_sectors"] = macro.make_item_sectors()
    out = matching.plant_matching(out, int(seed))
    out = loop_plants.plant_loop(out, int(seed))
    out = project_plants.plant_projects(out, int(seed))
    out = research_demo.plant_research(out, int(seed))
    if realism:
        from reforge.demo.realism import apply_realism
        out = apply_realism(out, int(seed))
    result = {name: _conform(name, out[name]) for name in DATA_TABLES if name in out}
    missing = [n for n in DATA_TABLES if n not in result]
    if missing:
        raise RuntimeError(f"demo generator has no table for {missing}")
    _report(progress, "done", 1.0)
    return result


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Order columns as in the schema (keeping only schema columns)."""
    cols = [c for c in get_table(name).names if c in df.columns]
    return df[cols].reset_index(drop=True)
