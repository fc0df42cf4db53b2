"""Account lifecycle (issue 19 finding 6): delete, deactivate, role, password, token revocation,
logout that revokes server-side; tokens bound to a user id and a token version.

Through a real uvicorn server over a real DuckDB file, and on the library for the raw-SQL case.
"""

from __future__ import annotations

import duckdb
import httpx
import pytest

from reforge.api import auth as A
from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from reforge.engine import DuckDBEngine
from reforge.schema import ensure_schema
from tests.api import smalldb
from tests.api.server import running_server

V1 = "/api/v1"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("lifedb") / "small.duckdb")
    create_demo_accounts(p)
    with running_server(p, login_limit=1000, login_per_ip=1000) as u:
        yield u


def login(url: str, name: str, password: str) -> dict[str, str]:
    r = httpx.post(url + V1 + "/auth/token", data={"username": name, "password": password}, timeout=60)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def me(url: str, h: dict) -> int:
    return httpx.get(url + V1 + "/auth/me", headers=h, timeout=60).status_code


@pytest.fixture(scope="module")
def admin(url):
    return login(url, "admin", DEMO_PASSWORDS["admin"])


def call(url: str, method: str, path: str, h: dict, **kw) -> httpx.Response:
    return httpx.request(method, url + V1 + path, headers=h, timeout=60, **kw)


def make(url: str, admin: dict, name: str, role: str = "analyst", password: str = "victim-pass-1") -> None:
    r = call(url, "POST", "/users", admin, json={"username": name, "password": password, "role": role})
    assert r.status_code == 201, r.text


def api_token(url: str, admin: dict, name: str) -> dict[str, str]:
    r = call(url, "POST", f"/users/{name}/tokens", admin, json={"label": "script"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_deleted_name_recreated_as_admin_does_not_revive_old_tokens(url, admin):
    make(url, admin, "victim")
    access, script = login(url, "victim", "victim-pass-1"), api_token(url, admin, "victim")
    assert me(url, access) == 200 and me(url, script) == 200  # both cached by the server now
    assert call(url, "GET", "/users", access).status_code == 403
    assert call(url, "DELETE", "/users/victim", admin).status_code == 204
    assert me(url, access) == 401 and me(url, script) == 401  # at once, despite the token cache
    make(url, admin, "victim", role="admin")
    assert me(url, access) == 401 and me(url, script) == 401
    assert call(url, "GET", "/users", access).status_code == 401
    new = login(url, "victim", "victim-pass-1")
    assert call(url, "GET", "/users", new).status_code == 200
    assert call(url, "DELETE", "/users/victim", admin).status_code == 204
    assert call(url, "DELETE", "/users/victim", admin).status_code == 404


def test_deactivate_and_activate(url, admin):
    make(url, admin, "dora")
    h = login(url, "dora", "victim-pass-1")
    r = call(url, "PATCH", "/users/dora", admin, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert me(url, h) == 401
    bad = httpx.post(url + V1 + "/auth/token", data={"username": "dora", "password": "victim-pass-1"})
    assert bad.status_code == 401 and bad.json()["code"] == "login.failed"
    assert call(url, "PATCH", "/users/dora", admin, json={"active": True}).status_code == 200
    assert me(url, h) == 401  # reactivation does not revive old tokens
    assert me(url, login(url, "dora", "victim-pass-1")) == 200


def test_role_change_ends_tokens_and_applies(url, admin):
    make(url, admin, "rolf")
    h = login(url, "rolf", "victim-pass-1")
    assert call(url, "GET", "/users", h).status_code == 403
    r = call(url, "PATCH", "/users/rolf", admin, json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert me(url, h) == 401
    h2 = login(url, "rolf", "victim-pass-1")
    assert call(url, "GET", "/users", h2).status_code == 200
    r = call(url, "PATCH", "/users/rolf", admin, json={"role": "enterprise"})  # needs a uscc
    assert r.status_code == 422 and "uscc" in r.json()["detail"][0]["msg"]
    r = call(url, "PATCH", "/users/rolf", admin, json={"role": "enterprise", "uscc": smalldb.E2})
    assert r.status_code == 200 and r.json()["uscc"] == smalldb.E2
    assert me(url, h2) == 401


def test_password_change_by_admin_and_by_self(url, admin):
    make(url, admin, "pat")
    h = login(url, "pat", "victim-pass-1")
    assert call(url, "PUT", "/users/pat/password", admin, json={"password": "second-pass-2"}).status_code == 200
    assert me(url, h) == 401
    assert httpx.post(url + V1 + "/auth/token", data={"username": "pat", "password": "victim-pass-1"}).status_code == 401
    h = login(url, "pat", "second-pass-2")
    r = call(url, "POST", "/auth/password", h, json={"current_password": "wrong-pass-9", "new_password": "third-pass-3"})
    assert r.status_code == 401 and me(url, h) == 200
    r = call(url, "POST", "/auth/password", h, json={"current_password": "second-pass-2", "new_password": "third-pass-3"})
    assert r.status_code == 200 and me(url, h) == 401
    assert me(url, login(url, "pat", "third-pass-3")) == 200


def test_logout_revokes_only_the_presented_token(url, admin):
    make(url, admin, "lou")
    a, b = login(url, "lou", "victim-pass-1"), login(url, "lou", "victim-pass-1")
    script = api_token(url, admin, "lou")
    assert me(url, a) == 200
    r = call(url, "POST", "/auth/logout", a)
    assert r.status_code == 200 and r.json() == {"revoked": True}
    assert "reforge_token=" in r.headers.get("set-cookie", "")  # the cookie is cleared too
    assert me(url, a) == 401 and me(url, b) == 200 and me(url, script) == 200
    assert call(url, "POST", "/auth/logout", script).json() == {"revoked": True}
    assert me(url, script) == 401 and me(url, b) == 200
    assert call(url, "POST", "/auth/logout", a).status_code == 401


def test_revoke_one_api_token_or_all(url, admin):
    make(url, admin, "tom")
    t1, t2 = api_token(url, admin, "tom"), api_token(url, admin, "tom")
    access = login(url, "tom", "victim-pass-1")
    listed = call(url, "GET", "/users/tom/tokens", admin).json()
    assert len(listed) == 2 and all(t["valid"] for t in listed)
    assert all(set(t) == {"token_id", "username", "label", "created_at", "expires_at", "valid"} for t in listed)
    import hashlib
    tid = hashlib.sha256(t1["Authorization"][7:].encode()).hexdigest()[:12]
    assert tid in {t["token_id"] for t in listed}
    assert call(url, "DELETE", f"/users/tom/tokens/{tid}", admin).status_code == 204
    assert me(url, t1) == 401 and me(url, t2) == 200 and me(url, access) == 200
    assert call(url, "DELETE", f"/users/tom/tokens/{tid}", admin).status_code == 404
    assert call(url, "DELETE", "/users/tom/tokens", admin).status_code == 200
    assert me(url, t2) == 401 and me(url, access) == 401
    assert me(url, login(url, "tom", "victim-pass-1")) == 200  # the account stays


def test_last_admin_cannot_be_removed_and_unknown_users_are_404(url, admin):
    users = call(url, "GET", "/users", admin).json()
    admins = [u["username"] for u in users if u["role"] == "admin" and u["active"]]
    assert admins == ["admin"]
    for method, path, body in [("DELETE", "/users/admin", None), ("PATCH", "/users/admin", {"active": False}),
                               ("PATCH", "/users/admin", {"role": "analyst"})]:
        r = call(url, method, path, admin, json=body)
        # the 422 body of the API contract: a validation array, code and params beside the text
        assert r.status_code == 422 and r.json()["code"] == "user.invalid", r.text
        (item,) = r.json()["detail"]
        assert "last active admin" in item["msg"] and item["code"] == "user.invalid", r.text
    assert me(url, admin) == 200
    for method, path, body in [("DELETE", "/users/ghost", None), ("PATCH", "/users/ghost", {"active": False}),
                               ("PUT", "/users/ghost/password", {"password": "long-enough-1"}),
                               ("DELETE", "/users/ghost/tokens", None), ("GET", "/users/ghost/tokens", None)]:
        r = call(url, method, path, admin, json=body)
        assert r.status_code == 404 and r.json()["code"] == "user.not_found", r.text
    analyst = login(url, "analyst", DEMO_PASSWORDS["analyst"])
    assert call(url, "DELETE", "/users/admin", analyst).status_code == 403


def test_lifecycle_actions_are_audited(url, admin):
    make(url, admin, "audrey")
    call(url, "PATCH", "/users/audrey", admin, json={"active": False})
    call(url, "DELETE", "/users/audrey", admin)
    log = call(url, "GET", "/audit?limit=50", admin).json()
    mine = [(e["action"], e["target"]) for e in log if e["target"] == "audrey"]
    assert mine[:3] == [("user.delete", "audrey"), ("user.change", "audrey"), ("user.create", "audrey")]
    assert all(e["at"].endswith("+00:00") for e in log)


# ---- library: raw SQL deletes and old databases ---------------------------------------------------

def test_name_reuse_after_a_raw_sql_delete(tmp_path):
    p = smalldb.build(tmp_path / "reuse.duckdb")
    e = DuckDBEngine(p)
    u = A.add_user(e, "victim", "victim-pass-1", "analyst")
    access, script = A.create_access_token(u), A.create_api_token(e, "victim")
    assert A.user_from_bearer(e, access) == u and A.user_from_bearer(e, script) == u
    e.execute("DELETE FROM users WHERE username = 'victim'")  # as in the attack: no API involved
    u2 = A.add_user(e, "victim", "victim-pass-1", "admin")
    assert u2.user_id != u.user_id
    assert A.user_from_bearer(e, access) is None and A.user_from_bearer(e, script) is None
    # a token forged with the new id but the old version, or with a bad version type, fails too
    assert A.user_from_bearer(e, A.create_access_token(u2)) == u2
    e.close()


def test_expired_and_malformed_access_tokens(tmp_path):
    p = smalldb.build(tmp_path / "x.duckdb")
    e = DuckDBEngine(p)
    u = A.add_user(e, "ann", "ann-pass-12", "analyst")
    assert A.user_from_bearer(e, A.create_access_token(u, seconds=-1)) is None
    import base64
    import hashlib
    import hmac
    import json
    for payload in ({"sub": "ann", "uid": u.user_id, "ver": 1, "jti": "x", "exp": 1e400},
                    {"sub": "ann", "uid": u.user_id, "ver": "1", "jti": "x", "exp": 2e9},
                    {"sub": "ann", "exp": 2e9}, [1, 2]):
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        sig = base64.urlsafe_b64encode(hmac.new(A._SECRET, body.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        assert A.user_from_bearer(e, f"{body}.{sig}") is None
    e.close()


def test_old_database_migrates_and_its_tokens_keep_working(tmp_path):
    """A database written before user ids: the columns are added, ids filled in, old API tokens valid."""
    p = tmp_path / "old.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE users (username VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, "
                "role VARCHAR NOT NULL, uscc VARCHAR, created_at TIMESTAMP, active BOOLEAN, PRIMARY KEY (username))")
    con.execute("CREATE TABLE api_tokens (token_hash VARCHAR NOT NULL, username VARCHAR NOT NULL, "
                "created_at TIMESTAMP, expires_at TIMESTAMP, label VARCHAR, PRIMARY KEY (token_hash))")
    import hashlib
    old_token = "rf_old-script-token-0123456789"
    con.execute("INSERT INTO users VALUES ('alice', ?, 'analyst', NULL, TIMESTAMP '2025-01-01', TRUE), "
                "('bob', ?, 'admin', NULL, TIMESTAMP '2025-01-01', TRUE)",
                [A.hash_password("alice-pass-1"), A.hash_password("bob-pass-12")])
    con.execute("INSERT INTO api_tokens VALUES (?, 'alice', TIMESTAMP '2025-01-01', NULL, 'old')",
                [hashlib.sha256(old_token.encode()).hexdigest()])
    con.close()
    e = DuckDBEngine(p)
    ensure_schema(e)
    ids = dict(e.con.execute("SELECT username, user_id FROM users").fetchall())
    assert len(set(ids.values())) == 2 and all(len(v) == 36 for v in ids.values())
    assert e.fetch_scalar("SELECT user_id FROM api_tokens") == ids["alice"]
    alice = A.user_from_bearer(e, old_token)
    assert alice is not None and alice.username == "alice" and alice.user_id == ids["alice"]
    u = A.authenticate(e, "bob", "bob-pass-12")
    assert u is not None and A.user_from_bearer(e, A.create_access_token(u)) == u
    A.revoke_all(e, "alice")
    assert A.user_from_bearer(e, old_token) is None
    e.close()
