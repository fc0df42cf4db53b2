"""A real uvicorn server on a free loopback port over a small real DuckDB file."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def analyst(base_url):
    return login(base_url, "analyst")


@pytest.fixture(scope="module")
def admin(base_url):
    return login(base_url, "admin")


@pytest.fixture(scope="module")
def enterprise(base_url):
    return login(base_url, "enterprise")
