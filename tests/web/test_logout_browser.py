"""Signing out in a real browser (issue 19, finding 12): the header's "Log out" is a form POST with
the page's CSRF token; it revokes the session's token on the server, so a copy of the cookie no
longer works. A cross-site style POST without the token is refused."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.server import running_server
from tests.web.test_browser import ARGS, CHROMIUM, new_page

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    db = smalldb.build(tmp_path_factory.mktemp("logoutdb") / "small.duckdb")
    create_demo_accounts(db)
    with running_server(db, login_limit=1000) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_log_out_button_revokes_the_session(browser, base_url):
    shots = Path(os.environ.get("REFORGE_SCREENSHOTS") or "/tmp")
    page = new_page(browser, base_url, "analyst")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = cookies["reforge_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base_url}/api/v1/auth/me", headers=bearer).json()["username"] == "analyst"
    # a POST carrying the session cookie but not the page's token (what another site could send)
    r = page.request.post(f"{base_url}/logout", form={"x": "1"}, max_redirects=0)
    assert r.status == 403
    assert httpx.get(f"{base_url}/api/v1/auth/me", headers=bearer).status_code == 200
    page.goto("/chains")
    page.screenshot(path=str(shots / "logout_before.png"))
    page.click("#logout")
    page.wait_for_url("**/login")
    assert "reforge_token" not in {c["name"] for c in page.context.cookies()}
    assert httpx.get(f"{base_url}/api/v1/auth/me", headers=bearer).status_code == 401  # revoked server-side
    page.context.add_cookies([{"name": "reforge_token", "value": token, "url": base_url}])
    page.goto("/chains")
    assert page.url.endswith("/login?next=/chains")  # the copied cookie no longer signs in
    page.context.close()
