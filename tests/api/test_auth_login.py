"""Login cost is bounded before any password hash (issue 19 finding 4).

Hashes are counted by wrapping the real argon2 hasher of ``reforge.api.auth`` (the server
runs in this process), so "no hash" is observed, not inferred from timing.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from reforge.api import auth as A
from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api import smalldb
from tests.api.server import free_port, running_server

TOKEN = "/api/v1/auth/token"


class CountingHasher:
    """The real argon2 hasher, counting verifications."""

    def __init__(self, real) -> None:
        self.real, self.verified, self._lock = real, 0, threading.Lock()

    def verify(self, h, password):
        with self._lock:
            self.verified += 1
        return self.real.verify(h, password)

    def hash(self, password):
        return self.real.hash(password)


@pytest.fixture
def hasher(monkeypatch):
    c = CountingHasher(A._hasher)
    monkeypatch.setattr(A, "_hasher", c)
    return c


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("logindb") / "small.duckdb")
    create_demo_accounts(p)
    return p


def _post(url: str, data: dict, headers: dict | None = None, local: str | None = None) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=local) if local else None
    with httpx.Client(transport=transport, timeout=60) as c:
        return c.post(url + TOKEN, data=data, headers=headers or {})


def test_random_usernames_from_one_address_are_refused_without_hashing(db_file, hasher):
    """60 logins with random names from one address: only ``login_per_ip`` of them are hashed; the
    rest get 429 with Retry-After; a real login from another address then succeeds at once."""
    with running_server(db_file, login_limit=10, login_per_ip=5, login_global=100) as url:
        def attempt(i: int) -> httpx.Response:
            return _post(url, {"username": f"u{secrets.token_hex(6)}", "password": f"guess-{i}-x"})

        with ThreadPoolExecutor(8) as ex:  # concurrent: one login per address is checked at a time
            rs = list(ex.map(attempt, range(60)))
        n = sum(r.status_code == 401 for r in rs)
        assert 1 <= n <= 5 and sum(r.status_code == 429 for r in rs) == 60 - n
        assert hasher.verified == n  # one (dummy) hash per admitted unknown name, none for the rest
        rs += [attempt(i) for i in range(60, 70)]  # one at a time: the window admits 5 in all
        assert sum(r.status_code == 401 for r in rs) == 5 and hasher.verified == 5
        limited = [r for r in rs if r.status_code == 429]
        assert all(1 <= int(r.headers["retry-after"]) <= 61 for r in limited)
        assert {r.json()["code"] for r in limited} == {"login.rate_limited"}
        # 127.0.0.2 is another client (the whole 127/8 is loopback): its login is not affected
        ok = _post(url, {"username": "analyst", "password": DEMO_PASSWORDS["analyst"]}, local="127.0.0.2")
        assert ok.status_code == 200, ok.text
        assert set(ok.json()) == {"access_token", "token_type", "expires_in"}
        assert hasher.verified == 6


def test_rotating_x_forwarded_for_does_not_bypass_the_limit(db_file, hasher):
    with running_server(db_file, login_limit=10, login_per_ip=3, login_global=100) as url:
        codes = [_post(url, {"username": "analyst", "password": f"wrong-{i}-pass"},
                       {"X-Forwarded-For": f"10.{i}.{i}.{i}"}).status_code for i in range(8)]
        assert codes == [401] * 3 + [429] * 5
        assert hasher.verified == 3


def test_unknown_and_known_names_cost_one_hash_each(db_file, hasher):
    with running_server(db_file, login_limit=10) as url:
        assert _post(url, {"username": "nobody-here", "password": "whatever-1"}).status_code == 401
        assert hasher.verified == 1
        assert _post(url, {"username": "analyst", "password": "whatever-1"}).status_code == 401
        assert hasher.verified == 2


def test_global_limit_holds_across_addresses():
    g = A.LoginGuard(per_user=10, per_ip=10, global_limit=3, window=60)
    for i in range(3):
        g.admit(f"10.0.0.{i}", "x")
    with pytest.raises(A.LoginRefused) as e:
        g.admit("10.0.0.99", "y")
    assert e.value.status == 429 and e.value.code == "login.rate_limited" and 1 <= e.value.retry_after <= 61


def test_a_refused_attempt_uses_no_budget():
    """Attempts over the per-address limit do not eat the global budget of other clients."""
    g = A.LoginGuard(per_user=100, per_ip=2, global_limit=5, window=60)
    for _ in range(2):
        g.admit("10.0.0.1", "x")
    for _ in range(50):
        with pytest.raises(A.LoginRefused):
            g.admit("10.0.0.1", "x")
    for i in range(3):
        g.admit(f"10.0.1.{i}", "y")  # 2 + 3 = 5 = global limit: all admitted


def test_client_address_uses_forwarded_for_only_from_trusted_proxies():
    plain = A.LoginGuard()
    assert plain.client_ip("127.0.0.1", "203.0.113.7") == "127.0.0.1"
    g = A.LoginGuard(trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert g.client_ip("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # right-most hop that is not a trusted proxy: a client cannot prepend a fake address
    assert g.client_ip("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert g.client_ip("192.0.2.1", "203.0.113.7") == "192.0.2.1"  # peer not trusted
    assert g.client_ip("127.0.0.1", "not-an-ip") == "127.0.0.1"
    with pytest.raises(Exception, match="not an IP"):
        A.LoginGuard(trusted_proxies="10.0.0.300")


def test_hashing_is_bounded_and_a_full_server_answers_503(db_file, hasher):
    """With every hashing slot taken, a login waits ``hash_wait`` and gets 503 + Retry-After, unhashed."""
    from fastapi.testclient import TestClient

    from reforge.api import create_app
    app = create_app(db_file, login_hashing=1)
    guard = app.state.login_guard
    guard.hash_wait = 0.2
    with TestClient(app) as c:
        assert guard._slots.acquire(timeout=1)
        try:
            r = c.post(TOKEN, data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"]})
        finally:
            guard._slots.release()
        assert r.status_code == 503 and r.headers["retry-after"] == "1" and r.json()["code"] == "login.busy"
        assert hasher.verified == 0
        r = c.post(TOKEN, data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"]},
                   headers={"Accept-Language": "zh-CN"})
        assert r.status_code == 200 and hasher.verified == 1


def test_concurrent_hashes_never_exceed_the_slots(monkeypatch):
    """Eight threads logging in at once: at most ``max_hashing`` verifications overlap."""
    g = A.LoginGuard(per_user=100, per_ip=100, global_limit=100, max_hashing=2, hash_wait=30)
    active, peak, lock = [0], [0], threading.Lock()

    def slow_auth(engine, username, password):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1

    monkeypatch.setattr(A, "authenticate", slow_auth)

    class _Cm:
        def __enter__(self):
            return None

        def __exit__(self, *a):
            return None

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: g.login(_Cm, f"10.0.0.{i}", None, "u", "p"), range(16)))
    assert peak[0] == 2


def test_one_login_per_address_at_a_time(monkeypatch):
    """While a login from an address is being checked, another from it is refused at once (429,
    no hash); another address goes ahead."""
    g = A.LoginGuard(per_user=100, per_ip=100, global_limit=100, max_hashing=2)
    inside, release = threading.Event(), threading.Event()

    def slow_auth(engine, username, password):
        inside.set()
        release.wait(30)

    monkeypatch.setattr(A, "authenticate", slow_auth)

    class _Cm:
        def __enter__(self):
            return None

        def __exit__(self, *a):
            return None

    t = threading.Thread(target=lambda: g.login(_Cm, "10.0.0.1", None, "u", "p"))
    t.start()
    assert inside.wait(10)
    with pytest.raises(A.LoginRefused) as e:
        g.login(_Cm, "10.0.0.1", None, "v", "p")
    assert e.value.status == 429 and e.value.retry_after == 1
    monkeypatch.setattr(A, "authenticate", lambda engine, username, password: "ok")
    assert g.login(_Cm, "10.0.0.2", None, "w", "p") == "ok"
    release.set()
    t.join(10)
    assert g.login(_Cm, "10.0.0.1", None, "u", "p") == "ok"  # the address is free again


def test_reforge_serve_trusts_forwarded_for_only_when_configured(db_file, tmp_path):
    """The real `reforge serve`: rotating X-Forwarded-For from 127.0.0.1 is one client unless
    ``--trusted-proxy 127.0.0.1`` is given (then each forwarded address is its own client)."""
    exe = str(Path(sys.executable).with_name("reforge"))

    def serve(*extra: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        env = {**os.environ, "REFORGE_LOGIN_PER_IP": "2"}
        env.pop("REFORGE_TRUSTED_PROXIES", None)
        p = subprocess.Popen([exe, "serve", "--db", str(db_file), "--port", str(port), "--log-level", "warning",
                              *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    return p, url
            except httpx.HTTPError:
                time.sleep(0.1)
            if p.poll() is not None:
                raise AssertionError(p.stderr.read().decode())
        p.kill()
        raise AssertionError("reforge serve did not start")

    def stop(p: subprocess.Popen) -> None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def rotate(url: str) -> list[int]:
        return [_post(url, {"username": f"n{i}", "password": "wrong-pass"},
                      {"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(5)]

    p, url = serve()
    try:
        assert rotate(url) == [401, 401, 429, 429, 429]
    finally:
        stop(p)
    p, url = serve("--trusted-proxy", "127.0.0.1")
    try:
        assert rotate(url) == [401] * 5
    finally:
        stop(p)


def test_waiting_room_is_bounded():
    """Beyond ``max_hashing`` running and ``max_waiting`` waiting, a login is refused at once (503)."""
    g = A.LoginGuard(max_hashing=1, max_waiting=1, hash_wait=30)
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        with g.hashing():
            started.set()
            release.wait(30)

    def wait_in_room() -> None:
        with g.hashing():
            pass

    t1 = threading.Thread(target=hold)
    t1.start()
    assert started.wait(10)
    t2 = threading.Thread(target=wait_in_room)  # takes the one waiting place
    t2.start()
    deadline = time.monotonic() + 10
    while g._room._value != 0 and time.monotonic() < deadline:  # noqa: SLF001 - observe the room
        time.sleep(0.01)
    t0 = time.monotonic()
    with pytest.raises(A.LoginRefused) as e:
        with g.hashing():
            pass
    assert e.value.status == 503 and time.monotonic() - t0 < 5  # not after hash_wait (30 s)
    release.set()
    t1.join(10)
    t2.join(10)
    with g.hashing():  # free again
        pass


def _csrf(html: str) -> dict[str, str]:
    import re
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return {"csrf_token": m.group(1)} if m else {}


def test_dashboard_login_shares_the_budget(db_file, hasher):
    """The dashboard's /login form goes through the same guard: API attempts from an address use
    up its budget there too, and another address still signs in."""
    with running_server(db_file, login_limit=10, login_per_ip=3, login_global=100) as url:
        for i in range(3):
            assert _post(url, {"username": f"x{i}", "password": "wrong-pass"}).status_code == 401
        with httpx.Client(base_url=url, timeout=60) as c:
            page = c.get("/login")
            r = c.post("/login", data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"],
                                       "next": "/", **_csrf(page.text)})
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert hasher.verified == 3
        with httpx.Client(base_url=url, timeout=60,
                          transport=httpx.HTTPTransport(local_address="127.0.0.2")) as c:
            page = c.get("/login")
            r = c.post("/login", data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"],
                                       "next": "/", **_csrf(page.text)})
            assert r.status_code == 303 and c.cookies.get("reforge_token")
