"""On the demo province (2,000 firms, seed 7): the planted projects show in the data, the portfolio's
queries list the planted overdue milestones and uncovered items, and the outcome evaluation recovers the planted effect
(against a hand-computed 2x2 difference in differences and within its 95 % band)."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.demo.generate import PLANTED
from reforge.engine import DuckDBEngine
from reforge.loop.outcome import project_outcome

pytestmark = pytest.mark.slow
PL = PLANTED["projects"]


@pytest.fixture(scope="module")
def frames(demo_db):
    with DuckDBEngine(demo_db, read_only=True) as e:
        return {t: e.fetch_df(f"SELECT * FROM {t}") for t in
                ("projects", "project_items", "supply_links", "capabilities", "chain_items", "project_milestones")}


def _effective(f) -> list[str]:
    p = f["projects"].merge(f["project_items"], on="project_id")
    start = pd.to_datetime(p.start_on).dt.year
    return sorted(p.loc[(start + PL["effect"]["lag_years"]) == f["supply_links"].year.max(), "item_id"])


def _share(f) -> pd.DataFrame:
    sl = f["supply_links"]
    g = sl.assign(d=sl.value.where(sl.supplier_type == "enterprise", 0.0)).groupby(["item_id", "year"])[["d", "value"]].sum()
    return (g.d / g.value).unstack()


def test_planted_effect_is_in_the_data(frames):
    items = _effective(frames)
    # one per chain; ito_target and main_valve (the pump project's second item) are planted label
    # transitions (reforge.demo.loop_plants), which projects avoid; the battery chain's candidates have
    # fewer than two domestic producers before the effect year (pouch_film's second starts in 2024)
    assert sorted(items) == ["main_pump", "microspheres", "motion_chip", "photoresist", "scale_encoder"]
    c = frames["capabilities"]
    c = c[(c.producer_type == "enterprise") & c.tech_level.notna()]
    best = {y: c[c.since_year.fillna(0) <= y].groupby("item_id").tech_level.max() for y in (2023, 2024)}
    for i in items:
        assert best[2024][i] - best[2023][i] == PL["effect"]["tech_level"], i


def test_outcome_recovers_the_planted_effect(demo_db, frames):
    with DuckDBEngine(demo_db, read_only=True) as e:
        share = project_outcome(e, "domestic_share", lag=PL["effect"]["lag_years"])
        gap = project_outcome(e, "tech_gap", lag=PL["effect"]["lag_years"])
        early = project_outcome(e, "domestic_share", lag=0)
    s = _share(frames)
    chain_items = set(frames["chain_items"].item_id)
    s = s[s.index.isin(chain_items)].dropna()
    treated = set(_effective(frames))
    recent = set(frames["project_items"].item_id) - treated  # effect year after the data: comparisons
    ch = s[2024] - s[2023]
    ref = ch[ch.index.isin(treated)].mean() - ch[~ch.index.isin(treated)].mean()
    assert share.estimable and share.n_treated == len(treated & set(s.index))
    assert share.n_controls == len(set(s.index) - treated)
    assert share.att == pytest.approx(ref, abs=1e-9)  # CS with never-treated and two periods = the 2x2 DiD
    lo, hi = share.ci
    assert lo <= PL["effect"]["domestic_share"] <= hi and lo > 0
    glo, ghi = gap.ci
    assert glo <= -PL["effect"]["tech_level"] <= ghi and ghi < 0
    assert [n.code for n in share.notes] == ["loop.outcome.small"]  # fewer than 10 treated items: said so
    assert recent and early.n_no_pre == len(treated)  # lag 0: the 2021 projects have no year before
    assert not early.estimable or early.n_treated == len(recent & set(s.index))


def test_firm_unit_counts_participants(demo_db):
    """Participating firms (leads and enterprise partners) against chain firms that take no part."""
    with DuckDBEngine(demo_db, read_only=True) as e:
        r = project_outcome(e, "log_revenue", unit="firm")
        ey = e.fetch_df("SELECT uscc, year, revenue FROM enterprise_years")
        part = e.fetch_df("SELECT lead_uscc AS uscc, start_on FROM projects UNION ALL SELECT pp.partner_id, p.start_on "
                          "FROM project_partners pp JOIN projects p USING (project_id) WHERE pp.partner_type = 'enterprise'")
    years = sorted(ey.year.unique())
    ok = ey[ey.revenue > 0].groupby("uscc").year.nunique()
    full = set(ok[ok == len(years)].index)
    first = pd.to_datetime(part.start_on).dt.year.groupby(part.uscc).min()
    want = {u for u, y in first.items() if u in full and years[0] < y <= years[-1]}
    assert r.estimable and set(r.treated_units) == want and r.n_treated == len(want) >= 5
    lo, hi = r.ci
    assert lo < r.att < hi


def test_planted_overdue_milestones_and_uncovered_items(demo_db, frames):
    """The portfolio's parts on the demo (the lead checks, which score every designated firm, are
    left to the hand-made tests)."""
    from reforge.loop import projects_sql as q
    from reforge.loop.projects import gap_items
    with DuckDBEngine(demo_db, read_only=True) as e:
        overdue = q.overdue(e, PL["as_of"])
        gaps, _year = gap_items(e)
        per = q.item_projects(e, PL["as_of"])
        budget = q.budget(e)
    pi = frames["project_items"].groupby("project_id").item_id.first()
    got = {(pi[p], m) for p, m in zip(overdue.project_id, overdue.milestone_id, strict=True)}
    want = set(PL["overdue_as_of"].items()) | {(i, m) for i, (m, _d) in PL["done_late"].items()}
    assert got == want
    covered = set(frames["project_items"].item_id)
    assert set(per.item_id) == covered  # every planted project started by AS_OF and none is cancelled
    uncovered = {g["item_id"] for g in gaps} - set(per.item_id)
    assert {"spindle_bearing", "electron_microscope", "evaporator"} <= uncovered
    assert not uncovered & covered
    total = frames["projects"].shape[0]
    assert budget.amount.sum() == pytest.approx(sum(6e7 + 2e7 * k for k in range(total)))
