"""Benchmark: hostile XLSX files are rejected fast and in little memory (issue 19 finding 2).

Goal: each bomb rejected in < 2 s with < 200 MB extra memory. For every file a fresh
child process imports the reforge importer, notes its peak RSS, runs
``import_files(…, "enterprises", [file])`` on a new DuckDB file and reports the time of
that call and how far its peak RSS rose (``resource.getrusage`` ``ru_maxrss``). The CLI
(``reforge import``, a separate process, start-up included) is timed too, with its peak
RSS from ``os.wait4``.

    python bench/import_bombs.py                 # 3,000,000-row bomb (takes a while to write)
    BOMB_ROWS=300000 python bench/import_bombs.py

Files (written to a temporary directory, never committed):
  far.xlsx / far_nodim.xlsx   a few KB, one cell at XFD1048576 (with / without <dimension>)
  rows_bad_header.xlsx        BOMB_ROWS rows, a header the table lacks, no <dimension>
  rows_declared.xlsx          BOMB_ROWS rows under the right header, <dimension> declared (over the
                              row limit only when BOMB_ROWS > 1,048,575: the default)
  ratio.xlsx                  64 MB of whitespace compressed ~1000:1
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.ingest.bombs import far_cell_xlsx, many_rows_xlsx, ratio_bomb_xlsx  # noqa: E402

GOAL_S, GOAL_MB = 2.0, 200
HEADER = ["uscc", "name", "province_code", "industry_code"]

CHILD = r"""
import json, resource, sys, time
from reforge.engine import DuckDBEngine
from reforge.ingest import import_files
from reforge.schema import ensure_schema
with DuckDBEngine(sys.argv[2]) as e:
    ensure_schema(e)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    res = import_files(e, "enterprises", [sys.argv[1]])
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
codes = sorted({x["code"] for x in res.errors})
print(json.dumps({"seconds": dt, "extra_mb": (rss1 - rss0) / 1024, "peak_mb": rss1 / 1024,
                  "ok": res.ok, "codes": codes}))
"""


def in_process(path: Path, db: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(path), str(db)], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def cli(path: Path, db: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of ``reforge import enterprises FILE``."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "reforge.cli.main", "import", "enterprises", str(path),
                          "--db", str(db), "--format", "json"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    _, status, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    n = int(os.environ.get("BOMB_ROWS", "3000000"))
    with tempfile.TemporaryDirectory(prefix="reforge-bombs-") as d:
        d = Path(d)
        t0 = time.perf_counter()
        files = {
            "far.xlsx": far_cell_xlsx(d / "far.xlsx", HEADER, [["x"] * 4]),
            "far_nodim.xlsx": far_cell_xlsx(d / "far_nodim.xlsx", HEADER, [["x"] * 4], dimension=False),
            "rows_bad_header.xlsx": many_rows_xlsx(d / "rows_bad_header.xlsx", ["a", "b"], n, dimension=False),
            "rows_declared.xlsx": many_rows_xlsx(d / "rows_declared.xlsx", HEADER, n),
            "ratio.xlsx": ratio_bomb_xlsx(d / "ratio.xlsx", HEADER, pad_mb=64),
        }
        print(f"wrote the files in {time.perf_counter() - t0:.1f} s (BOMB_ROWS={n:,})")
        small = d / "small.csv"
        small.write_text("uscc,name,province_code,industry_code\n", encoding="utf-8")
        base_wall, base_rss, _ = cli(small, d / "base.duckdb")
        print(f"CLI baseline (header-only CSV): {base_wall:.2f} s, peak {base_rss:.0f} MB\n")
        print(f"{'file':<22}{'size':>10}{'import s':>10}{'extra MB':>10}{'CLI s':>8}{'CLI MB':>8}  "
              f"{'rejected with':<32}goal")
        for i, (name, f) in enumerate(files.items()):
            r = in_process(f, d / f"p{i}.duckdb")
            wall, rss, code = cli(f, d / f"c{i}.duckdb")
            ok = (not r["ok"]) and code == 2 and r["seconds"] < GOAL_S and r["extra_mb"] < GOAL_MB
            size = f.stat().st_size
            print(f"{name:<22}{size / 1e6:>9.2f}M{r['seconds']:>10.3f}{r['extra_mb']:>10.1f}{wall:>8.2f}"
                  f"{rss - base_rss:>+8.0f}  {','.join(r['codes']):<32}{'met' if ok else 'MISSED'}")
        print(f"\ngoal: rejected (exit 2) in < {GOAL_S:.0f} s with < {GOAL_MB} MB extra memory "
              "(import s / extra MB: the importer call in a warm process; CLI: whole process vs baseline)")


if __name__ == "__main__":
    main()
