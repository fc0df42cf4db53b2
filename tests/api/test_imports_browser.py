"""The data page in a real browser (issue 13 finding 10), both languages: a GBK CSV uploads with the
right Chinese text stored, a PNG gets one short message naming the file, templates download."""

from __future__ import annotations

import io
import json

import httpx
import openpyxl
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from reforge.schema.tables import get_table
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server
from tests.web.test_browser import browser  # noqa: F401 - the shared Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("importdb") / "small.duckdb")
    create_demo_accounts(p)
    with running_server(p, login_limit=1000) as url:
        yield url


def admin_page(browser, base_url, lang):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=base_url, accept_downloads=True)
    ctx.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
    page = ctx.new_page()
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_PASSWORDS["admin"])
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    page.goto("/data")
    page.wait_for_load_state("networkidle")
    return page


def upload(page, table: str, name: str, content: bytes, mime: str) -> None:
    page.select_option("#upload-table", table)
    page.set_input_files("#upload-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.click("#upload-submit")
    page.wait_for_selector("#import-ok, #import-failed, #upload-result .error", timeout=60_000)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gbk_upload_stores_the_chinese_text(browser, base_url, lang):  # noqa: F811
    u = smalldb.uscc("320500", "MA1GBK" + {"en": "001", "zh": "002"}[lang])
    name = {"en": "苏州恒创精密机械有限公司", "zh": "无锡锐芯微电子股份有限公司"}[lang]
    csv = f"uscc,name,province_code,industry_code\n{u},{name},320000,3491\n".encode("gbk")
    page = admin_page(browser, base_url, lang)
    upload(page, "enterprises", "企业名单.csv", csv, "text/csv")
    assert page.locator("#import-ok").count() == 1, page.inner_text("#upload-result")
    r = httpx.get(f"{base_url}/api/v1/enterprises/{u}", headers=login(base_url, "admin"), timeout=60)
    assert r.status_code == 200 and name in json.dumps(r.json(), ensure_ascii=False)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_png_upload_gets_one_short_message(browser, base_url, lang):  # noqa: F811
    page = admin_page(browser, base_url, lang)
    upload(page, "enterprises", "logo.png", PNG, "image/png")
    text = page.inner_text("#upload-result")
    assert page.locator("#import-errors tbody tr").count() == 1
    assert "logo.png" in text and "body.file" not in text and "/tmp" not in text
    page.context.close()


@pytest.mark.parametrize(("lang", "fmt"), [("en", "xlsx"), ("zh", "csv")])
def test_template_downloads_from_the_data_page(browser, base_url, lang, fmt):  # noqa: F811
    page = admin_page(browser, base_url, lang)
    page.select_option("#template-table", "designations")
    page.select_option("#template-format", fmt)
    with page.expect_download() as dl:
        page.click("#template-download")
    path = dl.value.path()
    names = get_table("designations").names
    if fmt == "xlsx":
        rows = list(openpyxl.load_workbook(io.BytesIO(open(path, "rb").read())).active.iter_rows(values_only=True))
        assert list(rows[0]) == names and len(rows) == 2
    else:
        lines = open(path, encoding="utf-8-sig").read().splitlines()
        assert lines[0].split(",") == names and len(lines) == 2
    assert dl.value.suggested_filename == f"designations_template.{fmt}"
    page.context.close()


@pytest.mark.parametrize("lang, item, differs", [("en", "Servo motor", "differs"), ("zh", "伺服电机", "不一致")])
def test_enterprise_import_review_proposes_chain_items(browser, base_url, lang, item, differs):  # noqa: F811
    """After an enterprise import the review lists the firms without a chain item with the items
    and the GB/T class their own words read as (issue 15: 挂链 in the importer's review screen)."""
    u = smalldb.uscc("320500", "MA1ATT" + {"en": "001", "zh": "002"}[lang])
    csv = (f"uscc,name,province_code,industry_code,main_product\n"
           f"{u},挂链测试{lang},320000,3311,交流伺服电机及驱动器\n").encode()
    page = admin_page(browser, base_url, lang)
    upload(page, "enterprises", "firms.csv", csv, "text/csv")
    assert page.locator("#import-ok").count() == 1, page.inner_text("#upload-result")
    rows = page.locator("#import-attach tbody tr")
    mine = [r for r in rows.all_inner_texts() if f"挂链测试{lang}" in r]
    assert len(mine) == 1
    cells = mine[0].split("\t")
    assert cells[2].startswith(item)  # the best chain item first
    assert "3311" in cells[4] and differs in cells[4]  # declared 3311 (metal structures) is not a motor class
    page.screenshot(path=f"/tmp/helper-match/import_attach_{lang}.png", full_page=True)
    page.context.close()
