"""Headless Chromium for the page tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

``browser`` is a module-scoped fixture (a plugin of tests/conftest.py, so every test module has
it; a module may define its own); ``login_page`` opens a context with the page language set and
signs in a demo account.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (skipped locally, failed in CI, when it is not installed)."""
    if not Path(CHROMIUM).exists():
        from tests.conftest import skip_unless_ci
        skip_unless_ci("Debian chromium is not installed")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def login_page(browser: Any, base_url: str, who: str, lang: str,
               viewport: tuple[int, int] = (1300, 900)) -> tuple[Any, Any]:
    """``(context, page)`` signed in as demo account ``who`` with the page language ``lang``
    (the CSP is bypassed here; it is checked in tests/api/test_headers.py)."""
    from reforge.cli.serve import DEMO_PASSWORDS
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, base_url=base_url,
                              bypass_csp=True)
    ctx.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
    page = ctx.new_page()
    page.goto("/login")
    page.fill("#username", who)
    page.fill("#password", DEMO_PASSWORDS[who])
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    return ctx, page
