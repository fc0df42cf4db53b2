"""Login flood check (issue 19 finding 4), run by hand: ``python bench/login_flood.py [--db FILE]``.

Starts the real ``reforge serve`` on a free port, sends ``--rate`` logins per second with random
user names (and a rotating ``X-Forwarded-For``) from 127.0.0.1 for ``--seconds`` seconds, and
meanwhile signs in a real account once a second from 127.0.0.2 (another client). Prints the
flood's status counts, the real logins' latencies, ``/health`` latency and the server's CPU
seconds (each argon2id hash costs ~0.4 s of CPU on the 2-core machine, so CPU bounds the hashes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
USER, PASSWORD = "bench-analyst", "bench-password-1"


def _db(path: str | None) -> Path:
    from reforge.api.auth import add_user, get_user
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    if path:
        p = Path(path)
    else:
        from tests.api import smalldb
        p = smalldb.build(Path(tempfile.mkdtemp(prefix="login-flood-")) / "small.duckdb")
    with DuckDBEngine(p, read_only=False) as e:
        ensure_schema(e)
        if get_user(e, USER) is None:
            add_user(e, USER, PASSWORD, "analyst")
    return p


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _flood(url: str, rate: float, seconds: float) -> Counter:
    codes: Counter = Counter()
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=200)) as c:
        async def one(i: int) -> None:
            try:
                r = await c.post(url + "/api/v1/auth/token",
                                 data={"username": "u" + secrets.token_hex(6), "password": "guess-guess"},
                                 headers={"X-Forwarded-For": f"10.{i % 250}.{i // 250 % 250}.1"})
                codes[r.status_code] += 1
            except httpx.HTTPError as e:
                codes[type(e).__name__] += 1

        tasks, t0 = [], time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return codes


async def _real(url: str, seconds: float) -> tuple[list[float], list[float], Counter]:
    lat, health, codes = [], [], Counter()
    tr = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(timeout=60, transport=tr) as c:
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            t0 = time.perf_counter()
            r = await c.post(url + "/api/v1/auth/token", data={"username": USER, "password": PASSWORD})
            lat.append(time.perf_counter() - t0)
            codes[r.status_code] += 1
            t0 = time.perf_counter()
            await c.get(url + "/api/v1/health")
            health.append(time.perf_counter() - t0)
            await asyncio.sleep(1.0)
    return lat, health, codes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db")
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    db = _db(a.db)
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = str(Path(sys.executable).with_name("reforge"))
    p = subprocess.Popen([exe, "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        base, base_health, _ = asyncio.run(_real(url, 4))  # the same logins without a flood
        cpu0 = _cpu(p.pid)

        async def both():
            return await asyncio.gather(_flood(url, a.rate, a.seconds), _real(url, a.seconds + 2))

        flood, (lat, health, real) = asyncio.run(both())
        cpu = _cpu(p.pid) - cpu0
    finally:
        p.terminate()
        p.wait(20)
    print(f"flood: {a.rate:g} logins/s x {a.seconds:g} s, random names, rotating X-Forwarded-For")
    print("  responses:", dict(sorted(flood.items(), key=str)))
    print(f"real logins from another client: {dict(real)}; latency median {statistics.median(lat):.2f} s, "
          f"max {max(lat):.2f} s (n={len(lat)})")
    print(f"  without the flood: login median {statistics.median(base):.2f} s, max {max(base):.2f} s "
          f"(n={len(base)}); /health median {statistics.median(base_health) * 1000:.0f} ms")
    print(f"/health latency: median {statistics.median(health) * 1000:.0f} ms, max {max(health) * 1000:.0f} ms")
    print(f"server CPU during the run: {cpu:.1f} s")


if __name__ == "__main__":
    main()
