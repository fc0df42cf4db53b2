"""Security headers on every response (issue 19, finding 12) and a CSP the pages still work under.

The browser test loads the dashboard and the Swagger UI in real Chromium and records every
``securitypolicyviolation`` event: none may occur, charts must draw, and the Swagger UI must
list the API's operations.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import httpx
import pytest

from reforge.api.headers import content_security_policy, handler_hashes, nonce_inline_scripts
from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    db = smalldb.build(tmp_path_factory.mktemp("headersdb") / "small.duckdb")
    create_demo_accounts(db)
    with running_server(db, login_limit=1000) as u:
        yield u


def _directives(csp: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in (x.strip() for x in csp.split(";")) if p}


def test_every_kind_of_response_has_the_headers(url):
    h = login(url, "analyst")
    resps = {
        "health": httpx.get(f"{url}/api/v1/health"),
        "401": httpx.get(f"{url}/api/v1/chains"),
        "404": httpx.get(f"{url}/api/v1/chains/nope/map", headers=h),
        "422": httpx.get(f"{url}/api/v1/tiers/screen", params={"tier": "x"}, headers=h),
        "413": httpx.post(f"{url}/api/v1/chains/x/simulate", content=b"x" * (2 << 20)),
        "login page": httpx.get(f"{url}/login"),
        "redirect": httpx.get(f"{url}/"),
        "static": httpx.get(f"{url}/static/app.js"),
        "openapi": httpx.get(f"{url}/api/v1/openapi.json"),
        "docs": httpx.get(f"{url}/api/v1/docs"),
        "page": httpx.get(f"{url}/chains/robot_chain", headers=h),
    }
    for name, r in resps.items():
        for k, v in HEADERS.items():
            assert r.headers.get(k) == v, (name, k, r.status_code)
        csp = _directives(r.headers["content-security-policy"])
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], name
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"], name
    assert resps["413"].status_code == 413 and resps["page"].status_code == 200


def test_inline_handlers_are_allowed_by_hash_only():
    expected = "'sha256-" + base64.b64encode(hashlib.sha256(b"this.form.submit()").digest()).decode() + "'"
    hashes = handler_hashes()
    if any('onchange="this.form.submit()"' in p.read_text(encoding="utf-8")
           for p in Path(handler_hashes.__globals__["TEMPLATES"]).rglob("*.html")):
        assert expected in hashes
    script = _directives(content_security_policy())["script-src"]
    assert script[0] == "'self'" and set(script[1:]) <= {"'unsafe-hashes'", *hashes}


def test_handler_hashes_read_literal_handlers_only(tmp_path):
    (tmp_path / "a.html").write_text('<select onchange="this.form.submit()"></select>'
                                     "<a onclick='go(1)'>x</a><b onclick=\"{{ evil }}\">y</b>", encoding="utf-8")
    want = sorted("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                  for s in ("this.form.submit()", "go(1)"))
    assert handler_hashes(tmp_path) == want  # a templated handler is never allowed


def test_docs_inline_script_runs_under_a_fresh_nonce(url):
    pages = [httpx.get(f"{url}/api/v1/docs") for _ in range(2)]
    nonces = []
    for r in pages:
        script = _directives(r.headers["content-security-policy"])["script-src"]
        nonce = next(s for s in script if s.startswith("'nonce-"))[7:-1]
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.text)
        assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16


def test_nonce_inline_scripts_leaves_external_scripts():
    html, csp = nonce_inline_scripts('<script src="/a.js"></script><script>go()</script>')
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert html == f'<script src="/a.js"></script><script nonce="{nonce}">go()</script>'


# ---- in the browser -----------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RECORD = ("window.__csp = [];"
          "document.addEventListener('securitypolicyviolation',"
          " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        msg = "Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.slow
def test_pages_and_swagger_work_under_the_csp(url, browser):
    ctx = browser.new_context(viewport={"width": 1300, "height": 900}, base_url=url)
    ctx.add_init_script(RECORD)
    page = ctx.new_page()
    try:
        page.goto("/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=30000)  # Swagger UI rendered the operations
        assert page.locator(".opblock").count() > 10
        assert page.evaluate("window.__csp") == []

        page.goto("/login")
        page.fill("#username", "analyst")
        page.fill("#password", DEMO_PASSWORDS["analyst"])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.wait_for_selector("div.chart canvas", timeout=30000)  # the indicator chart drew
        assert page.evaluate("window.__csp") == []

        page.goto("/chains/robot_chain")
        page.wait_for_selector("div.chart canvas", timeout=30000)  # the chain map drew
        page.select_option("#sim-country", "JP")
        page.click("#sim-run")
        page.locator("#sim-result *").first.wait_for(timeout=30000)  # htmx still posts and swaps
        assert page.evaluate("window.__csp") == []

        page.goto("/tiers")
        page.select_option("select[name=tier]", "srdi_sme")  # the hashed inline onchange submits the form
        page.wait_for_url(re.compile(r"tier=srdi_sme"), timeout=30000)
        assert page.evaluate("window.__csp") == []
    finally:
        ctx.close()
