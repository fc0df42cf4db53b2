"""The stored text index: incremental refreshes equal a rebuild, only changed texts are
tokenised again, reading never writes, stale documents are tokenised on the fly, an import of
texts refreshes a stored index, and the CLI face."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.match.index import DOCS, TERMS, index_source, refresh_index
from reforge.match.shortlist import shortlist
from reforge.match.text import tokens
from tests.match.dbfile import planted_db


def _terms(e: DuckDBEngine, mode: str = "both") -> pd.DataFrame:
    return e.fetch_df(f"SELECT kind, doc_id, term, tf FROM {TERMS} WHERE mode = $m ORDER BY kind, doc_id, term",
                      {"m": mode})


def _expected(e: DuckDBEngine, mode: str = "both") -> pd.DataFrame:
    """Token counts computed here from the current texts (Counter of reforge.match.text.tokens)."""
    rows = []
    for kind, doc_id, text in e.fetch_rows(
            "SELECT 'demand', demand_id, text FROM demands WHERE text IS NOT NULL UNION ALL "
            "SELECT 'offer', offer_id, text FROM offers WHERE provider_type = 'enterprise' AND item_id IS NOT NULL "
            "UNION ALL SELECT 'firm', uscc, main_product FROM enterprises WHERE main_product IS NOT NULL"):
        rows += [(kind, doc_id, t, n) for t, n in Counter(tokens(text, mode)).items()]
    df = pd.DataFrame(rows, columns=["kind", "doc_id", "term", "tf"])
    return df.sort_values(["kind", "doc_id", "term"]).reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_incremental_refresh_equals_a_rebuild(tmp_path):
    db = planted_db(tmp_path / "m.duckdb")
    with DuckDBEngine(db) as e:
        first = refresh_index(e)
        n_docs = 5 + 4 + 11  # demands, enterprise offers on an item, main products
        assert (first.tokenised, first.dropped, first.kept) == (n_docs, 0, 0)
        _same(_terms(e), _expected(e))
        again = refresh_index(e)
        assert (again.tokenised, again.dropped, again.kept, again.terms_written) == (0, 0, n_docs, 0)
        # one offer edited, one demand removed, one main product added, one offer added
        e.execute("UPDATE offers SET text = '谐波减速器，柔轮，寿命一万小时' WHERE offer_id = 'O2'")
        e.execute("DELETE FROM demands WHERE demand_id = 'D3'")
        e.execute("INSERT INTO enterprises (uscc, name, province_code, industry_code, main_product) "
                  "VALUES ('S_NEW', '新厂', '320000', '3484', '精密轴承')")
        e.execute("INSERT INTO offers (offer_id, provider_id, provider_type, item_id, text) "
                  "VALUES ('O6', 'S_NEW', 'enterprise', 'rv_reducer', '轴承与减速器配套')")
        step = refresh_index(e)
        assert (step.tokenised, step.dropped, step.kept) == (3, 2, n_docs - 2)
        _same(_terms(e), _expected(e))
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM {DOCS} WHERE doc_id = 'D3'") == 0
        incremental = _terms(e)
        rebuilt = refresh_index(e, force=True)
        assert rebuilt.tokenised == n_docs + 1 and rebuilt.kept == 0
        _same(_terms(e), incremental)
        # each mode has its own rows
        refresh_index(e, "chars")
        _same(_terms(e, "chars"), _expected(e, "chars"))
        _same(_terms(e), incremental)


def test_reading_never_writes_and_stale_texts_are_tokenised_now(tmp_path):
    db = planted_db(tmp_path / "m.duckdb")
    with DuckDBEngine(db) as e:
        before = shortlist(e, "both", 10)  # no stored index: every text tokenised now
        refresh_index(e)
        e.execute("UPDATE demands SET text = '精密行星减速机' WHERE demand_id = 'D1'")  # the index is now stale
        stored = _terms(e)
    with DuckDBEngine(db, read_only=True) as r:
        with pytest.raises(ReforgeError) as err:
            refresh_index(r)
        assert err.value.code == "engine.read_only"
        names: list[str] = []
        src = index_source(r, "both", names)
        now = r.fetch_df(f"SELECT kind, doc_id, term, tf FROM {src} x ORDER BY kind, doc_id, term")
        _same(now, _expected(r))  # D1's new words, not the stored old ones
        for n in names:
            r.drop(n)
        after = shortlist(r, "both", 10)
        _same(_terms(r), stored)
    # D1 now reads like S_OK2's offer; the other demands are as before
    assert after.loc[(after["demand_id"] == "D1") & (after["text_rank"] == 1), "producer_id"].item() == "S_OK2"
    _same(after[after["demand_id"] != "D1"], before[before["demand_id"] != "D1"])


def test_an_import_of_texts_refreshes_a_stored_index(tmp_path):
    from reforge.ingest.load import import_tables
    db = planted_db(tmp_path / "m.duckdb")
    csv = tmp_path / "offers.csv"
    csv.write_text("offer_id,provider_id,provider_type,item_id,text\n"
                   "O9,S_OK2,enterprise,rv_reducer,摆线针轮减速机 高刚性\n", encoding="utf-8")
    with DuckDBEngine(db) as e:
        refresh_index(e, "ngrams")
        res = import_tables(e, {"offers": [(str(csv), csv)]}, mode="append", actor="test")
        assert res.ok
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM {DOCS} WHERE mode = 'ngrams' AND doc_id = 'O9'") == 1
        _same(_terms(e, "ngrams"), _expected(e, "ngrams"))
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM {DOCS} WHERE mode = 'both'") == 0  # no index of that mode


def test_cli_index(tmp_path):
    from tests.match.test_cli import run
    db = planted_db(tmp_path / "m.duckdb")
    r = run("index", "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("mode", "tokenised", "dropped", "kept")} == {
        "mode": "both", "tokenised": 20, "dropped": 0, "kept": 0}
    assert out["terms_written"] > 50
    r = run("index", "--db", str(db), "--lang", "zh")
    assert r.returncode == 0 and "未变 20 条" in r.stdout, r.stderr
    r = run("index", "--db", str(db), "--mode", "nonsense")
    assert r.returncode != 0 and "nonsense" in r.stderr and "Traceback" not in r.stderr
    import os
    with DuckDBEngine(db):  # another process writes: after REFORGE_WAIT seconds a clear error, no traceback
        r = run("index", "--db", str(db), env={**os.environ, "REFORGE_WAIT": "1"})
    assert r.returncode != 0 and "Traceback" not in r.stderr and r.stderr.strip()


def test_cli_index_beside_a_running_server(tmp_path):
    """The server lets go of the file for the index's write (the write request of engine.sharing)
    and serves again afterwards."""
    import urllib.request

    from reforge.cli.serve import create_demo_accounts
    from tests.api.server import running_server
    from tests.match.test_cli import run
    db = planted_db(tmp_path / "m.duckdb")
    create_demo_accounts(db)
    with running_server(db) as url:
        r = run("index", "--db", str(db), "--format", "json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["tokenised"] == 20
        with urllib.request.urlopen(url + "/api/v1/health", timeout=30) as resp:
            assert resp.status == 200
    with DuckDBEngine(db, read_only=True) as e:
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM {DOCS}") == 20
