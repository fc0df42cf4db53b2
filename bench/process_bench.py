"""Benchmark: whole processes, as a user waits for them, side by side with their peers.

Each case runs the ``reforge`` command and its peer as fresh processes on the same input,
alternating (A B A B …) after one warm-up each, and prints the median, min and max wall
time, the median peak memory (largest resident set of the process) and the speed-up
peer/reforge (median of the run-by-run ratios, so that a drifting machine cancels out).

Cases (``--only`` picks some):
  did      reforge policy did FILE (1M rows, analytic SEs, 4 aggregations) vs csdid reading
           the same CSV with pandas (goal: >= 2x)
  did-cov  the same with two covariates (goal: >= 5x)
  sectors  reforge sectors analyze FILE on a 1,000-sector table vs pymrio calc_all in a
           process reading the same CSV with pandas
  simulate reforge chain simulate --db FILE --remove-country JP on the national demo database
           (``reforge demo --firms N --db FILE``, 1M firms) vs networkx in a process: read the
           year's supply links and the JP suppliers from the same file (duckdb), build the
           DiGraph, run the same threshold cascade (checked: the same disrupted firms)
  help     reforge --help vs python -c "import typer" (goal: reforge under 0.3 s)
  status   reforge status vs python -c "import typer" (goal: reforge under 0.6 s)

Building the 1M-firm database for ``simulate`` takes about 11 minutes on 2 cores (timed and
printed, not counted); ``--only`` without ``simulate`` skips it.

    python bench/process_bench.py                  # full sizes, 5 runs
    python bench/process_bench.py --quick          # 100,000 rows, 300 sectors, 20,000 firms, 3 runs
    python bench/process_bench.py --only help status --runs 9
Sizes: ``PROCESS_BENCH_ROWS`` (1000000), ``PROCESS_BENCH_SECTORS`` (1000), ``PROCESS_BENCH_FIRMS``
(1000000; quick 20000), ``PROCESS_BENCH_RUNS`` (5);
``BENCH_QUICK=1`` is the same as ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CASES = ("did", "did-cov", "sectors", "simulate", "help", "status")

CSDID_PEER = r'''
import contextlib, io, json, sys, warnings
import pandas as pd
from csdid.att_gt import ATTgt
path, cov = sys.argv[1], sys.argv[2] == "1"
df = pd.read_csv(path)
with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
    warnings.simplefilter("ignore")
    m = ATTgt(yname="y", tname="period", idname="unit", gname="cohort", data=df,
              xformla="y ~ x1 + x2" if cov else "y ~ 1").fit(est_method="dr", bstrap=False)
    out = {}
    for kind in ("simple", "group", "calendar", "dynamic"):
        m.aggte(kind)
        out[kind] = float(m.atte["overall_att"])
print(json.dumps(out))
'''

PYMRIO_PEER = r'''
import json, sys
import pandas as pd
import pymrio
df = pd.read_csv(sys.argv[1], index_col=0)
codes = [c for c in df.columns if c in df.index]
fd = [c for c in df.columns if c not in df.index]
idx = pd.MultiIndex.from_product([["R"], codes], names=["region", "sector"])
cols = pd.MultiIndex.from_product([["R"], fd], names=["region", "category"])
io_ = pymrio.IOSystem(Z=pd.DataFrame(df.loc[codes, codes].to_numpy(), index=idx, columns=idx),
                      Y=pd.DataFrame(df.loc[codes, fd].to_numpy(), index=idx, columns=cols))
io_.factor_inputs = pymrio.Extension(name="factor_inputs", F=pd.DataFrame(
    df.loc[["value_added"], codes].to_numpy(), index=["va"], columns=idx))
io_.calc_all(include_ghosh=True)
print(json.dumps({"multiplier_0": float(io_.L.to_numpy()[:, 0].sum())}))
'''

NX_PEER = r'''
import json, sys
import duckdb
import networkx  # noqa: F401 - imported here as a user's script would, before the graph is built
db, year, country, thr = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
sys.path.insert(0, sys.argv[5])   # bench/
con = duckdb.connect(db, read_only=True)
links = con.execute("SELECT supplier_id, buyer_uscc, item_id, CAST(value AS DOUBLE) FROM supply_links "
                    "WHERE year = ?", [year]).fetchall()
seeds = {r[0] for r in con.execute("SELECT supplier_id FROM foreign_suppliers WHERE UPPER(country) = ?",
                                   [country]).fetchall()}
con.close()
from chain_bench import _nx_cascade, _nx_graph  # what chain_bench.py checks against reforge (stdlib imports)
g, total = _nx_graph(links)
del links
print(json.dumps({"disrupted": sorted(_nx_cascade(g, total, {s for s in seeds if s in g}, thr))}))
'''


@dataclass
class Runs:
    """Wall seconds and peak resident memory (MiB) of each counted run."""

    wall: list[float] = field(default_factory=list)
    peak: list[float] = field(default_factory=list)
    out: str = ""
    fails: int = 0


def run_once(cmd: list[str], out_file: Path, env: dict[str, str], timeout: float) -> tuple[float, float, int]:
    """Run ``cmd`` to completion; (wall s, peak RSS MiB, exit code). stdout goes to ``out_file``."""
    with open(out_file, "wb") as fh:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, env=env)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss / 1024, p.returncode


def compare(a: list[str], b: list[str], runs: int, tmp: Path, timeout: float) -> tuple[Runs, Runs]:
    """A B A B … after one warm-up of each; returns the counted runs of both."""
    env = {**os.environ, "COLUMNS": "100", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    ra, rb = Runs(), Runs()
    for i in range(runs + 1):
        for cmd, r, tag in ((a, ra, "a"), (b, rb, "b")):
            out = tmp / f"out_{tag}.txt"
            wall, peak, rc = run_once(cmd, out, env, timeout)
            if rc != 0:
                r.fails += 1
            if i == 0:  # warm-up: keep its output for the sanity check
                r.out = out.read_text(errors="replace")
                continue
            r.wall.append(wall)
            r.peak.append(peak)
    return ra, rb


def _stats(v: list[float]) -> str:
    return f"{statistics.median(v):6.2f} ({min(v):.2f}–{max(v):.2f})" if v else "-"


def report(name: str, ours: Runs, peer: Runs, peer_name: str, goal: str, check: str = "") -> None:
    ratios = [b / a for a, b in zip(ours.wall, peer.wall, strict=False) if a > 0]
    print(f"\n{name}")
    print(f"  reforge   wall s median (min–max) {_stats(ours.wall)}   peak MiB {statistics.median(ours.peak):6.0f}"
          + (f"   FAILED {ours.fails}x" if ours.fails else ""))
    print(f"  {peer_name:<9} wall s median (min–max) {_stats(peer.wall)}   peak MiB {statistics.median(peer.peak):6.0f}"
          + (f"   FAILED {peer.fails}x" if peer.fails else ""))
    if ratios:
        print(f"  speed-up {peer_name}/reforge: median {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x) over {len(ratios)} pairs; {goal}")
    if check:
        print(f"  {check}")


def reforge_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "reforge"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reforge.cli.main"]


def write_panel(path: Path, rows: int) -> None:
    from policy_bench import make_panel
    make_panel(rows, 10).rename(columns={"id": "unit", "year": "period", "g": "cohort"}).to_csv(path, index=False)


def write_io_table(path: Path, n: int) -> None:
    """A 1-region table in the Reforge CSV layout (sectors, final demand hh/ex, value_added row)."""
    import numpy as np
    import pandas as pd
    from sectors_bench import make_table
    Z, Y, _x, va = make_table(n)
    codes = [f"s{i:05d}" for i in range(n)]
    df = pd.DataFrame(np.hstack([Z, Y]), index=codes, columns=[*codes, "hh", "ex"])
    df.loc["value_added"] = [*va, 0.0, 0.0]
    df.index.name = "code"
    df.to_csv(path, float_format="%.10g")


def make_db(path: Path) -> None:
    """A small demo database for ``status`` (an empty schema if the demo cannot be built)."""
    p = subprocess.run([*reforge_cmd(), "demo", "--firms", "2000", "--seed", "7", "--db", str(path)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        path.unlink(missing_ok=True)
        from reforge.engine import DuckDBEngine
        from reforge.schema import ensure_schema
        with DuckDBEngine(path) as e:
            ensure_schema(e)
        print("  (demo build failed; status runs on an empty schema)")


def make_input(kind: str, path: Path, size: int) -> None:
    """Build an input in a child process: the parent stays small, so that the peak memory of the
    processes it starts (which Linux counts from the fork) is their own."""
    subprocess.run([sys.executable, __file__, "--make", kind, str(path), str(size)], check=True)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--make":
        kind, path, size = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        {"panel": write_panel, "io": write_io_table, "db": lambda p, _n: make_db(p)}[kind](path, size)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick_env = bool(os.environ.get("BENCH_QUICK"))
    ap.add_argument("--quick", action="store_true", default=quick_env, help="small sizes, 3 runs")
    ap.add_argument("--only", nargs="*", choices=CASES, help="cases to run (default: all)")
    ap.add_argument("--runs", type=int, default=None, help="counted runs per command (default 5, quick 3)")
    ap.add_argument("--rows", type=int, default=None, help="panel rows (default 1,000,000; quick 100,000)")
    ap.add_argument("--sectors", type=int, default=None, help="IO table size (default 1,000; quick 300)")
    ap.add_argument("--firms", type=int, default=None, help="national demo size for simulate (default 1,000,000; "
                                                          "quick 20,000)")
    ap.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    a = ap.parse_args()
    runs = a.runs or int(os.environ.get("PROCESS_BENCH_RUNS", 3 if a.quick else 5))
    rows = a.rows or int(os.environ.get("PROCESS_BENCH_ROWS", 100_000 if a.quick else 1_000_000))
    n_sec = a.sectors or int(os.environ.get("PROCESS_BENCH_SECTORS", 300 if a.quick else 1000))
    n_firms = a.firms or int(os.environ.get("PROCESS_BENCH_FIRMS", 20_000 if a.quick else 1_000_000))
    only = a.only or list(CASES)
    ref = reforge_cmd()
    py = sys.executable
    print(f"whole-process timings, {runs} counted runs each after a warm-up, alternating with the peer; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="process_bench_") as d:
        tmp = Path(d)
        (tmp / "csdid_peer.py").write_text(CSDID_PEER)
        (tmp / "pymrio_peer.py").write_text(PYMRIO_PEER)
        if {"did", "did-cov"} & set(only):
            panel = tmp / "panel.csv"
            make_input("panel", panel, rows)
            for cov in (False, True):
                if ("did-cov" if cov else "did") not in only:
                    continue
                ours_cmd = [*ref, "policy", "did", str(panel), "--unit", "unit", "--time", "period", "--group",
                            "cohort", "--outcome", "y", "--control", "never", "--format", "json",
                            *(["--covariates", "x1,x2"] if cov else [])]
                peer_cmd = [py, str(tmp / "csdid_peer.py"), str(panel), "1" if cov else "0"]
                o, p = compare(ours_cmd, peer_cmd, runs, tmp, a.timeout)
                check = ""
                try:
                    ours_d, peer_d = json.loads(o.out), json.loads(p.out.strip().splitlines()[-1])
                    diff = max(abs(ours_d["aggregate"][k]["att"] - peer_d[k])
                               for k in ("simple", "group", "calendar", "dynamic"))
                    check = f"same answer: max |Δ overall ATT| over the 4 aggregations = {diff:.1e}"
                except (ValueError, KeyError, IndexError) as e:
                    check = f"could not compare the answers ({type(e).__name__})"
                report(f"policy did, {rows:,} rows ({rows // 10:,} units x 10 periods), "
                       f"{'2 covariates' if cov else 'no covariates'}: " + " ".join(ours_cmd[len(ref):]).replace(
                           str(panel), "panel.csv"), o, p, "csdid", f"goal >= {5 if cov else 2}x", check)
        if "sectors" in only:
            table = tmp / "io.csv"
            make_input("io", table, n_sec)
            ours_cmd = [*ref, "sectors", "analyze", str(table), "--format", "json"]
            o, p = compare(ours_cmd, [py, str(tmp / "pymrio_peer.py"), str(table)], runs, tmp, a.timeout)
            check = ""
            try:
                m0 = json.loads(o.out)["sectors"][0]["output_multiplier"]
                p0 = json.loads(p.out.strip().splitlines()[-1])["multiplier_0"]
                check = f"same answer: |Δ output multiplier of sector 0| = {abs(m0 - p0):.1e}"
            except (ValueError, KeyError, IndexError) as e:
                check = f"could not compare the answers ({type(e).__name__})"
            report(f"sectors analyze, {n_sec:,} sectors (reforge also runs the hypothetical extraction of every "
                   "sector; pymrio calc_all with Ghosh)", o, p, "pymrio", "no goal set", check)
        if "simulate" in only:
            demo_db = tmp / "national.duckdb"
            t0 = time.perf_counter()
            subprocess.run([*ref, "demo", "--firms", str(n_firms), "--db", str(demo_db)], check=True,
                           stdout=subprocess.DEVNULL)
            year = int(subprocess.run([py, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True)"
                                       ".execute('SELECT MAX(year) FROM supply_links').fetchone()[0])",
                                       str(demo_db)], check=True, capture_output=True, text=True).stdout)
            print(f"\n(national demo database of {n_firms:,} firms built in {time.perf_counter() - t0:.0f} s; "
                  f"simulating year {year})")
            (tmp / "nx_peer.py").write_text(NX_PEER)
            ours_cmd = [*ref, "chain", "simulate", "--db", str(demo_db), "--remove-country", "JP",
                        "--year", str(year), "--loss-threshold", "0.5", "--format", "json"]
            peer_cmd = [py, str(tmp / "nx_peer.py"), str(demo_db), str(year), "JP", "0.5", str(HERE)]
            o, p = compare(ours_cmd, peer_cmd, runs, tmp, a.timeout)
            check = ""
            try:
                ours_d, peer_d = json.loads(o.out), json.loads(p.out.strip().splitlines()[-1])
                same = sorted(ours_d["disrupted_firms"]) == peer_d["disrupted"]
                check = (f"same answer: {'yes' if same else 'NO'} ({ours_d['disrupted_firms_count']:,} disrupted "
                         f"firms; networkx {len(peer_d['disrupted']):,})")
            except (ValueError, KeyError, IndexError) as e:
                check = f"could not compare the answers ({type(e).__name__})"
            report(f"chain simulate --remove-country JP, {n_firms:,}-firm national demo database (networkx: "
                   "read the year's links from the same DuckDB file, build the DiGraph, cascade)", o, p, "networkx",
                   "no goal set", check)
        if {"help", "status"} & set(only):
            typer_cmd = [py, "-c", "import typer"]
            if "help" in only:
                o, p = compare([*ref, "--help"], typer_cmd, runs, tmp, a.timeout)
                report("reforge --help vs python -c 'import typer'", o, p, "typer",
                       f"goal reforge < 0.3 s: {'met' if statistics.median(o.wall) < 0.3 else 'NOT met'}")
            if "status" in only:
                db = tmp / "demo.duckdb"
                make_input("db", db, 0)
                o, p = compare([*ref, "status", "--db", str(db)], typer_cmd, runs, tmp, a.timeout)
                report("reforge status (2,000-firm demo) vs python -c 'import typer'", o, p, "typer",
                       f"goal reforge < 0.6 s: {'met' if statistics.median(o.wall) < 0.6 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
