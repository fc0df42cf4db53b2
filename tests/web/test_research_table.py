"""The research page's consortium proposals: a table sorted and paged on the server, with its true
total, and exported whole as Excel or CSV with headers in the page's language (issue 13: every
table sorts, pages and exports). A real server over a copy of the 2,000-firm demo."""

from __future__ import annotations

import io
import math
import re
import shutil

import httpx
import openpyxl

from reforge.cli.serve import create_demo_accounts
from reforge.web.tables import PAGE_SIZE
from tests.api.conftest import page_login
from tests.api.server import running_server


def _rows(content: bytes) -> tuple[str, list[tuple]]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    return ws.title, list(ws.iter_rows(values_only=True))


def test_proposals_sort_page_and_export_whole(demo_db, tmp_path):
    p = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, p)
    create_demo_accounts(p)
    with running_server(p, login_limit=1000) as url:
        c = page_login(url, "analyst")
        html = c.get("/research").text
        total = int(re.search(r'id="research-proposals-total">([\d,]+)<', html).group(1).replace(",", ""))
        assert total > PAGE_SIZE   # the 2k demo has more proposals than a page
        pages = math.ceil(total / PAGE_SIZE)
        assert f"1 / {pages}" in re.search(r'id="research-proposals-page">([^<]+)<', html).group(1)
        assert html.count('<ul class="parts">') == PAGE_SIZE
        last = c.get(f"/research?p_page={pages}").text
        assert last.count('<ul class="parts">') == total - (pages - 1) * PAGE_SIZE

        # the whole table, in the analysis' order, then sorted by score as the page sorts it
        title, rows = _rows(c.get("/research?format=xlsx&export=proposals").content)
        assert title == "Consortium proposals" and len(rows) == total + 1
        assert rows[0][:4] == ("Item", "R&D demand", "Lead enterprise", "Score")
        _, by_score = _rows(c.get("/research?format=xlsx&p_sort=score&p_dir=desc").content)
        scores = [r[3] for r in by_score[1:] if r[3] is not None]
        assert scores == sorted((r[3] for r in rows[1:] if r[3] is not None), reverse=True)
        assert sorted(map(repr, by_score[1:])) == sorted(map(repr, rows[1:]))   # the same rows
        top = c.get("/research?p_sort=score&p_dir=desc").text   # the page's first row is the best
        assert re.search(r'<td class="num">([0-9.]+)</td>\s*<td>', top).group(1) == f"{scores[0]:.3f}"

        c.cookies.set("lang", "zh")
        title, zh = _rows(c.get("/research?format=xlsx").content)
        assert title == "联合体建议" and zh[0][:4] == ("产品", "研发需求", "牵头企业", "得分") and len(zh) == total + 1
        csv = c.get("/research?format=csv").content.decode("utf-8-sig").splitlines()
        assert csv[0].startswith("产品,研发需求,牵头企业") and len(csv) >= total + 1


def test_the_api_exports_the_proposals_as_the_page_does(demo_db, tmp_path):
    """``GET /api/v1/match/partners?format=xlsx|csv&lang=zh``: the same rows as the page's export,
    headers in the asked language; an enterprise account gets only the proposals it is part of."""
    from tests.api.conftest import login
    p = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, p)
    create_demo_accounts(p)
    with running_server(p, login_limit=1000) as url:
        page = page_login(url, "analyst")
        _, from_page = _rows(page.get("/research?format=xlsx").content)
        analyst = login(url, "analyst")
        r = httpx.get(f"{url}/api/v1/match/partners", params={"format": "xlsx"}, headers=analyst, timeout=120)
        assert r.status_code == 200 and r.headers["x-total-count"] == str(len(from_page) - 1)
        assert _rows(r.content)[1] == from_page
        r = httpx.get(f"{url}/api/v1/match/partners", params={"format": "csv", "lang": "zh"}, headers=analyst,
                      timeout=120)
        assert r.content.decode("utf-8-sig").startswith("产品,研发需求,牵头企业")
        ent = login(url, "enterprise")
        mine = httpx.get(f"{url}/api/v1/match/partners", headers=ent, timeout=120).json()
        r = httpx.get(f"{url}/api/v1/match/partners", params={"format": "xlsx"}, headers=ent, timeout=120)
        assert len(_rows(r.content)[1]) == len(mine["proposals"]) + 1 < len(from_page)
