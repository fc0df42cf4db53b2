"""Benchmark: demo province generation (reforge.demo.generate.build_tables).

Prints wall time, peak memory (RSS high-water mark of this process) and rows per
table for each size, and the ratio against a named peer measured side by side in the
same run: Faker (the usual synthetic-data library), generating only the enterprise
names, USCC-like codes and founding dates row by row for the same number of firms
(capped by --peer-max and scaled linearly above the cap, stated in the output).

    python bench/demo_bench.py                      # 20000 and 200000 firms (issue targets: 20k < 60 s, 1M < 15 min)
    python bench/demo_bench.py --sizes 1000000      # the 1M target
    python bench/demo_bench.py --national --sizes 1000000,2000000   # issue 20: bounded memory

``--national`` runs whole processes instead, one after the other, and prints each one's wall time
and peak RSS (largest resident set of the process and its children): ``reforge demo --firms N
--to-parquet DIR`` (the sharded warehouse) and ``reforge demo --firms N --db FILE`` (the same shards
bulk-loaded into DuckDB); with ``--peer-max M``, for N <= M also the in-memory generator
(``build_tables(N)`` in one process, the path every demo took before) as the peer.
    DEMO_BENCH_SIZES=2000 python bench/demo_bench.py --peer-max 2000   # quick
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def faker_firms(n: int) -> float:
    """Seconds Faker needs for n (name, code, date) rows, one Python call per row."""
    from faker import Faker
    fk = Faker("zh_CN")
    Faker.seed(7)
    t0 = time.perf_counter()
    rows = [(fk.company(), fk.bothify("91######?########"), fk.date_between("-40y", "-1y")) for _ in range(n)]
    assert len(rows) == n
    return time.perf_counter() - t0


def reforge_firms(n: int, seed: int) -> float:
    """Seconds for the enterprise step of the generator alone (same fields as the Faker peer)."""
    import numpy as np

    from reforge.demo.firms import make_enterprises
    from reforge.demo.names import enterprise_names
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    f = make_enterprises(rng, n)
    names = enterprise_names(rng, f.table.attrs["place"], f.chain, np.zeros(n, dtype=bool))
    assert len(names) == n
    return time.perf_counter() - t0


def run_process(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MiB of the process and its waited-for children, exit code) of ``cmd``."""
    import subprocess
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def national(sizes: list[int], seed: int, peer_max: int) -> None:
    """Whole-process wall time and peak memory of the sharded demo (see the module doc)."""
    import shutil
    import sys
    import tempfile
    from pathlib import Path
    exe = str(Path(sys.executable).with_name("reforge"))
    for n in sizes:
        d = Path(tempfile.mkdtemp(prefix="demo_bench_"))
        try:
            runs = [("to-parquet", [exe, "demo", "--firms", str(n), "--seed", str(seed), "--to-parquet",
                                    str(d / "wh"), "--format", "json"]),
                    ("duckdb", [exe, "demo", "--firms", str(n), "--seed", str(seed), "--db", str(d / "demo.duckdb"),
                                "--format", "json"])]
            if n <= peer_max:
                runs.append(("peer: build_tables in memory",
                             [sys.executable, "-c", f"from reforge.demo.generate import build_tables; "
                                                    f"build_tables({n}, {seed})"]))
            for label, cmd in runs:
                wall, peak, rc = run_process(cmd)
                print(f"national demo n_firms={n:,} {label}: {wall:,.0f} s wall, peak RSS {peak:,.0f} MiB"
                      + ("" if rc == 0 else f", FAILED (exit {rc})"), flush=True)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=os.environ.get("DEMO_BENCH_SIZES", "20000,200000"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--peer-max", type=int, default=50_000)
    ap.add_argument("--national", action="store_true", help="whole processes of the sharded demo (issue 20)")
    a = ap.parse_args()
    if a.national:
        national([int(x) for x in a.sizes.split(",")], a.seed, a.peer_max)
        return
    from reforge.demo.generate import build_tables
    for n in [int(x) for x in a.sizes.split(",")]:
        t0 = time.perf_counter()
        tables = build_tables(n, a.seed)
        secs = time.perf_counter() - t0
        rows = sum(len(v) for v in tables.values())
        print(f"reforge build_tables n_firms={n:,}: {secs:.1f} s, peak RSS {peak_mb():,.0f} MB, {rows:,} rows in "
              f"{len(tables)} tables")
        for k in ("enterprises", "enterprise_years", "supply_links", "credit_records", "defaults", "designations"):
            print(f"    {k:18s} {len(tables[k]):>12,}")
        del tables
        es = reforge_firms(n, a.seed)
        print(f"reforge enterprises only (codes with check digits, places, names, dates), n={n:,}: {es:.2f} s")
        m = min(n, a.peer_max)
        ps = faker_firms(m) * n / m
        note = "" if m == n else f" (measured on {m:,} rows, scaled x{n / m:.0f})"
        print(f"peer Faker zh_CN, enterprises only (name, code, date), n={n:,}: {ps:.1f} s{note}")
        print(f"ratio Faker / reforge, enterprises only: {ps / es:.1f}x; "
              f"Faker enterprises only / reforge all 24 tables: {ps / secs:.2f}x")


if __name__ == "__main__":
    main()
