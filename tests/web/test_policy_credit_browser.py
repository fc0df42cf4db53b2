# ruff: noqa: F811 - pytest fixtures imported from test_browser are parameters here
"""The policy and credit pages in a real browser (issue 13, points 8 and 9), both languages.

Same set-up as ``test_browser.py`` (demo province, 500 firms, seed 3, trained credit model, Debian
chromium, a real uvicorn server). Expected values come from independent references: the firms
the estimator uses are counted here with pandas from the raw tables (cohort = first grant
year + 1, balanced panel of non-missing outcomes); p-values from scipy; the scorecard from the
stored model JSON read with duckdb. Screenshots go to ``$REFORGE_SCREENSHOTS`` (default: a pytest
temp dir). In the demo, ``little_giant_fund`` has 4 supported firms (3 in the balanced panel):
the small-sample case; ``innovative_sme`` has more than 30.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import duckdb
import pandas as pd
import pytest
from scipy.stats import norm

from tests.web.test_browser import (  # noqa: F401 - fixtures
    base_url,
    browser,
    demo_db,
    new_page,
    shots,
    visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UNIT = {"en": "percentage points", "zh": "百分点"}
WARN = {"en": "Few treated firms", "zh": "处理组企业过少"}


def _read(db, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def used_firms(db, programme: str, source: str) -> tuple[int, int]:
    """(treated, comparison) firms of an R&D-intensity evaluation, counted with pandas: firms with
    R&D intensity in every panel year; cohort = first grant year + 1; cohorts after the last
    year count as comparison firms (not yet treated), those at or before the first are dropped."""
    ey = _read(db, "SELECT uscc, year, revenue, rd_expense FROM enterprise_years")
    ey = ey[(ey["revenue"] > 0) & ey["rd_expense"].notna()]
    years = sorted(ey["year"].unique())
    n_years = ey.groupby("uscc")["year"].nunique()
    balanced = set(n_years[n_years == len(years)].index)
    col = "programme" if source == "support_events" else "kind"
    g = _read(db, f"SELECT uscc, MIN(YEAR(granted_on)) AS y FROM {source} WHERE {col} = ? GROUP BY uscc",
              [programme]).set_index("uscc")["y"] + 1
    tmin, tmax = years[0], years[-1]
    treated = control = 0
    for u in balanced:
        c = g.get(u)
        if c is not None and c <= tmin:
            continue  # treated from the first year: no pre-period
        if c is not None and c <= tmax:
            treated += 1
        else:
            control += 1
    return treated, control


def _evaluate(page, programme: str) -> None:
    page.goto("/policy")
    page.select_option("#policy-programme", programme)
    page.select_option("#policy-outcome", "rd_intensity")
    page.click("#policy-run")
    page.wait_for_selector("#policy-att", timeout=120000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the chart draws


def _chart(page, idx: int = 1) -> dict:
    return json.loads(page.inner_text(f"#opt-es-{idx}"))


def _num(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_policy_estimate_with_ci_p_value_unit_counts_and_stored_run(browser, base_url, demo_db, shots, lang):
    page = new_page(browser, base_url, "analyst", lang)
    before = int(_read(demo_db, "SELECT COUNT(*) AS n FROM policy_runs")["n"].iloc[0])
    _evaluate(page, "innovative_sme")
    page.screenshot(path=str(shots / f"policy_estimate_{lang}.png"), full_page=True)
    # the run is stored with user, time and parameters; the page shows what it stored
    runs = _read(demo_db, "SELECT run_id, created_at, username, programme, params, result FROM policy_runs "
                          "ORDER BY created_at DESC, run_id DESC")
    assert len(runs) == before + 1
    row = runs.iloc[0]
    params = json.loads(row["params"])
    assert row["username"] == "analyst" and row["programme"] == "innovative_sme"
    assert params["programme"] == "innovative_sme" and params["outcomes"] == ["rd_intensity"]
    assert params["lag"] == 1 and params["control"] == "notyet"
    s = json.loads(row["result"])["summary"][0]
    att, se = s["att"], s["se"]
    # estimate, 95 % CI and p-value in percentage points (rd_intensity is a fraction)
    assert _num(page.inner_text("#policy-att")) == pytest.approx(100 * att, abs=0.006)
    lo, hi = (_num(x) for x in page.inner_text("#policy-ci").split("–"))
    z = norm.ppf(0.975)
    assert lo == pytest.approx(100 * (att - z * se), abs=0.006) and hi == pytest.approx(100 * (att + z * se), abs=0.006)
    p = 2 * norm.sf(abs(att / se))
    shown = page.inner_text("#policy-p")
    assert (shown == "< 0.001") if p < 0.001 else _num(shown) == pytest.approx(p, abs=0.0006)
    assert page.inner_text("#policy-unit") == UNIT[lang]
    # treated / comparison firms actually used (not the panel size), against pandas
    treated, control = used_firms(demo_db, "innovative_sme", "designations")
    assert (int(page.inner_text("#policy-treated")), int(page.inner_text("#policy-control"))) == (treated, control)
    assert treated >= 30 and page.locator("#policy-small-sample").count() == 0
    # the band is drawn where enough treated firms are (at e = 0 at least)
    ch = _chart(page)
    e0 = ch["xAxis"]["data"].index("0")
    assert ch["series"][0]["data"][e0] is not None and ch["series"][1]["data"][e0] > 0
    # listed newest first with user and time, and reopened from the database without recomputing
    att_text = page.inner_text("#policy-att")
    page.goto("/policy")
    first = page.locator("#policy-runs tbody tr").first
    assert first.get_attribute("data-run") == row["run_id"]
    assert "analyst" in first.inner_text() and row["created_at"].strftime("%Y-%m-%d %H:%M") in first.inner_text()
    first.locator("a.policy-open").click()
    page.wait_for_selector("#policy-att")
    page.wait_for_url(re.compile(f"run={row['run_id']}"))
    assert page.inner_text("#policy-att") == att_text
    page.reload()  # the URL reopens the run
    assert page.inner_text("#policy-att") == att_text
    assert int(_read(demo_db, "SELECT COUNT(*) AS n FROM policy_runs")["n"].iloc[0]) == before + 1
    page.screenshot(path=str(shots / f"policy_reopened_{lang}.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_policy_small_sample_warning_and_no_band_where_thin(browser, base_url, demo_db, shots, lang):
    treated, control = used_firms(demo_db, "little_giant_fund", "support_events")
    assert 0 < treated < 5
    page = new_page(browser, base_url, "analyst", lang)
    _evaluate(page, "little_giant_fund")
    page.screenshot(path=str(shots / f"policy_small_sample_{lang}.png"), full_page=True)
    warn = page.inner_text("#policy-small-sample")
    assert WARN[lang] in warn and str(treated) in warn
    assert int(page.inner_text("#policy-treated")) == treated and int(page.inner_text("#policy-control")) == control
    # every event time has fewer than 5 treated firms: points are drawn, no band anywhere
    ch = _chart(page)
    assert any(v is not None for v in ch["series"][2]["data"])
    assert all(v is None for v in ch["series"][0]["data"]) and all(v is None for v in ch["series"][1]["data"])
    assert page.locator("#policy-thin").count() == 1
    # hostile run ids: a 404 page, nothing echoed
    for bad in ("<script>alert(1)</script>", "' OR 1=1 --", "0" * 200):
        resp = page.goto("/policy?run=" + quote(bad))
        assert resp.status == 404 and "<script>alert" not in page.content()
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_credit_reasons_relative_to_best_bin_scorecard_and_report(browser, base_url, demo_db, shots, lang):
    spec = json.loads(_read(demo_db, "SELECT spec FROM credit_models ORDER BY created_at DESC LIMIT 1")["spec"].iloc[0])
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/credit", shots, f"credit_scorecard_{lang}")
    # the scorecard table: a row per feature bin (and the missing bin) with the model's points
    rows = page.locator("#scorecard-table tbody tr")
    assert rows.count() == sum(len(f["points"]) + 1 for f in spec["features"])
    best = {}
    for f in spec["features"]:
        got = [_num(x) for x in page.locator(f"#scorecard-table tr[data-feature='{f['name']}'] td:nth-child(3)")
               .all_inner_texts()]
        assert got == [*f["points"], f["points_missing"]]
        cand = list(f["points"]) + ([f["points_missing"]] if f.get("missing_count", 0) > 0 else [])
        best[f["name"]] = max(cand)
    # reasons say what the points are relative to, and add up with the table:
    # the bin's points + the loss = the feature's best bin
    reasons = page.locator("#credit-table tbody tr td:nth-child(6) li").all_inner_texts()  # not the overlays
    assert reasons
    pat = (re.compile(r"^(.*?) \S+ \(.*: ([+\u2212]?\d+) points\) \u2212(\d+) points vs\. the best bin of (.*)$")
           if lang == "en" else re.compile(r"^(.*?) \S+（.*：([+\u2212]?\d+) 分），比该指标最优分箱低 (\d+) 分$"))
    names = {}
    for f in spec["features"]:
        names[page.locator(f"#scorecard-table tr[data-feature='{f['name']}'] td").first.inner_text()] = f["name"]
    checked = 0
    for text in reasons:
        m = pat.match(text)
        assert m, text
        if lang == "en":
            assert m.group(1) == m.group(4)
        feat = names.get(m.group(1))
        if feat is not None:
            assert _num(m.group(2)) + int(m.group(3)) == best[feat], text
            checked += 1
    assert checked >= 5
    # the page scores every firm without reasons and explains only the rows it shows: each row's
    # reasons are the library's own for that firm (rendered in the page language)
    from reforge.credit import score
    from reforge.engine import DuckDBEngine
    from reforge.messages import render_coded
    shown = {r.locator("td").first.inner_text().strip(): r.locator("td:nth-child(6) li").all_inner_texts()
             for r in page.locator("#credit-table tbody tr").all()}
    with DuckDBEngine(demo_db, read_only=True) as e:
        lib = score(e, uscc=list(shown)).to_dict()["firms"]
    assert {f["uscc"]: [render_coded(c, lang) for c in f["reason_codes"]] for f in lib} == shown
    # the validation report is linked and served (built in memory)
    href = page.get_attribute("#credit-report-link", "href")
    rep = page.request.get(href)
    assert rep.status == 200 and "Discrimination" in rep.text() and "Scorecard" in rep.text()
    assert spec["model_id"] in rep.text()
    # the same scorecard from the API, names in the page's language
    api = page.request.get(f"/api/v1/credit/scorecard?lang={lang}").json()
    assert api["model_id"] == spec["model_id"] and len(api["rows"]) == rows.count()
    assert [r["points"] for r in api["rows"] if r["feature"] == spec["features"][0]["name"]] == \
        [*spec["features"][0]["points"], spec["features"][0]["points_missing"]]
    assert {r["feature"] for r in api["rows"] if r["best"]} == {f["name"] for f in spec["features"]}
    page.context.close()
