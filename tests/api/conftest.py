"""A real uvicorn server on a free loopback port over a small real DuckDB file."""

from __future__ import annotations

import re

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api import smalldb
from tests.api.server import running_server


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("apidb") / "small.duckdb")
    create_demo_accounts(p)
    return p


@pytest.fixture(scope="module")
def base_url(db_file):
    with running_server(db_file, login_limit=10, login_window=60.0) as url:
        yield url


def login(base_url: str, username: str, password: str | None = None) -> dict[str, str]:
    """Authorization header for a fresh access token."""
    r = httpx.post(f"{base_url}/api/v1/auth/token",
                   data={"username": username, "password": password or DEMO_PASSWORDS[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def csrf_from(html: str) -> str:
    """The CSRF token of a page's form."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no csrf field in the page"
    return m.group(1)


def page_login(base_url: str, username: str, password: str | None = None, timeout: float = 60) -> httpx.Client:
    """A client signed in through the dashboard's login form (cookies kept)."""
    c = httpx.Client(base_url=base_url, timeout=timeout)
    r = c.post("/login", data={"username": username, "password": password or DEMO_PASSWORDS[username], "next": "/",
                               "csrf_token": csrf_from(c.get("/login").text)})
    assert r.status_code == 303, r.text[:300]
    return c


@pytest.fixture(scope="module")
def analyst(base_url):
    return login(base_url, "analyst")


@pytest.fixture(scope="module")
def admin(base_url):
    return login(base_url, "admin")


@pytest.fixture(scope="module")
def enterprise(base_url):
    return login(base_url, "enterprise")
