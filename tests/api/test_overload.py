"""Overload protection of analysis routes (issue 19, finding 5) against a real uvicorn server.

The analysis behind ``/chains/{id}/bottlenecks`` is wrapped to take a known time (and to
count how often it really ran), so queue and rate-limit outcomes are deterministic. The
burst test (slow) makes each analysis hold the GIL for 50 ms, like the pure-Python parts
of a real analysis, and checks ``/health`` stays fast. Precise latency figures are in
``bench/overload.py``.
"""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from reforge.api import services as sv
from reforge.api.overload import ANALYSIS_PATHS, AnalysisGate, TokenBucket
from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

PATH = "/api/v1/chains/robot_chain/bottlenecks"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("overloaddb") / "small.duckdb")
    create_demo_accounts(p)
    return p


class Counted:
    """Replaces ``services.bottlenecks``: counts real runs, sleeps ``delay`` s or burns ``cpu`` s of GIL."""

    def __init__(self, real, delay: float = 0.0, cpu: float = 0.0) -> None:
        self.real, self.delay, self.cpu = real, delay, cpu
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, engine, chain_id, year=None, region=None):
        with self._lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        end = time.perf_counter() + self.cpu
        while time.perf_counter() < end:  # pure Python: holds the GIL
            sum(range(1000))
        return self.real(engine, chain_id, year, region)


@pytest.fixture
def counted(monkeypatch):
    c = Counted(sv.bottlenecks)
    monkeypatch.setattr(sv, "bottlenecks", c)
    return c


def test_token_bucket_by_hand():
    b = TokenBucket(rate=1.0, burst=3.0)
    assert [b.take("u", now=10.0) for _ in range(3)] == [None, None, None]
    assert b.take("u", now=10.0) == pytest.approx(1.0)  # empty: one token per second
    assert b.take("u", now=10.5) == pytest.approx(0.5)
    assert b.take("u", now=11.0) is None
    assert b.take("other", now=11.0) is None  # buckets are per account
    assert b.take("u", now=100.0) is None  # refills to the burst, not beyond
    assert b.take("u", now=100.0) is None and b.take("u", now=100.0) is None
    assert b.take("u", now=100.0) == pytest.approx(1.0)


def test_gate_capacity_and_retry_after():
    g = AnalysisGate(workers=2, queue=3, max_wait=10.0)
    g.running, g.waiting, g.service_s = 1, 0, 1.5
    assert g.expected_wait() == 0.0 and not g.full()  # a free slot
    g.running, g.waiting = 2, 2
    assert g.expected_wait() == 2 * 1.5  # 3 ahead of it, 2 workers: two rounds
    assert not g.full()
    g.max_wait = 2.9
    assert g.full()  # the wait would be too long
    g.max_wait, g.waiting = 10.0, 3
    assert g.full()  # the queue is full
    assert g.retry_after() == math.ceil((2 + 3 + 1) / 2 * 1.5)  # 5 s: the backlog per worker
    g.done(4.0)
    assert g.service_s == pytest.approx(0.8 * 1.5 + 0.2 * 4.0)


@pytest.mark.parametrize("path,gated", [
    (PATH, True), ("/api/v1/chains/x/simulate", True), ("/api/v1/chains/generic", True),
    ("/api/v1/tiers/screen", True), ("/api/v1/credit/scores", True), ("/api/v1/policy/evaluate", True),
    ("/api/v1/sectors/t/key-sectors", True), ("/api/v1/enterprises/X/credit", True), ("/chains/x/simulate", True),
    ("/api/v1/health", False), ("/api/v1/chains", False), ("/api/v1/enterprises/X", False),
    ("/api/v1/enterprises", False), ("/api/v1/auth/token", False), ("/static/app.js", False)])
def test_which_routes_are_gated(path, gated):
    assert bool(ANALYSIS_PATHS.match(path)) is gated


def test_full_queue_answers_503_with_retry_after(db, counted):
    with running_server(db, analysis_workers=2, analysis_queue=2, analysis_rate=1000, analysis_burst=1000,
                        analysis_max_wait=30) as url:
        h = login(url, "analyst")
        ref = httpx.get(url + PATH, headers=h, timeout=30)
        assert ref.status_code == 200
        counted.calls, counted.delay = 0, 0.6
        with ThreadPoolExecutor(12) as ex:
            rs = list(ex.map(lambda _: httpx.get(url + PATH, headers=h, timeout=30), range(12)))
    codes = sorted(r.status_code for r in rs)
    print("statuses:", codes)
    ok = [r for r in rs if r.status_code == 200]
    busy = [r for r in rs if r.status_code == 503]
    assert len(ok) + len(busy) == 12
    assert 4 <= len(ok) <= 6 and len(busy) >= 6  # 2 running + 2 queued (one may finish meanwhile)
    assert counted.calls == len(ok)  # rejected requests computed nothing
    assert all(r.json() == ref.json() for r in ok)
    for r in busy:
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["code"] == "overloaded" and r.json()["params"]["retry_after"] == int(r.headers["retry-after"])


def test_per_user_rate_limit_answers_429(db, counted):
    with running_server(db, analysis_workers=2, analysis_queue=8, analysis_rate=0.25, analysis_burst=3) as url:
        h, other = login(url, "analyst"), login(url, "admin")
        assert httpx.get(url + PATH, headers=other, timeout=30).status_code == 200  # warm-up, another account
        t0 = time.monotonic()
        rs = [httpx.get(url + PATH, headers=h, timeout=30) for _ in range(4)]
        refill = (time.monotonic() - t0) * 0.25  # tokens regained while the four ran
        assert [r.status_code for r in rs] == [200, 200, 200, 429]
        wait = int(rs[3].headers["retry-after"])
        # (1 token - what refilled) at 0.25 per s, rounded up; ``refill`` bounds what came back
        # before the fourth request (a loaded machine may take over a second for the four)
        assert refill < 1 and math.ceil((1 - refill) / 0.25) <= wait <= 4
        assert rs[3].json()["code"] == "rate_limited"
        assert httpx.get(url + PATH, headers=other, timeout=30).status_code == 200  # another account
        time.sleep(wait)
        assert httpx.get(url + PATH, headers=h, timeout=30).status_code == 200
    assert counted.calls == 6


def _send_and_drop(url: str, token_header: dict[str, str], hold: float) -> None:
    u = urlsplit(url)
    s = socket.create_connection((u.hostname, u.port))
    auth = token_header["Authorization"]
    s.sendall(f"GET {PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode())
    time.sleep(hold)
    s.close()


def test_queued_work_of_a_departed_client_never_starts(db, counted):
    with running_server(db, analysis_workers=1, analysis_queue=10, analysis_rate=1000, analysis_burst=1000) as url:
        h = login(url, "analyst")
        counted.delay = 1.0
        with ThreadPoolExecutor(6) as ex:
            first = ex.submit(httpx.get, url + PATH, headers=h, timeout=30)
            for _ in range(200):  # until the first holds the only slot
                if counted.calls:
                    break
                time.sleep(0.01)
            drops = [ex.submit(_send_and_drop, url, h, 0.3) for _ in range(5)]
            for d in drops:
                d.result()
            assert first.result().status_code == 200
        time.sleep(0.5)
        assert counted.calls == 1  # the five queued requests were dropped, not computed
        counted.delay = 0.0
        assert httpx.get(url + PATH, headers=h, timeout=30).status_code == 200  # the slot was given back
        assert counted.calls == 2


def test_no_request_waits_longer_than_max_wait(db, counted, monkeypatch):
    monkeypatch.setattr(AnalysisGate, "done", lambda self, seconds: None)  # estimate stays 0.5 s per analysis
    with running_server(db, analysis_workers=1, analysis_queue=10, analysis_rate=1000, analysis_burst=1000,
                        analysis_max_wait=0.8) as url:
        h = login(url, "analyst")
        counted.delay = 2.0
        with ThreadPoolExecutor(2) as ex:
            first = ex.submit(httpx.get, url + PATH, headers=h, timeout=30)
            for _ in range(200):
                if counted.calls:
                    break
                time.sleep(0.01)
            t0 = time.monotonic()
            second = httpx.get(url + PATH, headers=h, timeout=30)  # expected wait 0.5 s: queued ...
            waited = time.monotonic() - t0
            assert first.result().status_code == 200
    assert second.status_code == 503 and second.json()["code"] == "overloaded"  # ... and given up at 0.8 s
    assert 0.7 <= waited < 1.9
    assert counted.calls == 1


@pytest.mark.slow
def test_health_stays_fast_under_a_burst_of_200(db, counted):
    """Finding 5: 200 req/s on bottlenecks made /health take 82 s."""
    with running_server(db) as url:  # default limits: workers = CPU count, queue 4 per worker, 4/s per user
        h = login(url, "analyst")
        ref = httpx.get(url + PATH, headers=h, timeout=30).json()
        counted.calls, counted.cpu = 0, 0.05
        health: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            with httpx.Client(timeout=30) as c:
                while not stop.is_set():
                    t0 = time.perf_counter()
                    assert c.get(url + "/api/v1/health").status_code == 200
                    health.append(time.perf_counter() - t0)
                    time.sleep(0.05)

        async def burst() -> list[httpx.Response | Exception]:
            limits = httpx.Limits(max_connections=250, max_keepalive_connections=0)
            async with httpx.AsyncClient(timeout=60, limits=limits) as c:
                return await asyncio.gather(*(c.get(url + PATH, headers=h) for _ in range(200)),
                                            return_exceptions=True)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.perf_counter()
        rs = asyncio.run(burst())
        took = time.perf_counter() - t0
        time.sleep(0.3)
        stop.set()
        th.join(timeout=30)
    errors = [r for r in rs if isinstance(r, Exception)]
    assert not errors, errors[:3]
    codes = {c: sum(r.status_code == c for r in rs) for c in {r.status_code for r in rs}}
    print(f"\nburst of 200 in {took:.2f} s: {codes}; /health n={len(health)} "
          f"median={sorted(health)[len(health) // 2] * 1000:.0f} ms max={max(health) * 1000:.0f} ms; "
          f"analyses run: {counted.calls}")
    assert set(codes) <= {200, 429, 503}
    assert codes.get(200, 0) >= 1 and codes.get(429, 0) + codes.get(503, 0) >= 1
    assert all(r.json() == ref for r in rs if r.status_code == 200)
    assert all(int(r.headers["retry-after"]) >= 1 for r in rs if r.status_code in (429, 503))
    assert counted.calls == codes.get(200, 0)
    assert len(health) >= 3 and max(health) < 1.0  # the acceptance: /health under 1 s
