"""``register_file``: a panel file becomes an engine table without a pandas round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.policy import att_gt
from reforge.policy.source import register_file
from tests.conftest import FIXTURES

MPDTA = FIXTURES / "policy" / "mpdta.csv"


def test_csv_is_parsed_once_into_the_engine(tmp_path):
    """The CSV is read into the engine once: results no longer depend on the file."""
    src = tmp_path / "it's a panel.csv"  # a quote in the path
    src.write_bytes(MPDTA.read_bytes())
    ref = pd.read_csv(MPDTA)
    with DuckDBEngine() as e:
        register_file(e, src, "panel")
        src.unlink()  # a lazily read view would fail from here on
        assert e.count("panel") == len(ref)
        got = e.fetch_df("SELECT SUM(lemp) AS s, COUNT(DISTINCT countyreal) AS u FROM panel").iloc[0]
        assert got["s"] == pytest.approx(ref["lemp"].sum(), rel=1e-12)
        assert got["u"] == ref["countyreal"].nunique()
        r = att_gt(e, "panel", unit="countyreal", time="year", group="first.treat", outcome="lemp")
        assert round(r.to_dict()["aggregate"]["simple"]["att"], 4) == -0.0400


def test_parquet_and_tsv_give_the_same_table(tmp_path):
    ref = pd.read_csv(MPDTA)
    pq, tsv = tmp_path / "p.parquet", tmp_path / "p.tsv"
    ref.to_parquet(pq)
    ref.to_csv(tsv, sep="\t", index=False)
    with DuckDBEngine() as e:
        register_file(e, pq, "a")
        register_file(e, tsv, "b")
        diff = e.fetch_scalar("SELECT COUNT(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)")
        assert diff == 0 and e.count("a") == e.count("b") == len(ref)


def test_bad_files_are_user_errors(tmp_path):
    with DuckDBEngine() as e:
        with pytest.raises(ReforgeError, match="does not exist"):
            register_file(e, tmp_path / "none.csv", "x")
        with pytest.raises(ReforgeError, match="unsupported file type"):
            register_file(e, _touch(tmp_path / "a.xlsx"), "x")
        with pytest.raises(ReforgeError, match="invalid table name"):
            register_file(e, MPDTA, "x; DROP TABLE y")
        broken = tmp_path / "broken.parquet"
        broken.write_bytes(b"not parquet")
        with pytest.raises(ReforgeError, match="cannot read"):
            register_file(e, broken, "x")


def _touch(p):
    p.write_text("")
    return p
