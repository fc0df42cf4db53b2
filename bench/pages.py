"""Every dashboard page cold and warm: server time (an HTTP GET on loopback) and browser time
(headless Chromium until the network is idle), on the 20,000-firm demo (issue 13).

Three cold figures per page, each the first request after ``reforge serve`` has started on the
file (a new server per measurement, so no page profits from another's memo):

- *computed*: with the result store (``<db>.results/``, see ``reforge.api.result_store``)
  emptied first and the page warm-up off: the page computes its analyses on the request, as on a
  visit right after a data change, before the warm-up got to it;
- *stored*: a second fresh server on the same data (warm-up off): the page reads what the first one
  stored, as on every visit after a restart while the data are unchanged;
- *after warm-up*: one server, started with an empty result store and the warm-up on (the
  default, ``reforge.web.warm``), asked once it reports ``pages_ready``: the first visit of each
  page after a data change once the warm-up has run; the warm-up's own time is printed.

The browser's first figure is the first visit in the browser, made after the server-side GETs,
so it shows the warm server plus the page's own scripts and charts. Warm: median of 5 further
GETs / 3 further visits. Browser times end at Playwright's "networkidle", which waits for 500 ms
without network traffic: about 500 ms of every browser figure is that wait.

    python bench/pages.py                      # builds /tmp/reforge-bench/pages.duckdb once (20k firms)
    python bench/pages.py --db FILE [--firms N]

Goal (issue 13): every page under 1 s server time cold and under 300 ms warm.
There is no peer: the figures are absolute and machine-dependent (2 shared cores here).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_check import start_server  # noqa: E402

REFORGE = str(Path(sys.executable).with_name("reforge"))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
USER, PASSWORD = "admin", "admin-demo-pass"  # the admin sees every page, /data included


def build(db: Path, firms: int) -> None:
    """The demo as `make run` builds it (realism, credit model trained)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    part = db.with_name(db.name + ".building")
    part.unlink(missing_ok=True)
    subprocess.run([REFORGE, "demo", "--firms", str(firms), "--seed", "7", "--realism", "--db", str(part)],
                   check=True, capture_output=True)
    subprocess.run([REFORGE, "credit", "train", "--db", str(part)], check=True, capture_output=True)
    part.rename(db)


def pages(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        item = con.execute("SELECT item_id FROM chain_items WHERE chain_id = 'industrial_robot' "
                           "ORDER BY item_id LIMIT 1").fetchone()[0]
        uscc = con.execute("SELECT uscc FROM enterprises ORDER BY uscc LIMIT 1").fetchone()[0]
    finally:
        con.close()
    # a board listed on /loop/board: the robot chain's first blank or chokepoint item
    from reforge.chain import bottlenecks
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(db, read_only=True) as e:
        gap = next(i["item_id"] for i in bottlenecks(e, "industrial_robot").items
                   if i["label"] in ("blank", "chokepoint"))
    return ["/", "/chains", "/chains/industrial_robot", f"/chains/industrial_robot/items/{item}",
            "/chains/industrial_robot/firms", "/enterprises", f"/enterprises/{uscc}", "/tiers", "/policy",
            "/credit", "/sectors", "/appraise", "/glossary", "/data", "/loop/leaders?chain=industrial_robot",
            "/loop/projects", "/loop/board", f"/loop/board/{item}", f"/loop/board/{gap}", "/loop/outcome",
            "/research"]


def login(client: httpx.Client) -> None:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    r = client.post("/login", data={"username": USER, "password": PASSWORD, "next": "/",
                                    "csrf_token": m.group(1) if m else ""})
    assert r.status_code in (200, 303), r.status_code


def timed_get(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    r = client.get(path)
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"{path}: HTTP {r.status_code}")
    return dt


def browser_times(url: str, path: str, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright
    out = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = b.new_context(base_url=url, viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        page.goto("/login")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_load_state("networkidle")
        for _ in range(runs):
            t0 = time.perf_counter()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            out.append(time.perf_counter() - t0)
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/reforge-bench/pages.duckdb"))
    ap.add_argument("--firms", type=int, default=20000)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--only", nargs="*", default=None, help="pages whose path starts with one of these")
    a = ap.parse_args()
    if not a.db.exists():
        print(f"building the {a.firms:,}-firm demo in {a.db} …", flush=True)
        build(a.db, a.firms)
    store = Path(str(a.db) + ".results")
    todo = [p for p in pages(a.db) if not a.only or any(p == o or (o != "/" and p.startswith(o)) for o in a.only)]
    shutil.rmtree(store, ignore_errors=True)
    proc, url = start_server(a.db, {"REFORGE_WARM_PAGES": "1"})
    after: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        while not httpx.get(f"{url}/api/v1/health", timeout=5).json().get("pages_ready"):
            time.sleep(0.2)
        print(f"warm-up after the start with an empty result store: {time.perf_counter() - t0:.1f} s", flush=True)
        with httpx.Client(base_url=url, timeout=300) as c:
            login(c)
            after = {p: timed_get(c, p) for p in todo}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{'page':44} {'cold computed':>13} {'cold stored':>11} {'after warm-up':>13} {'server warm':>11} "
          f"{'browser 1st':>11} {'browser warm':>12}")
    worst_computed = worst_cold = worst_warm = worst_after = 0.0
    off = {"REFORGE_WARM_PAGES": "0"}
    for path in todo:
        shutil.rmtree(store, ignore_errors=True)
        proc, url = start_server(a.db, off)
        try:
            with httpx.Client(base_url=url, timeout=300) as c:
                login(c)
                computed = timed_get(c, path)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        proc, url = start_server(a.db, off)
        try:
            with httpx.Client(base_url=url, timeout=300) as c:
                login(c)
                cold = timed_get(c, path)
                warm = statistics.median(timed_get(c, path) for _ in range(5))
            br = [] if a.no_browser else browser_times(url, path, 4)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        worst_computed = max(worst_computed, computed)
        worst_cold, worst_warm = max(worst_cold, cold), max(worst_warm, warm)
        worst_after = max(worst_after, after[path])
        bfirst = f"{br[0] * 1000:9.0f}ms" if br else "-"
        bwarm = f"{statistics.median(br[1:]) * 1000:10.0f}ms" if br else "-"
        print(f"{path[:44]:44} {computed * 1000:11.0f}ms {cold * 1000:9.0f}ms {after[path] * 1000:11.0f}ms "
              f"{warm * 1000:9.0f}ms {bfirst:>11} {bwarm:>12}", flush=True)
    print(f"worst server cold: {worst_computed * 1000:.0f} ms computed, {worst_cold * 1000:.0f} ms stored, "
          f"{worst_after * 1000:.0f} ms after the warm-up (goal < 1000); worst warm {worst_warm * 1000:.0f} ms "
          f"(goal < 300)")


if __name__ == "__main__":
    main()
