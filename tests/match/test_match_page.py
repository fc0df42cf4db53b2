"""The matching page (/match) in headless Chromium, both languages: the demands with their status
and best suppliers (the library's ranking), the degree per chain (the hand-computed figures of
tests/match/test_rank.py), server-side sorting and filters, the export, an enterprise account's
own demands only, and a hostile firm name kept as text."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser import login_page  # the `browser` fixture comes from tests.browser too
from tests.match.dbfile import HOSTILE, SHOTS, served_planted_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    # the enterprise account is the robot maker B1, a buyer
    with served_planted_db(tmp_path_factory.mktemp("match_page") / "m.duckdb",
                           "UPDATE enterprises SET name = name || ? WHERE uscc = 'S_OK2'", [HOSTILE],
                           enterprise_uscc="B1") as url:
        yield url


def _rows(page) -> list[list[str]]:
    rows = page.locator("#match-demands > tbody > tr")
    return [[c.inner_text().strip() for c in rows.nth(i).locator(":scope > td").all()] for i in range(rows.count())]


@pytest.mark.parametrize("lang, summary, robot, status_d3, kind", [
    ("en", "2 of 5 demands have a qualified domestic supplier", "55.6%", "no domestic producer", "purchase"),
    ("zh", "5 项需求中有 2 项找到合格的国内供应商", "55.6%", "国内无该产品的生产企业", "采购"),
])
def test_match_page_for_an_analyst(browser, base_url, lang, summary, robot, status_d3, kind):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = login_page(browser, base_url, "analyst", lang, (1400, 1000))
    assert page.goto("/match").status == 200
    assert page.inner_text("#match-summary").startswith(summary)
    chains = {r.split("\t")[0]: r.split("\t")[-1] for r in page.locator("#match-chains tbody tr").all_inner_texts()}
    assert chains == {("Robots" if lang == "en" else "机器人"): robot, ("Semiconductors" if lang == "en" else "半导体"): "100.0%"}
    rows = _rows(page)
    assert [r[0].split("\n")[0] for r in rows] == ["D1", "D2", "D3", "D4", "D5"]
    d1, d3 = rows[0], rows[2]
    assert kind in d1[0] and d1[3] == "10,000,000"
    assert d3[4].lower().startswith(status_d3.lower())
    assert "code" not in rows[3][4] and ("technology level" in rows[3][4] or "技术水平" in rows[3][4])  # nested reason
    # D1's suppliers: the library's order, the true supplier first; decoys excluded with reasons
    page.locator("#match-demands > tbody > tr").nth(0).locator("summary").click()
    parts = page.locator("#match-demands > tbody > tr").nth(0).locator("table.parts tbody tr").all_inner_texts()
    assert parts[0].startswith("1\t精密传动丙") and HOSTILE in parts[1]
    assert page.evaluate("window.__pwned") is None
    ex = page.locator("#match-demands > tbody > tr").nth(0).locator("ul.reasons li").all_inner_texts()
    assert len(ex) == 3 and any("失信庚" in x for x in ex)
    page.screenshot(path=str(SHOTS / f"match_page_{lang}.png"), full_page=True)
    # sorted on the server by value, largest first; filtered to the unmatched demands
    page.goto("/match?m_sort=value&m_dir=desc")
    assert [r[0].split("\n")[0] for r in _rows(page)][:2] == ["D1", "D2"]
    page.goto("/match?status=unmatched")
    assert [r[0].split("\n")[0] for r in _rows(page)] == ["D3", "D4", "D5"]
    page.goto("/match?chain=semi")
    assert [r[0].split("\n")[0] for r in _rows(page)] == ["D2"]
    # the export holds every row, headers in the page's language
    resp = page.request.get("/match?format=csv&status=matched")
    assert resp.status == 200
    got = list(csv.reader(io.StringIO(resp.text().lstrip("\ufeff"))))
    assert got[0][0] == ("Demand" if lang == "en" else "需求") and [r[0] for r in got[1:]] == ["D1", "D2"]
    body = page.inner_text("body")
    assert "match.page" not in body and "match.part" not in body
    ctx.close()


def test_match_page_for_an_enterprise_its_own_demands_only(browser, base_url):
    ctx, page = login_page(browser, base_url, "enterprise", "zh", (1400, 1000))
    assert page.goto("/match").status == 200
    assert [r[0].split("\n")[0] for r in _rows(page)] == ["D1", "D3", "D4"]  # B1's demands; D2 and D5 are B2's
    assert page.locator("#match-chains").count() == 0
    assert page.locator("header nav").get_by_text("我的需求", exact=True).count() == 1
    page.screenshot(path=str(SHOTS / "match_page_enterprise_zh.png"), full_page=True)
    ctx.close()


def test_hostile_parameters(browser, base_url):
    ctx, page = login_page(browser, base_url, "analyst", "en")
    for q in ("status=<script>", "chain=%27%20OR%201=1", "m_page=-1", "m_page=99999999999999999999999",
              "m_sort=<x>&m_dir=up"):
        resp = page.goto(f"/match?{q}")
        assert resp.status == 200, q
        assert page.evaluate("window.__pwned") is None
    assert page.request.get("/match?format=pdf").status == 422
    ctx.close()
