"""Benchmark: Reforge att_gt (DuckDB, set-based) vs csdid, side by side in one run.

ATT(g,t) + all four aggregations with analytic SEs on balanced panels (5 cohorts +
never treated, T periods), without and with 2 covariates. Each measurement runs in
a fresh subprocess so that its peak RSS (memory) is its own.

    python bench/policy_bench.py                       # sizes from POLICY_BENCH_SIZES or 1000000
    python bench/policy_bench.py --sizes 1000000,10000000 --skip-csdid-above 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COHORTS = [0, 3, 4, 5, 6, 8]          # offsets from the first year; 0 = never treated


def make_panel(rows: int, periods: int, seed: int = 1) -> pd.DataFrame:
    """Balanced panel with ``rows`` firm-years: 5 cohorts + never treated, 2 covariates, dynamic effect."""
    n = rows // periods
    rng = np.random.default_rng(seed)
    t0 = 2011
    years = np.arange(t0, t0 + periods)
    off = rng.choice(COHORTS, size=n, p=[0.4, 0.12, 0.12, 0.12, 0.12, 0.12])
    g = np.where(off > 0, t0 + off, 0)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(size=n)
    a = rng.normal(size=n)
    tt = np.tile(years, n)
    gg = np.repeat(g, periods)
    te = np.where((gg > 0) & (tt >= gg), 0.5 + 0.1 * (tt - gg), 0.0)
    y = (np.repeat(a + 0.5 * x2, periods) + 0.1 * (tt - t0) * (1 + 0.3 * np.repeat(x1, periods)) + te
         + rng.normal(size=n * periods))
    return pd.DataFrame({"id": np.repeat(np.arange(1, n + 1), periods), "year": tt, "g": gg, "y": y,
                         "x1": np.repeat(x1, periods), "x2": np.repeat(x2, periods)})


def run_reforge(path: str, cov: bool) -> dict:
    from reforge.engine import DuckDBEngine
    from reforge.policy import att_gt
    t = time.perf_counter()
    with DuckDBEngine() as e:
        e.execute(f"CREATE TEMP VIEW panel AS SELECT * FROM read_parquet('{path}')")
        r = att_gt(e, "panel", unit="id", time="year", group="g", outcome="y",
                   covariates=["x1", "x2"] if cov else None)
        d = r.to_dict()
    return {"seconds": time.perf_counter() - t, "simple": d["aggregate"]["simple"]["att"],
            "dynamic": d["aggregate"]["dynamic"]["att"]}


def run_csdid(path: str, cov: bool) -> dict:
    from csdid.att_gt import ATTgt
    t = time.perf_counter()
    df = pd.read_parquet(path)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        m = ATTgt(yname="y", tname="year", idname="id", gname="g", data=df,
                  xformla="y ~ x1 + x2" if cov else "y ~ 1").fit(est_method="dr", bstrap=False)
        out = {}
        for kind in ("simple", "group", "calendar", "dynamic"):
            m.aggte(kind)
            out[kind] = float(m.atte["overall_att"])
    return {"seconds": time.perf_counter() - t, "simple": out["simple"], "dynamic": out["dynamic"]}


def worker(impl: str, path: str, cov: bool) -> None:
    """Run one measurement and print JSON with time and peak RSS (MB)."""
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    res = run_reforge(path, cov) if impl == "reforge" else run_csdid(path, cov)
    res["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def measure(impl: str, path: str, cov: bool, timeout: float, repeat: int = 1) -> dict | None:
    """Best time (and largest peak memory) of ``repeat`` fresh-process runs."""
    cmd = [sys.executable, __file__, "--worker", impl, path, "1" if cov else "0"]
    best: dict | None = None
    for _ in range(repeat):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:.0f}s"}
        if p.returncode != 0:
            return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"}
        r = json.loads(p.stdout.strip().splitlines()[-1])
        if best is None:
            best = r
        else:
            best["peak_mb"] = max(best["peak_mb"], r["peak_mb"])
            if r["seconds"] < best["seconds"]:
                best.update(seconds=r["seconds"])
    return best


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=os.environ.get("POLICY_BENCH_SIZES", "1000000"),
                    help="comma-separated firm-year counts (target: 1000000,10000000)")
    ap.add_argument("--periods", type=int, default=int(os.environ.get("POLICY_BENCH_PERIODS", "10")))
    ap.add_argument("--skip-csdid-above", type=int, default=int(os.environ.get("POLICY_BENCH_CSDID_MAX", "2000000")),
                    help="do not run csdid on larger panels")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("POLICY_BENCH_REPEAT", "1")),
                    help="best of N runs per measurement (the machine may be shared)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from rich.console import Console
    from rich.table import Table
    con = Console(width=150)
    tab = Table(title=f"att_gt + 4 aggregations, analytic SEs ({args.periods} periods, 5 cohorts + never)")
    for c in ("firm-years", "covariates", "reforge s", "reforge MB", "csdid s", "csdid MB", "speed-up",
              "max |Δ simple|"):
        tab.add_column(c, justify="right")
    with tempfile.TemporaryDirectory(prefix="policy_bench_") as tmp:
        for rows in sizes:
            path = str(Path(tmp) / f"panel_{rows}.parquet")
            make_panel(rows, args.periods).to_parquet(path)
            for cov in (False, True):
                ours = measure("reforge", path, cov, args.timeout, args.repeat)
                theirs = (measure("csdid", path, cov, args.timeout, args.repeat)
                          if rows <= args.skip_csdid_above else None)
                fmt = lambda r, k, f: ("-" if not r else r.get("error") if "error" in r else f.format(r[k]))  # noqa: E731
                ok = ours and theirs and "error" not in ours and "error" not in theirs
                tab.add_row(f"{rows:,}", "2" if cov else "0", fmt(ours, "seconds", "{:.2f}"),
                            fmt(ours, "peak_mb", "{:.0f}"), fmt(theirs, "seconds", "{:.2f}"),
                            fmt(theirs, "peak_mb", "{:.0f}"),
                            f"{theirs['seconds'] / ours['seconds']:.1f}x" if ok else "-",
                            f"{abs(theirs['simple'] - ours['simple']):.1e}" if ok else "-")
                con.print(f"{rows:,} firm-years, {'2' if cov else 'no'} covariates: reforge {ours}, csdid {theirs}")
    con.print(tab)


if __name__ == "__main__":
    main()
