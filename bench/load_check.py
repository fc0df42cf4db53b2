"""Load check of the enterprise-profile endpoint (a script, not a test).

Open-loop load: RATE requests per second for SECONDS seconds to
``GET /api/v1/enterprises/{uscc}`` (USCCs rotated over the database), each sent
on schedule whether or not earlier ones have finished, so slow answers show up
as latency rather than as a lower request rate. Prints p50 / p90 / p99 / max
latency, the error count, the achieved rate and the server's peak memory; the
same load on ``/api/v1/health`` (no database work beyond one count) is measured
side by side as the baseline and the ratio printed.

    python bench/load_check.py --db demo.duckdb                # starts `reforge serve` itself
    python bench/load_check.py --url http://127.0.0.1:8000 --user analyst --password …
    LOAD_RATE=50 LOAD_SECONDS=5 python bench/load_check.py --db demo.duckdb   # quick run

Goal of issue 8: 200 req/s for 30 s, p99 under 100 ms, no errors. A profile is cached by the
server after its first read (until the next write), so the timed phase measures the cached path;
the first reads are reported separately as the uncached figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`reforge serve` on a free loopback port, demo accounts created first; ``env`` adds
    environment variables (e.g. ``REFORGE_WARM_PAGES``)."""
    reforge = str(Path(sys.executable).with_name("reforge"))
    subprocess.run([reforge, "demo-accounts", "--db", str(db)], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([reforge, "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a process in MB, Linux only."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RawPool:
    """Keep-alive HTTP/1.1 connections over asyncio streams: a far cheaper client than httpx, so the
    client (sharing the machine with the server) costs little CPU and the figures reflect the server."""

    def __init__(self, url: str, headers: dict[str, str], size: int) -> None:
        u = httpx.URL(url)
        self.host, self.port, self.size = u.host, u.port or 80, size
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.free: asyncio.Queue = asyncio.Queue()
        self.opened = 0

    async def _conn(self):
        if self.free.empty() and self.opened < self.size:
            self.opened += 1
            return await asyncio.open_connection(self.host, self.port)
        return await self.free.get()

    async def get(self, path: str) -> int:
        """Status code of ``GET path`` (body read and discarded)."""
        reader, writer = await self._conn()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n".encode())
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                k, _, v = line.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            await reader.readexactly(length)
        except Exception:
            writer.close()
            self.opened -= 1
            raise
        self.free.put_nowait((reader, writer))
        return status

    async def close(self) -> None:
        while not self.free.empty():
            _, w = self.free.get_nowait()
            w.close()


async def run_load(url: str, paths: list[str], headers: dict, rate: float, seconds: float) -> dict:
    """Send ``rate`` requests/s for ``seconds`` s (open loop); latencies in ms."""
    n = int(rate * seconds)
    lat = np.full(n, np.nan)
    errors: dict[str, int] = {}
    pool = RawPool(url, headers, size=256)
    # warm up the connections and the server (profiles are cached after their first read);
    # the first reads, 10 at a time, are timed as the uncached figures
    cold: list[float] = []

    async def timed(p: str) -> None:
        t0 = time.perf_counter()
        await pool.get(p)
        cold.append((time.perf_counter() - t0) * 1000)

    for i in range(0, len(paths), 10):
        await asyncio.gather(*(timed(p) for p in paths[i:i + 10]))

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        try:
            code = await pool.get(paths[i % len(paths)])
            if code != 200:
                errors[str(code)] = errors.get(str(code), 0) + 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        lat[i] = (time.perf_counter() - t0) * 1000

    start = time.perf_counter()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    sent = time.perf_counter() - start
    await asyncio.gather(*tasks)
    await pool.close()
    return {"requests": n, "send_seconds": sent, "achieved_rate": n / sent if sent else float("nan"),
            "p50": float(np.nanpercentile(lat, 50)), "p90": float(np.nanpercentile(lat, 90)),
            "p99": float(np.nanpercentile(lat, 99)), "max": float(np.nanmax(lat)),
            "errors": sum(errors.values()), "error_kinds": errors,
            "cold_p50": float(np.percentile(cold, 50)), "cold_p99": float(np.percentile(cold, 99))}


def report(name: str, r: dict) -> None:
    print(f"{name:<22} {r['requests']:>6} req at {r['achieved_rate']:6.1f}/s   p50 {r['p50']:7.1f} ms   "
          f"p90 {r['p90']:7.1f} ms   p99 {r['p99']:7.1f} ms   max {r['max']:7.1f} ms   errors {r['errors']}"
          + (f" {r['error_kinds']}" if r["errors"] else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="database to serve (starts `reforge serve` on a free port)")
    ap.add_argument("--url", help="an already running server instead of --db")
    ap.add_argument("--user", default="analyst")
    ap.add_argument("--password", default=None, help="default: the demo password of --user")
    ap.add_argument("--rate", type=float, default=float(os.environ.get("LOAD_RATE", 200)))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("LOAD_SECONDS", 30)))
    ap.add_argument("--firms", type=int, default=200, help="distinct enterprises to rotate over")
    ap.add_argument("--no-baseline", action="store_true", help="skip the /health baseline run")
    a = ap.parse_args()
    if not a.url and not a.db:
        ap.error("give --db or --url")
    proc = None
    url = a.url
    if a.db:
        proc, url = start_server(a.db)
    try:
        from reforge.cli.serve import DEMO_PASSWORDS
        pw = a.password or DEMO_PASSWORDS.get(a.user, "")
        tok = httpx.post(f"{url}/api/v1/auth/token", data={"username": a.user, "password": pw}).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        items = httpx.get(f"{url}/api/v1/enterprises", headers=headers,
                          params={"page_size": min(a.firms, 200)}).json()["items"]
        paths = [f"/api/v1/enterprises/{i['uscc']}" for i in items]
        print(f"server {url}; {a.rate:g} req/s for {a.seconds:g} s over {len(paths)} enterprises "
              f"(client and server share this machine: {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.1f})")
        prof = asyncio.run(run_load(url, paths, headers, a.rate, a.seconds))
        print(f"first reads (uncached, 10 concurrent): p50 {prof['cold_p50']:.1f} ms, p99 {prof['cold_p99']:.1f} ms")
        report("enterprise profile", prof)
        if not a.no_baseline:
            base = asyncio.run(run_load(url, ["/api/v1/health"], headers, a.rate, a.seconds))
            report("health (baseline)", base)
            print(f"ratio profile/health: p50 {prof['p50'] / base['p50']:.2f}x, p99 {prof['p99'] / base['p99']:.2f}x")
        if proc is not None:
            mem = peak_rss_mb(proc.pid)
            print(f"server peak memory: {mem:.0f} MB" if mem else "server peak memory: n/a")
        goal = prof["p99"] < 100 and prof["errors"] == 0
        print(f"goal (p99 < 100 ms, no errors): {'met' if goal else 'NOT met'}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
