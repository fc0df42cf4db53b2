"""kill -9 in the middle of a 1M-row import leaves the database as it was, and readable."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from reforge.engine import DuckDBEngine
from reforge.ingest import import_tables
from reforge.schema.tables import DATA_TABLES
from tests.synth import enterprise_years, enterprises

DRIVER = textwrap.dedent("""
    import sys
    from reforge.engine import DuckDBEngine
    from reforge.ingest import import_files
    def tick(msg, frac):
        print(msg, flush=True)
    with DuckDBEngine(sys.argv[1]) as e:
        res = import_files(e, "enterprise_years", [sys.argv[2]], progress=tick)
    print("finished", res.ok, flush=True)
""")


@pytest.mark.slow
def test_sigkill_during_write_loses_nothing(tmp_path):
    db = tmp_path / "k.duckdb"
    ent = enterprises(100_000, seed=1)
    with DuckDBEngine(db) as e:
        assert import_tables(e, {"enterprises": [("e", ent)],
                                 "enterprise_years": [("y", enterprise_years(ent.iloc[:1000], range(2014, 2015)))]}).ok
        before = {t: e.count(t) for t in DATA_TABLES}
        checksum = e.fetch_scalar("SELECT SUM(revenue) FROM enterprise_years")
    big = enterprise_years(ent, range(2015, 2025), seed=2)  # 1,000,000 rows
    assert len(big) >= 1_000_000
    f = tmp_path / "big.parquet"
    big.to_parquet(f, index=False)
    (tmp_path / "driver.py").write_text(DRIVER)
    p = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(db), str(f)],
                         stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in p.stdout:
        seen.append(line.strip())
        if line.startswith("writing"):
            break
    assert "writing" in seen, seen
    time.sleep(0.3)  # inside the INSERT of 1M rows
    assert p.poll() is None, "the import finished before it could be killed"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    with DuckDBEngine(db) as e:  # reopens (replaying/discarding the WAL) and reads
        after = {t: e.count(t) for t in DATA_TABLES}
        assert after == before
        assert e.fetch_scalar("SELECT SUM(revenue) FROM enterprise_years") == checksum
        # and the database still takes the same import afterwards
        res = import_tables(e, {"enterprise_years": [("big", big.iloc[:5000])]})
        assert res.ok and e.count("enterprise_years") == before["enterprise_years"] + 5000
