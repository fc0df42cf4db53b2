"""Overload check of the analysis routes (issue 19, finding 5; a script, not a test).

Open-loop load: RATE requests per second for SECONDS seconds to
``GET /api/v1/chains/{id}/bottlenecks`` (chains rotated), each sent on schedule whether or
not earlier ones have finished, while ``/api/v1/health`` is sampled every 100 ms on its own
connection. Prints how many requests were served (200), refused (429 rate limit / 503 full
queue, each with ``Retry-After``) or timed out (client gives up after ``--timeout`` s), the
p50/p99 latency of each group, the ``/health`` latency during the load, the server's peak
memory, and how long the server takes to answer an analysis normally afterwards (work left
behind by abandoned requests shows up there).

    python bench/overload.py                         # builds a demo database (--firms 2000) itself
    python bench/overload.py --db demo.duckdb        # starts `reforge serve` on it
    python bench/overload.py --db demo.duckdb --many-users   # per-user rate limit lifted: the queue alone
    OVERLOAD_RATE=50 OVERLOAD_SECONDS=10 python bench/overload.py --db demo.duckdb   # quick run

Goal (issue 19): at 200 req/s for 30 s, ``/health`` under 1 s and served requests p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_check import RawPool, peak_rss_mb, start_server  # noqa: E402

REFORGE = str(Path(sys.executable).with_name("reforge"))


async def get_status_retry(pool: RawPool, path: str) -> tuple[int, str | None]:
    """``(status, Retry-After header or None)`` of ``GET path`` (body read and discarded)."""
    reader, writer = await pool._conn()
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {pool.host}\r\n{pool.extra}\r\n".encode())
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length, retry, close = 0, None, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "retry-after":
                retry = v.strip()
            elif k == "connection" and v.strip().lower() == "close":
                close = True
        await reader.readexactly(length)
    except BaseException:
        writer.close()
        pool.opened -= 1
        raise
    if close:
        writer.close()
        pool.opened -= 1
    else:
        pool.free.put_nowait((reader, writer))
    return status, retry


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


async def run(url: str, paths: list[str], headers: dict, rate: float, seconds: float, timeout: float) -> dict:
    """The open-loop load with the /health sampler; latencies in ms."""
    pool = RawPool(url, headers, size=1024)
    served: list[float] = []
    refused: dict[int, list[float]] = {429: [], 503: []}
    other: dict[str, int] = {}
    missing_retry = 0
    health: list[float] = []
    done = asyncio.Event()

    async def one(i: int) -> None:
        nonlocal missing_retry
        t0 = time.perf_counter()
        try:
            code, retry = await asyncio.wait_for(get_status_retry(pool, paths[i % len(paths)]), timeout)
        except TimeoutError:
            other["timeout"] = other.get("timeout", 0) + 1
            return
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            other[type(e).__name__] = other.get(type(e).__name__, 0) + 1
            return
        ms = (time.perf_counter() - t0) * 1000
        if code == 200:
            served.append(ms)
        elif code in refused:
            refused[code].append(ms)
            missing_retry += retry is None
        else:
            other[str(code)] = other.get(str(code), 0) + 1

    async def sample() -> None:
        hp = RawPool(url, {}, size=1)
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                await asyncio.wait_for(hp.get("/api/v1/health"), 120)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                pass
            health.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.1)
        await hp.close()

    sampler = asyncio.create_task(sample())
    n = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    sent = time.perf_counter() - start
    await asyncio.gather(*tasks)
    done.set()
    await sampler
    await pool.close()
    return {"requests": n, "achieved_rate": n / sent if sent else float("nan"), "served": served,
            "refused": refused, "other": other, "missing_retry": missing_retry, "health": health}


def recovery(url: str, headers: dict, path: str) -> float:
    """Seconds until one analysis answers 200 after the load (abandoned work still running delays it)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 600:
        try:
            if httpx.get(url + path, headers=headers, timeout=600).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return time.perf_counter() - t0


def demo_db(firms: int) -> Path:
    d = Path(tempfile.mkdtemp(prefix="reforge-overload-"))
    db = d / "demo.duckdb"
    subprocess.run([REFORGE, "demo", "--firms", str(firms), "--seed", "1", "--db", str(db)], check=True,
                   capture_output=True)
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="database to serve (default: a new demo database)")
    ap.add_argument("--firms", type=int, default=2000, help="size of the demo database built without --db")
    ap.add_argument("--rate", type=float, default=float(os.environ.get("OVERLOAD_RATE", 200)))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("OVERLOAD_SECONDS", 30)))
    ap.add_argument("--timeout", type=float, default=10.0, help="client gives up after this many seconds")
    ap.add_argument("--many-users", action="store_true",
                    help="lift the per-user rate limit (REFORGE_ANALYSIS_RATE) to measure the queue alone")
    a = ap.parse_args()
    db = a.db or demo_db(a.firms)
    if a.many_users:
        os.environ["REFORGE_ANALYSIS_RATE"] = os.environ["REFORGE_ANALYSIS_BURST"] = "1000000"
    proc, url = start_server(db)
    try:
        from reforge.cli.serve import DEMO_PASSWORDS
        tok = httpx.post(f"{url}/api/v1/auth/token",
                         data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"]}).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        chains = [c["chain_id"] for c in httpx.get(f"{url}/api/v1/chains", headers=headers, timeout=60).json()]
        paths = [f"/api/v1/chains/{c}/bottlenecks" for c in chains]
        t0 = time.perf_counter()
        for p in paths:  # one unloaded run each
            httpx.get(url + p, headers=headers, timeout=600)
        one = (time.perf_counter() - t0) / len(paths)
        print(f"server {url} ({db}); {len(paths)} chains, one analysis unloaded {one * 1000:.0f} ms; "
              f"{a.rate:g} req/s for {a.seconds:g} s, client timeout {a.timeout:g} s, "
              f"{'per-user limit lifted' if a.many_users else 'one analyst token'}; "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        r = asyncio.run(run(url, paths, headers, a.rate, a.seconds, a.timeout))
        rec = recovery(url, headers, paths[0])
        s, h = r["served"], r["health"]
        print(f"sent {r['requests']} at {r['achieved_rate']:.1f}/s: served {len(s)} "
              f"(p50 {pct(s, 50):.0f} ms, p99 {pct(s, 99):.0f} ms, max {max(s, default=float('nan')):.0f} ms)")
        for code, xs in r["refused"].items():
            print(f"  {code}: {len(xs)} (p50 {pct(xs, 50):.1f} ms, p99 {pct(xs, 99):.1f} ms)")
        print(f"  refused without Retry-After: {r['missing_retry']}; other: {r['other'] or 'none'}")
        print(f"/health during the load: n={len(h)} p50 {pct(h, 50):.0f} ms, p99 {pct(h, 99):.0f} ms, "
              f"max {max(h, default=float('nan')):.0f} ms  (goal < 1000 ms)")
        print(f"an analysis answered normally {rec:.2f} s after the load ended")
        mem = peak_rss_mb(proc.pid)
        if mem is not None:
            print(f"server peak memory {mem:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
