# ruff: noqa: F811 - pytest fixtures imported from test_browser are parameters here
"""Names, sortable paged tables, filters in the URL and Excel/CSV downloads, in a real browser.

Same set-up as ``test_browser.py`` (demo province, 500 firms, trained credit model, Debian
chromium). Expected values come from the API's JSON and from the shipped code lists read
here with ``csv`` / Babel, not from the page code. Screenshots go to ``$REFORGE_SCREENSHOTS``.
"""

from __future__ import annotations

import csv
import re
from importlib import resources

import duckdb
import httpx
import openpyxl
import pytest
from babel import Locale

from tests.web.test_browser import (  # noqa: F401 - fixtures
    api_token,
    base_url,
    browser,
    demo_db,
    new_page,
    shots,
    visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEAD = {"en": {"uscc": "USCC", "firm": "Enterprise", "grade": "Grade"},
        "zh": {"uscc": "统一社会信用代码", "firm": "企业", "grade": "等级"}}


def _division_names() -> dict[str, str]:
    with resources.files("reforge.ingest").joinpath("codes", "gbt2260_divisions_2024.csv").open(encoding="utf-8") as f:
        return {r["code"]: r["name"] for r in csv.DictReader(f)}


def _total(page, sel: str) -> int:
    return int(page.inner_text(sel).replace(",", ""))


def _open_xlsx(download, tmp_path):
    p = tmp_path / download.suggested_filename
    download.save_as(p)
    ws = openpyxl.load_workbook(p).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_credit_table_grade_filter_sort_paging_and_download(browser, base_url, shots, demo_db, lang, tmp_path):
    hdr = api_token(base_url, "analyst")
    scores = httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, timeout=120).json()["firms"]
    grade = max({r["grade"] for r in scores}, key=lambda g: sum(r["grade"] == g for r in scores))
    want = sorted((r for r in scores if r["grade"] == grade), key=lambda r: (r["pd"], r["uscc"]))
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/credit", shots, f"credit_all_{lang}")
    assert _total(page, "#credit-table-total") == len(scores)  # every firm, not the 20 worst
    assert page.locator("#credit-table tbody tr").count() == 25
    page.select_option("#grade-filter", grade)
    page.wait_for_url(re.compile(f"grade={grade}"))
    page.wait_for_load_state("networkidle")
    assert _total(page, "#credit-table-total") == len(want)
    page.click("#credit-table-sort-pd")  # pd was descending by default: now ascending
    page.wait_for_url(re.compile("dir=asc"))
    page.wait_for_load_state("networkidle")
    assert "dir=asc" in page.url and f"grade={grade}" in page.url
    first = page.locator("#credit-table tbody tr").first.locator("td a").first.inner_text()
    assert first == want[0]["uscc"]
    # firm names beside USCCs, from the database
    con = duckdb.connect(str(demo_db), read_only=True)
    name, name_en = con.execute("SELECT name, name_en FROM enterprises WHERE uscc = ?", [first]).fetchone()
    con.close()
    cells = page.locator("#credit-table tbody tr").first.locator("td")
    assert cells.nth(1).inner_text() == (name if lang == "zh" or not name_en else name_en)
    if len(want) > 25:
        page.click("#credit-table-next")
        page.wait_for_url(re.compile("page=2"))
        page.wait_for_load_state("networkidle")
        assert "page=2" in page.url
        assert page.locator("#credit-table tbody tr td a").first.inner_text() == want[25]["uscc"]
        page.go_back()
        page.wait_for_url(lambda u: "page=2" not in u)
        page.wait_for_load_state("networkidle")
        assert "page=2" not in page.url and page.locator("#credit-table tbody tr td a").first.inner_text() == first
    page.screenshot(path=str(shots / f"credit_grade_{lang}.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#credit-table-xlsx")
    rows = _open_xlsx(dl.value, tmp_path)
    assert rows[0][:3] == [HEAD[lang]["uscc"], HEAD[lang]["firm"], HEAD[lang]["grade"]]
    assert len(rows) - 1 == len(want)
    assert [r[0] for r in rows[1:]] == [r["uscc"] for r in want]  # the page's order, every row
    with page.expect_download() as dl:
        page.click("#credit-table-csv")
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    lines = list(csv.reader(text.splitlines()))
    assert lines[0][0] == HEAD[lang]["uscc"] and len(lines) - 1 == len(want)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tiers_names_conditions_in_words_and_download(browser, base_url, shots, lang, tmp_path):
    hdr = api_token(base_url, "analyst")
    res = httpx.get(f"{base_url}/api/v1/tiers/screen", headers=hdr, params={"tier": "srdi_sme"}, timeout=120).json()
    passing = [f for f in res["firms"] if f["outcome"] == "pass"]
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/tiers?tier=srdi_sme", shots, f"tiers_tables_{lang}")
    assert _total(page, "#candidates-total") == len(passing)  # the true total, not a list cut at 100
    # failed conditions in words: "main-business share 69.9% < 80%" / "主营业务收入占比 69.9% < 80%"
    body = page.inner_text("#near") if page.locator("#near").count() else ""
    assert "main_share (" not in body and "(0." not in body
    page.goto("/enterprises?province_code=320000&lang=" + lang)
    page.wait_for_load_state("networkidle")
    # a firm failing main_share: its profile lists the condition in words
    near = [f for f in res["firms"] if any(x["condition"] == "main_share" for x in f.get("failed") or [])]
    if near:
        f = near[0]
        x = next(x for x in f["failed"] if x["condition"] == "main_share")
        visit(page, f"/enterprises/{f['uscc']}", shots, f"profile_conditions_{lang}")
        label = "主营业务收入占比" if lang == "zh" else "main-business share"
        want = f"{label} {100 * x['value']:.1f}% < {100 * x['threshold']:.0f}%"
        assert want in page.inner_text("body"), want
    if passing:
        page.goto("/tiers?tier=srdi_sme&c_sort=score&c_dir=asc")
        page.wait_for_load_state("networkidle")
        lo = min(p["score"] for p in passing)
        first = page.locator("#candidates tbody tr").first.locator("td").nth(3).inner_text()
        assert float(first.replace(",", "")) == pytest.approx(lo, abs=0.01)
        with page.expect_download() as dl:
            page.click("#candidates-xlsx")
        rows = _open_xlsx(dl.value, tmp_path)
        assert rows[0][0] == HEAD[lang]["uscc"] and len(rows) - 1 == len(passing)
        assert sorted(r[0] for r in rows[1:]) == sorted(p["uscc"] for p in passing)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_warnings_and_review_tables_sort_page_and_download(browser, base_url, shots, lang, tmp_path):
    """The warning and review tables page on the server with true totals, sort by level, keep
    their state in the URL and download every row with reasons in the page's language."""
    hdr = api_token(base_url, "analyst")
    warn = httpx.get(f"{base_url}/api/v1/tiers/warnings", headers=hdr, timeout=120).json()
    flagged = [f for f in warn["firms"] if f["level"] in ("red", "amber")]
    rev = httpx.get(f"{base_url}/api/v1/tiers/review", headers=hdr, params={"tier": "little_giant"},
                    timeout=120).json()
    assert flagged, "the demo province has amber/red warnings"
    page = new_page(browser, base_url, "analyst", lang)
    page.goto("/")  # the overview computes (and caches) the same warnings first
    page.wait_for_load_state("networkidle")
    visit(page, "/tiers?tier=little_giant", shots, f"tiers_warnings_{lang}")
    assert _total(page, "#warnings-total") == len(flagged)
    first = page.locator("#warnings tbody tr").first.locator("td")
    assert first.nth(1).inner_text().strip() not in ("", first.nth(0).inner_text().strip())  # a name, not the USCC
    assert _total(page, "#review-total") == len(rev["firms"])
    n_red = sum(f["level"] == "red" for f in flagged)
    cells = page.locator("#warnings tbody tr td:nth-child(5)").all_inner_texts()
    red, amber = ("红", "黄") if lang == "zh" else ("red", "amber")
    assert len(cells) == min(25, len(flagged))
    assert all(red in c for c in cells[:min(n_red, 25)])  # red first by default
    page.click("#warnings-sort-level")  # toggles to ascending: amber first
    page.wait_for_load_state("networkidle")
    assert "w_sort=level" in page.url and "w_dir=asc" in page.url
    if n_red < len(flagged):
        assert amber in page.locator("#warnings tbody tr td:nth-child(5)").first.inner_text()
    if len(flagged) > 25:
        page.click("#warnings-next")
        page.wait_for_load_state("networkidle")
        assert "w_page=2" in page.url and "w_dir=asc" in page.url  # the sort survives paging
        page.reload()
        assert page.inner_text("#warnings-page").split()[-3] == "2"
    with page.expect_download() as dl:
        page.click("#warnings-xlsx")
    rows = _open_xlsx(dl.value, tmp_path)
    assert rows[0][0] == HEAD[lang]["uscc"] and len(rows) - 1 == len(flagged)
    assert sorted(r[0] for r in rows[1:]) == sorted(f["uscc"] for f in flagged)
    reasons = " ".join(str(r[5] or "") for r in rows[1:])
    assert reasons.strip()
    if lang == "zh":  # rendered from the codes, not the English texts
        assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", reasons), reasons[:300]
    else:
        assert not re.search(r"[\u4e00-\u9fff]", reasons)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_province_by_name_filters_in_url_names_not_codes(browser, base_url, shots, lang, tmp_path):
    hdr = api_token(base_url, "analyst")
    n_js = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"province_code": "320000"}).json()["total"]
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/enterprises", shots, f"enterprises_{lang}")
    n_all = _total(page, "#ent-total")
    page.fill("#ent-province", "江苏" if lang == "zh" else "Jiangsu")
    page.click("#ent-submit")
    page.wait_for_function(f"document.querySelector('#ent-total').innerText.replace(/,/g, '') === '{n_js}'")
    assert re.search(r"/enterprises\?.*province_code=", page.url)  # filters in the address bar
    region = "江苏省" if lang == "zh" else "Jiangsu"
    assert page.locator("#ent-table tbody tr").first.locator("td").nth(2).inner_text() == region
    page.click("#ent-sort-revenue")
    page.wait_for_function("location.search.includes('sort=revenue')")
    top = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr,
                    params={"province_code": "320000", "page_size": 200}).json()["items"]
    assert len(top) <= 200
    page.reload()
    page.wait_for_load_state("networkidle")
    assert _total(page, "#ent-total") == n_js and "sort=revenue" in page.url  # survives reload
    page.screenshot(path=str(shots / f"enterprises_jiangsu_{lang}.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#ent-xlsx")
    rows = _open_xlsx(dl.value, tmp_path)
    assert len(rows) - 1 == n_js
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert rows[0][0] == HEAD[lang]["uscc"]
    assert all(bool(cjk.search(h)) == (lang == "zh") for h in rows[0]), rows[0]  # headers in the page's language
    assert {r[2] for r in rows[1:]} == {region}
    page.go_back()
    page.wait_for_function("!location.search.includes('sort=revenue')")
    page.go_back()
    page.wait_for_function(f"document.querySelector('#ent-total').innerText.replace(/,/g, '') === '{n_all}'")
    # a profile: province and city by name (GB/T 2260), industry by name (GB/T 4754)
    uscc = top[0]["uscc"]
    ent = httpx.get(f"{base_url}/api/v1/enterprises/{uscc}", headers=hdr).json()["enterprise"]
    visit(page, f"/enterprises/{uscc}", shots, f"profile_names_{lang}")
    div = _division_names()
    text = page.inner_text("#ent-region")
    if lang == "zh":
        assert text.startswith(div[ent["province_code"]])
    else:
        assert text.startswith("Jiangsu")
    if ent.get("city_code"):
        assert div[ent["city_code"]] in text
    assert ent["province_code"] not in text
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_simulator_country_picker_and_supplier_countries_show_names(browser, base_url, shots, lang):
    hdr = api_token(base_url, "analyst")
    chain = httpx.get(f"{base_url}/api/v1/chains", headers=hdr).json()[0]
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, f"/chains/{chain['chain_id']}", shots, f"chain_picker_{lang}")
    opts = page.locator("#sim-country option").evaluate_all("os => os.map(o => [o.value, o.textContent])")[1:]
    assert opts
    terr = Locale.parse("zh_Hans_CN" if lang == "zh" else "en").territories
    for code, text in opts:
        assert text == terr[code], (code, text)
    # a simulation names the chains it hits (not their ids)
    chains = httpx.get(f"{base_url}/api/v1/chains", headers=hdr).json()
    page.select_option("#sim-country", opts[0][0])
    page.click("#sim-run")
    page.wait_for_selector("#sim-count")
    cells = page.locator("#sim-summary table").first.locator("tbody tr td:first-child").all_inner_texts()
    shown = {c["name_zh"] if lang == "zh" else c["name"] for c in chains}
    assert cells and all(x in shown for x in cells), cells
    assert not {c["chain_id"] for c in chains} & set(cells)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_api_exports_every_row_with_headers_in_language(base_url, lang, tmp_path):
    hdr = api_token(base_url, "analyst")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    n_js = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"province": "江苏"}).json()["total"]
    assert n_js == httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr,
                             params={"province_code": "320000"}).json()["total"] > 0
    assert httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"province": "Atlantis"}).status_code == 422
    r = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr,
                  params={"province": "Jiangsu", "format": "xlsx", "lang": lang, "sort": "revenue", "dir": "desc"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    (tmp_path / "e.xlsx").write_bytes(r.content)
    rows = list(openpyxl.load_workbook(tmp_path / "e.xlsx").active.iter_rows(values_only=True))
    assert len(rows) - 1 == n_js and all(bool(cjk.search(h)) == (lang == "zh") for h in rows[0])
    rev = [x[6] for x in rows[1:] if x[6] is not None]
    assert rev == sorted(rev, reverse=True)
    scores = httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, timeout=120).json()["firms"]
    r = httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, params={"format": "csv", "lang": lang}, timeout=120)
    lines = list(csv.reader(r.content.decode("utf-8-sig").splitlines()))
    assert lines[0][0] == HEAD[lang]["uscc"] and len(lines) - 1 == len(scores)
    screen = httpx.get(f"{base_url}/api/v1/tiers/screen", headers=hdr, params={"tier": "little_giant"}, timeout=120)
    r = httpx.get(f"{base_url}/api/v1/tiers/screen", headers=hdr,
                  params={"tier": "little_giant", "format": "xlsx", "lang": lang}, timeout=120)
    (tmp_path / "s.xlsx").write_bytes(r.content)
    rows = list(openpyxl.load_workbook(tmp_path / "s.xlsx").active.iter_rows(values_only=True))
    assert len(rows) - 1 == len(screen.json()["firms"])
    failed = " ".join(str(x[4]) for x in rows[1:] if x[4])
    assert ("主营业务收入占比" if lang == "zh" else "main-business share") in failed and "(0." not in failed
    # the JSON contracts are unchanged without format
    assert set(screen.json()) >= {"tier", "year", "firms"}
    assert httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, params={"format": "pdf"}).status_code == 422


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_glossary_linked_from_nav_with_tooltips_and_api_docs(browser, base_url, shots, lang):
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/credit", shots, f"credit_tooltips_{lang}")
    tip = page.locator("#credit-table thead a.tip[href='/glossary#term-pd']")  # the PD column explains itself
    assert tip.count() == 1
    assert ("违约概率" if lang == "zh" else "probability") in tip.get_attribute("title")
    page.click("#nav-glossary")
    page.wait_for_url(re.compile("/glossary"))
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"glossary_{lang}.png"), full_page=True)
    terms = page.locator("dl.glossary dt").all_inner_texts()
    want = (["HHI", "下游影响范围", "优先级", "PD", "ATT", "卡脖子", "专精特新中小企业", "小巨人"] if lang == "zh" else
            ["HHI", "Downstream reach", "Priority", "PD", "ATT", "Chokepoint", "SRDI", "Little Giant"])
    for w in want:
        assert any(w in x for x in terms), (w, terms)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    defs = page.locator("dl.glossary dd").all_inner_texts()
    assert all(bool(cjk.search(d)) == (lang == "zh") for d in defs)
    href = page.get_attribute("#nav-api-docs", "href")
    assert href == "/api/v1/docs"
    assert httpx.get(base_url + href).status_code == 200


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_remove_a_firm_autocompletes_by_name(browser, base_url, demo_db, shots, lang):
    hdr = api_token(base_url, "analyst")
    chain = httpx.get(f"{base_url}/api/v1/chains", headers=hdr).json()[0]
    con = duckdb.connect(str(demo_db), read_only=True)
    uscc, name = con.execute("""SELECT e.uscc, e.name FROM enterprises e JOIN chain_items ci ON ci.item_id = e.main_item_id
        WHERE ci.chain_id = ? ORDER BY e.uscc LIMIT 1""", [chain["chain_id"]]).fetchone()
    con.close()
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, f"/chains/{chain['chain_id']}", shots, f"chain_firm_ac_{lang}")
    page.fill("#sim-firm", name[:4])
    page.wait_for_function("document.querySelectorAll('#firm-list option').length > 0")
    opts = page.locator("#firm-list option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
    assert [uscc, name] in [list(o) for o in opts] or any(v == uscc for v, _ in opts), opts
    assert all(name[:4] in label or name[:4].upper() in v for v, label in opts) or lang == "en"
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_industry_search_by_name(browser, base_url, demo_db, shots, lang):
    hdr = api_token(base_url, "analyst")
    con = duckdb.connect(str(demo_db), read_only=True)
    code = con.execute("SELECT industry_code FROM enterprises GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1").fetchone()[0]
    con.close()
    with resources.files("reforge.ingest").joinpath("codes", "gbt4754_2017_industry.csv").open(encoding="utf-8") as f:
        name = next(r["name"] for r in csv.DictReader(f) if r["code"] == code)
    n = httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"industry_code": code}).json()["total"]
    page = new_page(browser, base_url, "analyst", lang)
    visit(page, "/enterprises", shots, f"enterprises_industry_{lang}")
    page.fill("#ent-industry", name)
    page.click("#ent-submit")
    page.wait_for_function(f"document.querySelector('#ent-total').innerText.replace(/,/g, '') === '{n}'")
    cell = page.locator("#ent-table tbody tr").first.locator("td").nth(3)
    assert name in cell.inner_text() and cell.get_attribute("title") == code
    page.fill("#ent-industry", "没有这种行业")
    page.click("#ent-submit")
    page.wait_for_selector("#ent-results p.na")
    assert ("没有唯一" if lang == "zh" else "No single GB/T 4754 industry") in page.inner_text("#ent-results")
    page.context.close()


def test_hostile_table_parameters_never_500_or_script(base_url, demo_db):
    from tests.api.conftest import page_login
    c = page_login(base_url, "analyst", timeout=120)
    script = "<script>alert(1)</script>"
    con = duckdb.connect(str(demo_db), read_only=True)
    n = con.execute("SELECT COUNT(*) FROM enterprises").fetchone()[0]
    con.close()
    for path, status in [("/enterprises?sort=uscc;DROP TABLE enterprises&dir=sideways", 200),
                         (f"/enterprises?province_code={script}", 422), (f"/enterprises?industry_code={script}", 422),
                         ("/enterprises?page=99999999999999999999999", 422), ("/credit?format=pdf", 422),
                         ("/credit?page=99999999999999999999999&sort=x&dir=y", 200),
                         (f"/credit?grade={script}", 200), ("/tiers?c_page=-5&n_sort=__class__&export=x", 200),
                         (f"/tiers?format=csv&export={script}", 200)]:
        r = c.get(path)
        assert r.status_code == status, (path, r.status_code)
        assert script not in r.text, path
    assert c.get("/api/v1/enterprises", params={"sort": "uscc; DROP"}).status_code in (401, 422)
    hdr = api_token(base_url, "analyst")
    assert httpx.get(f"{base_url}/api/v1/enterprises", headers=hdr, params={"sort": "uscc; DROP"}).status_code == 422
    r = httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, params={"format": "csv", "lang": script}, timeout=120)
    assert r.status_code == 422  # longer than any language code
    r = httpx.get(f"{base_url}/api/v1/credit/scores", headers=hdr, params={"format": "csv", "lang": "<b>"}, timeout=120)
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("USCC,")  # unknown language: English
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM enterprises").fetchone()[0] == n
    con.close()
