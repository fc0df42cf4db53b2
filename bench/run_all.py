"""Run every benchmark script in bench/ (``make bench``), each printing its own figures
and ratios against its named peer. Sizes come from environment variables that each
script documents; ``BENCH_QUICK=1`` runs all of them at small sizes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# BENCH_QUICK=1: small sizes for a smoke run (each can still be overridden by its own variable)
QUICK = {"CHAIN_BENCH_FIRMS": "20000", "CHAIN_BENCH_LINKS": "200000", "CREDIT_BENCH_N": "20000",
         "DEMO_BENCH_SIZES": "2000,20000", "FIRMS_BENCH_N": "20000", "POLICY_BENCH_SIZES": "100000",
         "SECTORS_BENCH_N": "300"}


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*_bench.py"))
    only = sys.argv[1:]
    failed = 0
    for s in scripts:
        if only and not any(o in s.name for o in only):
            continue
        print(f"\n=== {s.name} ===", flush=True)
        t0 = time.perf_counter()
        env = os.environ.copy()
        if env.get("BENCH_QUICK"):
            env = {**QUICK, **env}
        r = subprocess.run([sys.executable, str(s)], env=env)
        print(f"--- {s.name}: exit {r.returncode}, {time.perf_counter() - t0:.1f} s wall", flush=True)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
