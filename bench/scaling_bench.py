"""Benchmark (issue 20, point 4): how the set-based analyses grow with the number of firms, on
DuckDB, on Spark ``local[2]`` and on a standalone Spark cluster (a master and two one-core
workers on loopback, started here as in ``tests/cluster``), side by side on the same data.

Input: a national warehouse of ``--max-firms`` firms in shards of ``--shard`` firms
(``reforge.demo.national.write_warehouse``; generated into ``--warehouse`` when missing, its
wall time and peak memory printed). The sizes are its first 1, 2, 4, … shards: every shard is a
closed regional economy, so a prefix of shards is a complete warehouse (the first firms and the
firm tables' rows of those firms; the other tables come from the first shard anyway).

For each size and engine a child process runs, timed one by one:

* ``metrics``: chain bottleneck metrics of the six chains (``reforge.chain.bottlenecks``);
* ``simulate``: removing Japan's suppliers, disruption to the fixed point (``chain.simulate``);
* ``screen``: Little Giant screening of every firm in the default screening year (the year after
  the latest well-covered panel year, as the Tiers page; ``firms.screen``).

Printed: seconds per analysis, the process tree's peak resident memory (the child's Python and,
for Spark, its driver JVM; sampled every 0.2 s; the cluster's worker and executor JVMs are not
counted), the fitted growth exponent b of ``seconds = a * firms ** b`` per analysis and engine
(least squares on logs), and a plot (``--plot``, default ``bench/out/scaling.png``). DuckDB reads
the shards bulk-loaded into a database file first (not timed); Spark reads the Parquet files.

    python bench/scaling_bench.py --warehouse /data/wh2m            # 0.25M, 0.5M, 1M, 2M firms
    python bench/scaling_bench.py --max-firms 4000 --shard 1000 --engines duckdb,local   # quick
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSES = ("metrics", "simulate", "screen")
ENGINES = ("duckdb", "local", "cluster")


# ---- child -----------------------------------------------------------------------------------------

def child(engine: str, source: str, out: str) -> None:
    """Run the analyses on ``engine`` (``duckdb``: ``source`` is a database file; otherwise a
    warehouse folder) and write ``{analysis: seconds}`` to ``out``."""
    from reforge.chain import bottlenecks, list_chains, simulate
    from reforge.coverage import default_year
    from reforge.firms import screen
    if engine == "duckdb":
        from reforge.engine import DuckDBEngine
        e = DuckDBEngine(source, read_only=True)
    else:
        from reforge.engine.spark_engine import SparkEngine
        e = SparkEngine(source)
    secs: dict[str, float] = {}
    t = time.perf_counter()
    for c in list_chains(e):
        bottlenecks(e, c["chain_id"])
    secs["metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    sim = simulate(e, remove_country="JP")
    secs["simulate"] = time.perf_counter() - t
    t = time.perf_counter()
    year = default_year(e, "enterprise_years") + 1   # the default screening year, as the Tiers page
    sc = screen(e, "little_giant", year)
    secs["screen"] = time.perf_counter() - t
    secs["disrupted"] = sim.disrupted_firms_count
    secs["screened"] = len(sc.frame)
    Path(out).write_text(json.dumps(secs))
    e.close()


# ---- parent ----------------------------------------------------------------------------------------

def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MiB (from /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            rss[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return sum(rss.get(p, 0) for p in tree) / 2**20


def run_sampled(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float, float, int]:
    """(wall s, peak tree RSS MiB, exit code) of ``cmd``."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while p.poll() is None:
        peak = max(peak, tree_rss_mib(p.pid))
        if time.perf_counter() - t0 > timeout:
            p.kill()
        time.sleep(0.2)
    if p.returncode:
        sys.stderr.write((p.stderr.read() or b"").decode(errors="replace")[-2000:])
    return time.perf_counter() - t0, peak, p.returncode


def ensure_warehouse(path: Path, firms: int, shard: int, seed: int) -> None:
    if (path / "enterprises.parquet").exists():
        return
    cmd = [sys.executable, "-W", "ignore", "-c",
           "import sys; from reforge.demo.national import write_warehouse; "
           f"write_warehouse({firms}, {seed}, sys.argv[1], shard_firms={shard})", str(path)]
    wall, peak, rc = run_sampled(cmd, dict(os.environ), 24 * 3600)
    if rc:
        raise SystemExit(f"generating the warehouse failed (exit {rc})")
    print(f"generated {firms:,} firms to Parquet in shards of {shard:,}: {wall:,.0f} s wall, peak RSS "
          f"{peak:,.0f} MiB", flush=True)


def prefix_warehouse(src: Path, dst: Path, shards: int, shard_firms: int) -> None:
    """The first ``shards`` shards of ``src``: its first ``shards * shard_firms`` enterprises (written
    in shard order) and the firm tables' rows of those firms (a supply link by its buyer; the foreign
    suppliers' capabilities, which come from the first shard, kept); other tables as they are."""
    import duckdb

    from reforge.demo.national import FIRM_TABLES
    from reforge.engine.sqlbuild import literal
    dst.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE firms AS SELECT uscc FROM read_parquet(?) LIMIT ?",
                [str(src / "enterprises.parquet"), int(shards * shard_firms)])
    keep = {"enterprises": "uscc", "enterprise_years": "uscc", "designations": "uscc", "support_events": "uscc",
            "credit_records": "uscc", "defaults": "uscc", "supply_links": "buyer_uscc"}
    for p in src.glob("*.parquet"):
        if p.stem not in FIRM_TABLES:
            shutil.copy(p, dst / p.name)
            continue
        cond = (f"{keep[p.stem]} IN (SELECT uscc FROM firms)" if p.stem in keep else
                "producer_type = 'foreign' OR producer_id IN (SELECT uscc FROM firms)")
        con.execute(f"COPY (SELECT * FROM read_parquet({literal(str(p))}) WHERE {cond}) "
                    f"TO {literal(str(dst / p.name))} (FORMAT PARQUET)")  # COPY takes no parameters
    con.close()


def to_duckdb(wh: Path, db: Path) -> None:
    from reforge.demo.national import load_warehouse
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    with DuckDBEngine(db) as e:
        ensure_schema(e)
        load_warehouse(e, wh)
        e.execute("CHECKPOINT")


def fit_exponent(sizes: list[int], secs: list[float]) -> float:
    """b of ``secs = a * sizes ** b`` by least squares on logs (nan with fewer than two points)."""
    pts = [(math.log(n), math.log(s)) for n, s in zip(sizes, secs, strict=True) if s > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else float("nan")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=Path(tempfile.gettempdir()) / "reforge-scaling-wh")
    ap.add_argument("--max-firms", type=int, default=2_000_000)
    ap.add_argument("--shard", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: duckdb, local, cluster")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per child, seconds")
    ap.add_argument("--shards", default=None, help="comma-separated shard counts to run (default 1,2,4,…)")
    ap.add_argument("--executor-memory", default="3g",
                    help="spark.executor.memory on the cluster (its 1g default fails at 2M firms)")
    ap.add_argument("--plot", type=Path, default=ROOT / "bench" / "out" / "scaling.png")
    a = ap.parse_args()
    engines = [x for x in a.engines.split(",") if x]
    ensure_warehouse(a.warehouse, a.max_firms, a.shard, a.seed)
    n_shards = math.ceil(a.max_firms / a.shard)
    counts = [k for k in (1, 2, 4, 8, 16, 32) if k <= n_shards]
    if a.shards:
        counts = [int(x) for x in a.shards.split(",")]
    results: dict[tuple[str, int], dict] = {}
    cluster = None
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "REFORGE_SPARK_MEMORY": os.environ.get("REFORGE_SPARK_MEMORY", "6g")}
    env.pop("REFORGE_SPARK_TINY", None)
    print(f"scaling: {os.cpu_count()} CPUs; engines {engines}; shards of {a.shard:,} firms", flush=True)
    with tempfile.TemporaryDirectory(prefix="scaling_") as d:
        tmp = Path(d)
        try:
            if "cluster" in engines:
                sys.path.insert(0, str(ROOT))
                from tests.cluster.standalone import StandaloneCluster
                cluster = StandaloneCluster(tmp / "cluster", memory="4g").start()
            for k in counts:
                wh = a.warehouse if k == n_shards else tmp / f"wh{k}"
                if k != n_shards:
                    prefix_warehouse(a.warehouse, wh, k, a.shard)
                import pyarrow.parquet as pq
                firms = pq.read_metadata(wh / "enterprises.parquet").num_rows
                links = pq.read_metadata(wh / "supply_links.parquet").num_rows
                for eng in engines:
                    out = tmp / f"{eng}{k}.json"
                    if eng == "duckdb":
                        db = tmp / f"db{k}.duckdb"
                        to_duckdb(wh, db)
                        src, cenv = db, env
                    else:
                        src = wh
                        cenv = {**env, "REFORGE_SPARK_MASTER": cluster.url if eng == "cluster" else "local[2]"}
                        if eng == "cluster":   # read by pyspark when it starts the driver JVM
                            cenv["PYSPARK_SUBMIT_ARGS"] = f"--conf spark.executor.memory={a.executor_memory} pyspark-shell"
                    wall, peak, rc = run_sampled([sys.executable, "-W", "ignore", __file__, "--child", eng, str(src),
                                                  str(out)], cenv, a.timeout)
                    r = json.loads(out.read_text()) if rc == 0 and out.exists() else {}
                    results[(eng, firms)] = {**r, "wall": wall, "peak": peak, "ok": rc == 0}
                    times = "  ".join(f"{x} {r[x]:8.1f} s" for x in ANALYSES if x in r) or f"FAILED (exit {rc})"
                    print(f"{firms:>10,} firms {links:>11,} links  {eng:8s} {times}  process {wall:7.1f} s, "
                          f"peak RSS {peak:7,.0f} MiB", flush=True)
                    if eng == "duckdb":
                        (tmp / f"db{k}.duckdb").unlink(missing_ok=True)
                if k != n_shards:
                    shutil.rmtree(wh, ignore_errors=True)
        finally:
            if cluster is not None:
                cluster.stop()
    sizes = sorted({n for _, n in results})
    print("\ngrowth exponent b (seconds ~ firms^b) per analysis:")
    for eng in engines:
        bs = []
        for x in ANALYSES:
            pts = [(n, results[(eng, n)].get(x)) for n in sizes if results.get((eng, n), {}).get(x)]
            bs.append(f"{x} {fit_exponent([p[0] for p in pts], [p[1] for p in pts]):.2f}")
        print(f"  {eng:8s} " + "  ".join(bs))
    plot(results, engines, sizes, a.plot)


def plot(results: dict, engines: list[str], sizes: list[int], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(ANALYSES), figsize=(4 * len(ANALYSES), 3.6), sharex=True)
    for ax, x in zip(axes, ANALYSES, strict=True):
        for eng in engines:
            pts = [(n, results[(eng, n)].get(x)) for n in sizes if results.get((eng, n), {}).get(x)]
            if pts:
                ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-", label=eng)
        ax.set_title(x)
        ax.set_xlabel("firms")
        ax.set_xticks(sizes, [f"{n / 1e6:g}M" for n in sizes])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
