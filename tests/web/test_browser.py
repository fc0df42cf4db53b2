"""The dashboard in a real browser: Debian's chromium driven by Playwright against a real server.

The database is the demo province (``reforge demo --firms 500 --seed 3``) with a trained credit
model. Screenshots of every page go to ``$REFORGE_SCREENSHOTS`` (default: a pytest temp dir,
never the repository); their folder is printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api.server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REFORGE = str(Path(sys.executable).with_name("reforge"))
# an i18n key leaking into the page (e.g. "nav.overview") means a label was not translated
KEY_RE = re.compile(r"\b(?:nav|common|login|overview|chains|ent|tiers|policy|credit|sectors|data|screen)"
                    r"\.[a-z_]+\b")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("webdb") / "demo.duckdb"
    for cmd in ([REFORGE, "demo", "--firms", "500", "--seed", "3", "--db", str(db)],
                [REFORGE, "credit", "train", "--db", str(db)]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-2000:]
    create_demo_accounts(db)
    return db


@pytest.fixture(scope="module")
def base_url(demo_db):
    with running_server(demo_db, login_limit=1000) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("REFORGE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {d}")
    return d


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        msg = "Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI"):  # .ci/run installs it: in CI a missing browser is a failure
            pytest.fail(msg)
        pytest.skip(msg)
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def new_page(browser, base_url, username, lang="en"):
    # bypass_csp: the server's CSP forbids eval, and Playwright evals wait_for_function predicates;
    # the pages themselves are checked under the CSP in tests/api/test_headers.py
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=base_url, bypass_csp=True)
    ctx.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
    page = ctx.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORDS[username])
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    return page


def visit(page, path: str, shots: Path, name: str):
    resp = page.goto(path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # charts draw on DOMContentLoaded
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    return resp


def api_token(base_url, username) -> dict:
    r = httpx.post(f"{base_url}/api/v1/auth/token",
                   data={"username": username, "password": DEMO_PASSWORDS[username]})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_login_page_and_wrong_password(browser, base_url, shots):
    ctx = browser.new_context(viewport={"width": 1000, "height": 700}, base_url=base_url)
    page = ctx.new_page()
    page.goto("/chains")
    assert page.url.endswith("/login?next=/chains")
    page.fill("#username", "analyst")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    assert page.inner_text("#login-error") == "Wrong username or password."
    page.screenshot(path=str(shots / "login_en.png"))
    ctx.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_in_both_languages(browser, base_url, shots, lang):
    hdr = api_token(base_url, "analyst")
    chain = httpx.get(f"{base_url}/api/v1/chains", headers=hdr).json()[0]
    uscc = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr,
                     params={"designation": "little_giant"}).json()["items"][0]["uscc"]
    page = new_page(browser, base_url, "analyst", lang)
    pages = {"overview": "/", "chains": "/chains", "chain": f"/chains/{chain['chain_id']}",
             "enterprises": "/enterprises", "enterprise": f"/enterprises/{uscc}", "tiers": "/tiers",
             "policy": "/policy", "credit": "/credit", "sectors": "/sectors", "appraise": "/appraise",
             "leaders": f"/loop/leaders?chain={chain['chain_id']}", "projects": "/loop/projects",
             "match": "/match", "research": "/research"}
    nav = {"en": ["Overview", "Chains", "Enterprises", "Tiers", "Policy", "Credit", "Sectors", "Appraisal",
                  "Leaders", "Projects", "Matching", "Joint research"],
           "zh": ["总览", "产业链", "企业", "梯度培育", "政策评估", "信用", "产业部门", "新产品评审", "链主企业",
                  "攻关项目", "供需对接", "联合攻关"]}[lang]
    for name, path in pages.items():
        resp = visit(page, path, shots, f"{name}_{lang}")
        assert resp.status == 200, (path, resp.status)
        body = page.inner_text("body")
        assert [a.strip() for a in page.locator("header nav a").all_inner_texts()] == nav
        assert not KEY_RE.findall(body), (path, KEY_RE.findall(body)[:5])
        assert "Internal Server Error" not in body and "Traceback" not in body
        if lang == "zh":
            assert CJK_RE.search(page.inner_text("h1")), path
    # chain names come from the data in the page's language
    page.goto("/chains")
    assert (chain["name_zh"] if lang == "zh" else chain["name"]) in page.inner_text("body")
    # charts are drawn by the locally served library (a canvas inside each chart div)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert page.locator("div.chart canvas").count() >= 2
    # value axes and tooltips speak the page's language: 万/亿 in Chinese, k/M/B in English
    short = page.evaluate("() => [123456789, 35000, 980, 2.5e9].map(window.reforgeShortNum)")
    assert short == (["1.23亿", "3.5万", "980", "25亿"] if lang == "zh" else ["123.46M", "35k", "980", "2.5B"])
    page.goto(f"/enterprises/{uscc}")
    page.wait_for_load_state("networkidle")
    drawn = page.evaluate("""() => { const el = document.querySelector('div.chart[data-option-id]');
        const o = echarts.getInstanceByDom(el).getOption();
        return [o.yAxis[0].axisLabel.formatter === window.reforgeShortNum, o.grid[0].containLabel]; }""")
    assert drawn == [True, True]
    page.context.close()


def test_chinese_text_renders_with_a_cjk_font(browser, base_url, shots):
    page = new_page(browser, base_url, "analyst", "zh")
    page.goto("/")
    # a CJK glyph rendered with a real font is much wider than the fallback "tofu" box of a Latin font
    w = page.evaluate("""() => { const s = document.createElement('span'); s.style.fontSize = '40px';
        s.textContent = '产业链'; document.body.appendChild(s); const w = s.getBoundingClientRect().width;
        s.remove(); return w; }""")
    assert w > 100
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert "Noto" in fonts or "CJK" in fonts
    page.context.close()


def test_disruption_simulation_from_the_page(browser, base_url, shots):
    hdr = api_token(base_url, "analyst")
    chain = "industrial_robot"
    expected = httpx.post(f"{base_url}/api/v1/chains/{chain}/simulate", headers=hdr,
                          json={"remove_country": "JP"}).json()
    nodes = {n["id"] for n in httpx.get(f"{base_url}/api/v1/chains/{chain}/map", headers=hdr).json()["nodes"]}
    page = new_page(browser, base_url, "analyst")
    page.goto(f"/chains/{chain}")
    page.evaluate("() => sessionStorage.clear()")
    page.select_option("#sim-country", "JP")
    page.click("#sim-run")
    page.wait_for_selector("#sim-count")
    assert page.inner_text("#sim-count").replace(",", "") == str(expected["disrupted_firms_count"])
    assert page.inner_text("#sim-lost").replace(",", "") == f"{expected['lost_value']:.0f}"
    # the items hit are outlined on the map, the others faded
    outlined = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('c-chainmap')).getOption()
        .series[0].data.filter(d => d.itemStyle && d.itemStyle.borderWidth === 3).map(d => d.id)""")
    hit = {r["item_id"] for r in expected["by_item"]} & nodes
    assert hit and set(outlined) == hit
    # by region: the first province in the list, compared with the API
    region = page.locator("#sim-region option").nth(1).get_attribute("value")
    by_region = httpx.post(f"{base_url}/api/v1/chains/{chain}/simulate", headers=hdr,
                           json={"remove_region": region}).json()
    page.select_option("#sim-country", "")
    page.select_option("#sim-region", region)
    page.click("#sim-run")
    page.wait_for_function(f"document.querySelector('#sim-count') && document.querySelector('#sim-count')"
                           f".innerText.replace(/,/g, '') === '{by_region['disrupted_firms_count']}'")
    page.select_option("#sim-region", "")
    page.select_option("#sim-country", "JP")
    page.click("#sim-run")
    page.wait_for_function(f"document.querySelector('#sim-count').innerText.replace(/,/g, '') === "
                           f"'{expected['disrupted_firms_count']}'")
    # the three scenarios side by side, newest first, kept over a reload
    rows = page.locator("#sim-compare tbody tr")
    assert rows.count() == 3
    firms = [int(x.replace(",", "")) for x in page.locator("#sim-compare tbody tr td:nth-child(4)").all_inner_texts()]
    assert firms == [expected["disrupted_firms_count"], by_region["disrupted_firms_count"],
                     expected["disrupted_firms_count"]]
    assert page.locator("#sim-compare tbody tr").first.locator("td").first.inner_text() == "Japan"
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#sim-compare tbody tr").count() == 3
    # item detail from the bottleneck table
    page.locator("table a[hx-get*='/items/']").first.click()
    page.wait_for_selector("#item-detail h3")
    page.wait_for_timeout(200)
    page.screenshot(path=str(shots / "chain_simulation_en.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chain_map_year_selector(browser, base_url, shots, lang):
    """The year selector redraws the map and the table with that year's labels (equal to the API's
    bottlenecks of the year); the choice stays in the URL."""
    hdr = api_token(base_url, "analyst")
    chain = "industrial_robot"
    page = new_page(browser, base_url, "analyst", lang)
    page.goto(f"/chains/{chain}")
    years = [int(v) for v in page.locator("#chain-year option").evaluate_all("os => os.map(o => o.value)")]
    assert len(years) >= 2 and years == sorted(years)
    first = years[0]
    page.select_option("#chain-year", str(first))
    page.wait_for_url(f"**/chains/{chain}?year={first}")
    page.wait_for_load_state("networkidle")
    want = {r["item_id"]: r["label"] for r in httpx.get(f"{base_url}/api/v1/chains/{chain}/bottlenecks", headers=hdr,
                                                         params={"year": first}).json()["items"]}
    latest = {r["item_id"]: r["label"] for r in httpx.get(f"{base_url}/api/v1/chains/{chain}/bottlenecks",
                                                           headers=hdr).json()["items"]}
    assert want != latest  # the years differ, so the check below can fail
    colours = page.evaluate("""() => Object.fromEntries(echarts.getInstanceByDom(document.getElementById('c-chainmap'))
        .getOption().series[0].data.map(d => [d.id, d.itemStyle.color]))""")
    from reforge.web.charts import LABEL_COLOURS
    assert colours == {i: LABEL_COLOURS.get(lab, "#9e9e9e") for i, lab in want.items()}
    assert page.locator("#chain-year option:checked").inner_text() == str(first)
    page.screenshot(path=str(shots / f"chain_year_{lang}.png"), full_page=True)
    resp = page.goto(f"/chains/{chain}?year=1800")  # a year without links: a clear 422, not an empty map
    assert resp.status == 422 and "1800" in page.inner_text("body")
    page.context.close()


def test_policy_evaluation_from_the_page(browser, base_url, shots):
    page = new_page(browser, base_url, "analyst", "zh")
    page.goto("/policy")
    page.click("#policy-run")
    page.wait_for_function("document.querySelector('#policy-result').innerText.length > 0", timeout=120000)
    page.wait_for_timeout(300)
    text = page.inner_text("#policy-result")
    assert "Traceback" not in text
    page.wait_for_selector("#policy-att")
    assert page.locator("#policy-result div.chart canvas").count() == 1  # the event-study plot
    href = page.get_attribute("#policy-report", "href")
    rep = page.request.get(href)  # the downloadable HTML report, with the page's session cookie
    assert rep.status == 200 and "<html" in rep.text().lower()
    assert page.locator("#policy-runs a").count() >= 1  # the run is listed (out-of-band swap)
    page.screenshot(path=str(shots / "policy_result_zh.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_bad_file_shows_errors_and_writes_nothing(browser, base_url, shots, tmp_path, lang):
    before = httpx.get(f"{base_url}/api/v1/health").json()["enterprises"]
    bad = tmp_path / "bad_enterprises.csv"
    bad.write_text("uscc,name,province_code,industry_code\n"
                   "91320500MA1RB0T00X,坏代码公司,320000,3491\n"
                   "91320500MA1GD0000,,320000,9999\n", encoding="utf-8")
    page = new_page(browser, base_url, "admin", lang)
    visit(page, "/data", shots, f"data_{lang}")
    page.select_option("#upload-table", "enterprises")
    page.set_input_files("#upload-file", str(bad))
    page.click("#upload-submit")
    page.wait_for_selector("#import-errors")
    rows = page.locator("#import-errors tbody tr")
    assert rows.count() >= 3
    cols = set(page.locator("#import-errors tbody tr td:nth-child(4)").all_inner_texts())
    assert {"uscc", "name", "industry_code"} <= cols
    # the line in the file is the data row + 1 (the header line), and the reason is in the page's language
    data_rows = page.locator("#import-errors tbody tr td:nth-child(2)").all_inner_texts()
    lines = page.locator("#import-errors tbody tr td:nth-child(3)").all_inner_texts()
    assert [int(x) + 1 for x in data_rows if x] == [int(x) for x in lines if x] and any(lines)
    reasons = page.locator("#import-errors tbody tr td:nth-child(6)").all_inner_texts()
    cjk = [any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in reasons]
    assert all(cjk) if lang == "zh" else not any(cjk), reasons
    msg = page.inner_text("#import-failed")
    assert ("Nothing was imported" in msg) if lang == "en" else ("未导入任何数据" in msg)
    page.screenshot(path=str(shots / f"data_upload_errors_{lang}.png"), full_page=True)
    assert httpx.get(f"{base_url}/api/v1/health").json()["enterprises"] == before
    page.context.close()


def test_enterprise_account_sees_only_its_own_profile(browser, base_url, shots):
    hdr = api_token(base_url, "analyst")
    own = httpx.get(f"{base_url}/api/v1/enterprises", headers=api_token(base_url, "enterprise")).json()
    own_uscc = own["items"][0]["uscc"]
    other = next(i["uscc"] for i in httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr).json()["items"]
                 if i["uscc"] != own_uscc)
    page = new_page(browser, base_url, "enterprise", "zh")
    assert page.url.endswith(f"/enterprises/{own_uscc}")
    assert page.inner_text("#ent-uscc") == own_uscc
    assert page.locator("header nav a").all_inner_texts() == ["本企业", "我的需求"]  # its profile, its demands
    page.screenshot(path=str(shots / "enterprise_own_zh.png"), full_page=True)
    assert page.goto(f"/enterprises/{other}").status == 404
    assert page.goto("/chains").status == 403
    assert page.goto("/data").status == 403
    page.context.close()


def test_enterprise_search_and_paging(browser, base_url, shots):
    hdr = api_token(base_url, "analyst")
    expected = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"q": "北京"}).json()
    page = new_page(browser, base_url, "analyst", "zh")
    page.goto("/enterprises")
    page.fill("#ent-q", "北京")
    page.click("#ent-submit")
    page.wait_for_function(f"document.querySelector('#ent-total').innerText.replace(/,/g, '') === "
                           f"'{expected['total']}'")
    first = page.locator("#ent-results tbody tr td a").first.inner_text()
    assert first == expected["items"][0]["uscc"]
    if expected["total"] > 20:
        page.click("#ent-next")
        page.wait_for_function(f"document.querySelector('#ent-results tbody tr td a').innerText !== '{first}'")
        p2 = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"q": "北京", "page": 2}).json()
        assert page.locator("#ent-results tbody tr td a").first.inner_text() == p2["items"][0]["uscc"]
    page.screenshot(path=str(shots / "enterprises_search_zh.png"), full_page=True)
    page.context.close()


# three or more English words in a row: a sentence, not a code (codes such as main_share or
# tax_rating_d have no spaces) nor a unit
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")


def test_chinese_pages_give_the_analysis_in_chinese(browser, base_url, shots):
    """Issue 12: on the Chinese pages the reasons of the chain labels, of the credit grade, of
    the screening outcomes and the credit overlays are Chinese sentences (codes rendered
    through the zh catalog), and the English pages' chain reasons have no Chinese."""
    chain = httpx.get(f"{base_url}/api/v1/chains", headers=api_token(base_url, "analyst")).json()[0]
    firms = httpx.get(f"{base_url}/api/v1/enterprises", params={"limit": 6},
                      headers=api_token(base_url, "analyst")).json()["items"]
    page = new_page(browser, base_url, "analyst", "zh")
    texts: dict[str, list[str]] = {}
    visit(page, f"/chains/{chain['chain_id']}", shots, "reasons_chain_zh")
    texts["chain"] = page.locator("ul.reasons li").all_inner_texts()
    for f in firms:
        visit(page, f"/enterprises/{f['uscc']}", shots, f"reasons_enterprise_{f['uscc']}_zh")
        texts.setdefault("enterprise", []).extend(page.locator("ul.reasons li").all_inner_texts())
    page.context.close()
    assert len(texts["chain"]) >= 10 and len(texts["enterprise"]) >= 12, texts
    english = {k: [x for x in v if ENGLISH_RUN.search(x)] for k, v in texts.items()}
    assert english == {"chain": [], "enterprise": []}, english
    assert all(CJK_RE.search(x) for v in texts.values() for x in v), texts
    assert any("比该指标最优分箱低" in x and "分" in x for x in texts["enterprise"])  # a credit reason
    assert any("项条件" in x or "要求" in x for x in texts["enterprise"])  # a screening reason
    en = new_page(browser, base_url, "analyst", "en")
    visit(en, f"/chains/{chain['chain_id']}", shots, "reasons_chain_en")
    en_chain = en.locator("ul.reasons li").all_inner_texts()
    en.context.close()
    assert len(en_chain) == len(texts["chain"]) and not any(CJK_RE.search(x) for x in en_chain), en_chain
