"""The chain page's matching card in headless Chromium, both languages: per item the demand value,
the value with a qualified domestic supplier and the degree (hand-computed figures of
tests/match/test_rank.py), gaps first; a hostile item name stays text."""

from __future__ import annotations

import pytest

from tests.browser import login_page  # the `browser` fixture comes from tests.browser too
from tests.match.dbfile import HOSTILE, SHOTS, served_planted_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_planted_db(tmp_path_factory.mktemp("match_page") / "m.duckdb",
                           "UPDATE items SET name = name || ?, name_zh = name_zh || ? WHERE item_id = 'servo_drive'",
                           [HOSTILE, HOSTILE]) as url:
        yield url


@pytest.mark.parametrize("lang, total, gap, rv", [
    ("en", "Matching degree of the chain: 55.6% (10,000,000 of 18,000,000 CNY per year, 3 demands)",
     "gap matching cannot close", "RV reducer"),
    ("zh", "本产业链匹配度：55.6%（每年 18,000,000 元中 10,000,000 元，3 项需求）", "对接无法弥补的缺口", "RV减速器"),
])
def test_chain_page_matching_card(browser, base_url, lang, total, gap, rv):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = login_page(browser, base_url, "analyst", lang, (1400, 1000))
    assert page.goto("/chains/robot").status == 200
    page.wait_for_selector("#matching-items")
    assert page.inner_text("#matching-total") == total
    rows = page.locator("#matching-items tbody tr")
    assert rows.count() == 3
    cells = [[c.strip() for c in rows.nth(i).inner_text().split("\t")] for i in range(3)]
    # gaps first (degree 0), then the RV reducer, fully matchable
    assert [c[-1] for c in cells] == ["0.0%", "0.0%", "100.0%"]
    assert all(gap in c[0] for c in cells[:2]) and gap not in cells[2][0]
    assert cells[2][0] == rv and cells[2][1:] == ["1 / 1", "10,000,000", "10,000,000", "100.0%"]
    assert any(HOSTILE in c[0] for c in cells)  # the hostile item name is text, never run
    assert page.evaluate("window.__pwned") is None
    body = page.inner_text("body")
    assert "chains.matching" not in body
    if lang == "zh":
        assert "Matching degree" not in body
    page.locator("#matching-card").screenshot(path=str(SHOTS / f"chain_matching_{lang}.png"))
    ctx.close()
