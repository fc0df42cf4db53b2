"""Backup and restore: every row comes back, and a damaged backup changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reforge.backup import create_backup, restore_backup, verify_backup
from reforge.backup.archive import table_checks
from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from tests.api import smalldb


def _snapshot(path: Path) -> dict[str, pd.DataFrame]:
    """Every stored table, rows sorted, for an exact comparison independent of the checksums."""
    with DuckDBEngine(path, read_only=True) as e:
        out = {}
        for t in e.tables():
            df = e.fetch_df(f'SELECT * FROM "{t}"')
            out[t] = df.sort_values(list(df.columns)).reset_index(drop=True) if len(df) else df
        return out


@pytest.fixture
def small(tmp_path) -> Path:
    return smalldb.build(tmp_path / "src.duckdb")


def test_round_trip_restores_every_row(small, tmp_path):
    before = _snapshot(small)
    man = create_backup(small, tmp_path / "bk")
    assert man.tables["enterprises"].rows == len(smalldb.ENTERPRISES)
    assert set(man.tables) == set(before)
    restore_backup(tmp_path / "bk", tmp_path / "restored.duckdb")
    after = _snapshot(tmp_path / "restored.duckdb")
    assert set(after) == set(before)
    for t in before:
        pd.testing.assert_frame_equal(after[t], before[t], check_dtype=False, obj=t)


def test_duplicate_rows_change_the_checksum(tmp_path):
    """A sum of row hashes (not an XOR), so two equal rows do not cancel out."""
    with DuckDBEngine(tmp_path / "d.duckdb") as e:
        e.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        e.execute("INSERT INTO t VALUES (1, 'x'), (2, NULL)")
        one = table_checks(e)["t"]
        e.execute("INSERT INTO t VALUES (1, 'x'), (1, 'x')")
        three = table_checks(e)["t"]
    assert (one.rows, three.rows) == (2, 4)
    assert one.checksum != three.checksum


def test_damaged_file_is_refused_and_target_untouched(small, tmp_path):
    create_backup(small, tmp_path / "bk")
    pq = next((tmp_path / "bk").glob("enterprises*.parquet"))
    pq.write_bytes(pq.read_bytes()[:-20] + b"\0" * 20)
    with pytest.raises(ReforgeError, match="does not match its checksum"):
        verify_backup(tmp_path / "bk")
    target = tmp_path / "restored.duckdb"
    with pytest.raises(ReforgeError):
        restore_backup(tmp_path / "bk", target)
    assert not target.exists()


def test_manifest_counts_are_checked_after_import(small, tmp_path):
    """A manifest that disagrees with the data (here: one row more claimed) fails the restore
    and leaves an existing target as it was."""
    create_backup(small, tmp_path / "bk")
    mf = tmp_path / "bk" / "manifest.json"
    d = json.loads(mf.read_text())
    d["tables"]["enterprises"]["rows"] += 1
    mf.write_text(json.dumps(d))
    target = tmp_path / "existing.duckdb"
    smalldb.build(target)
    with DuckDBEngine(target) as e:
        e.execute("DELETE FROM indicators")
    before = _snapshot(target)
    with pytest.raises(ReforgeError, match="restore check failed"):
        restore_backup(tmp_path / "bk", target, force=True)
    after = _snapshot(target)
    assert after["indicators"].empty and len(after["enterprises"]) == len(before["enterprises"])


def test_existing_target_needs_force_and_non_empty_folder_refused(small, tmp_path):
    create_backup(small, tmp_path / "bk")
    with pytest.raises(ReforgeError, match="exists"):
        restore_backup(tmp_path / "bk", small)
    with pytest.raises(ReforgeError, match="not empty"):
        create_backup(small, tmp_path / "bk")
    restore_backup(tmp_path / "bk", small, force=True)  # replaces it, same content
    assert _snapshot(small)["enterprises"]["uscc"].tolist() == sorted(smalldb.ENTERPRISES)


def test_cli_backup_restore_json(small, tmp_path):
    exe = [sys.executable, "-m", "reforge.cli.main"]
    out = subprocess.run([*exe, "backup", str(tmp_path / "bk"), "--db", str(small), "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["tables"]["enterprises"]["rows"] == len(smalldb.ENTERPRISES)
    res = subprocess.run([*exe, "restore", str(tmp_path / "bk"), "--db", str(tmp_path / "r.duckdb"),
                          "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["tables"]["enterprises"] == len(smalldb.ENTERPRISES)
    again = subprocess.run([*exe, "restore", str(tmp_path / "bk"), "--db", str(tmp_path / "r.duckdb")],
                           capture_output=True, text=True)
    assert again.returncode == 2 and "exists" in again.stderr
