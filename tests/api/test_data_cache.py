"""The server's analysis cache (Database.data_cached) survives writes that change no analysed
table — an audit row of a rejected upload, a login — and is recomputed after a data change,
including a change made by another process (a CLI import) while the server runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reforge.api.db import Database
from reforge.engine import DuckDBEngine
from tests.api import smalldb


@pytest.fixture
def served(tmp_path) -> Path:
    return smalldb.build(tmp_path / "served.duckdb")


def test_cache_kept_by_audit_writes_and_dropped_by_data_writes(served):
    d = Database(served, poll=0.05)
    calls: list[int] = []

    def count_firms(e) -> int:
        calls.append(1)
        return e.fetch_scalar("SELECT COUNT(*) FROM enterprises")

    def page() -> int:
        with d.reader() as e:
            return d.data_cached(e, ("firms",), lambda: count_firms(e))

    try:
        n = page()
        assert n == len(smalldb.ENTERPRISES) and len(calls) == 1
        assert page() == n and len(calls) == 1  # memoised
        with d.writer() as w:  # what a rejected upload leaves behind: one audit row
            w.execute("INSERT INTO audit_log (id, logged_at, username, action, target, rows, detail) "
                      "VALUES (987654, TIMESTAMP '2026-01-01 00:00:00', 'analyst', 'import_rejected', "
                      "'enterprises', 0, 'bad file')")
        assert d.generation == 1
        assert page() == n and len(calls) == 1  # same data: not recomputed
        with d.writer() as w:  # a data change: recomputed
            w.execute("DELETE FROM enterprises WHERE uscc = ?", [smalldb.ENTERPRISES[0]])
        assert page() == n - 1 and len(calls) == 2
        # a change of the same row count (an update) is a change too
        with d.writer() as w:
            w.execute("UPDATE enterprises SET name = name || 'x' WHERE uscc = ?", [smalldb.ENTERPRISES[1]])
        assert page() == n - 1 and len(calls) == 3
        assert page() == n - 1 and len(calls) == 3
    finally:
        d.close()


def test_failed_results_are_not_kept(served):
    d = Database(served, poll=0.05)
    calls: list[int] = []

    def failing() -> dict:
        calls.append(1)
        return {"ok": False, "error": "busy"}

    try:
        with d.reader() as e:
            for _ in range(2):
                d.data_cached(e, ("x",), failing, keep=lambda v: v.get("ok") is not False)
        assert len(calls) == 2
    finally:
        d.close()


def test_fingerprint_sees_a_write_by_another_connection(served):
    """A server started on a file changed by another process computes a different fingerprint
    (within one server, writes by other processes bump the generation through the watcher)."""
    d = Database(served, poll=0.05)
    try:
        with d.reader() as e:
            before = d.data_fingerprint(e)
        d.close()
        with DuckDBEngine(served, read_only=False) as w:
            w.execute("DELETE FROM supply_links WHERE value < 0 OR value >= 0")
        d = Database(served, poll=0.05)
        with d.reader() as e:
            after = d.data_fingerprint(e)
        assert before != after and "supply_links:0:" in after
    finally:
        d.close()


def _page(d: Database, calls: list[int], persist: bool = True) -> dict:
    def compute(e) -> dict:
        calls.append(1)
        return {"ok": True, "data": {"firms": e.fetch_scalar("SELECT COUNT(*) FROM enterprises"), "名": "江苏"}}

    with d.reader() as e:
        return d.data_cached(e, ("firms", 2024), lambda: compute(e), persist=persist)


def test_persisted_results_survive_a_restart_and_not_a_data_change(served):
    """A persisted result is served by a restarted server without recomputing; after a change
    of the data by another process (a CLI write while no server ran) it is recomputed."""
    calls: list[int] = []
    d = Database(served, poll=0.05)
    try:
        first = _page(d, calls)
    finally:
        d.close()
    assert len(calls) == 1 and first["data"]["firms"] == len(smalldb.ENTERPRISES)
    assert len(list(Path(str(served) + ".results").glob("*.json"))) == 1
    d = Database(served, poll=0.05)
    try:
        assert _page(d, calls) == first and len(calls) == 1  # from disk: not recomputed
        assert _page(d, calls, persist=False) == first and len(calls) == 1  # and now in memory
    finally:
        d.close()
    with DuckDBEngine(served, read_only=False) as w:
        w.execute("DELETE FROM enterprises WHERE uscc = ?", [smalldb.ENTERPRISES[0]])
    d = Database(served, poll=0.05)
    try:
        assert _page(d, calls)["data"]["firms"] == len(smalldb.ENTERPRISES) - 1 and len(calls) == 2
    finally:
        d.close()


def test_result_store_ignores_other_code_torn_files_and_values_it_cannot_store(tmp_path, monkeypatch):
    from reforge.api import result_store
    from reforge.api.result_store import ResultStore
    s = ResultStore(tmp_path / "x.duckdb.results")
    assert s.get(("a",), "fp1") == (False, None)
    assert s.put(("a",), "fp1", {"v": [1, 2.5, None, "长三角"]})
    assert s.get(("a",), "fp1") == (True, {"v": [1, 2.5, None, "长三角"]})
    assert s.get(("a",), "fp2") == (False, None)  # other data
    assert s.get(("b",), "fp1") == (False, None)  # other key
    monkeypatch.setattr(result_store, "code_stamp", lambda: "other code")
    assert s.get(("a",), "fp1") == (False, None)  # other code
    monkeypatch.undo()
    f = next(s.dir.glob("*.json"))
    f.write_text(f.read_text(encoding="utf-8")[:20], encoding="utf-8")  # torn
    assert s.get(("a",), "fp1") == (False, None)
    assert not s.put(("c",), "fp1", {"v": object()}) and not s.put(("c",), "fp1", float("nan"))
    assert s.put(("a",), "fp1", 7) and s.get(("a",), "fp1") == (True, 7)
    assert [p.name for p in s.dir.iterdir() if p.name.startswith(".tmp-")] == []
    assert ResultStore.for_database(":memory:") is None


def test_result_store_keeps_the_most_recent_results(tmp_path, monkeypatch):
    """Beyond ``MAX_FILES`` results the least recently written go, down to 80 % of the limit."""
    import os

    from reforge.api import result_store
    from reforge.api.result_store import ResultStore
    monkeypatch.setattr(result_store, "MAX_FILES", 10)
    s = ResultStore(tmp_path / "x.duckdb.results")
    for i in range(10):
        assert s.put(("day", i), "fp", i)
        os.utime(s._file(("day", i)), (1_000_000 + i, 1_000_000 + i))  # written in order
    assert len(list(s.dir.glob("*.json"))) == 10
    assert s.put(("day", 10), "fp", 10)  # the 11th: the 3 oldest go, 8 are left
    kept = [i for i in range(11) if s.get(("day", i), "fp")[0]]
    assert kept == [3, 4, 5, 6, 7, 8, 9, 10]


def test_a_page_does_not_wait_for_its_result_to_be_written(served, monkeypatch):
    """``data_cached(persist=True)`` returns while the store is still writing; ``flush`` (and the
    server's close) waits for the write, after which a restarted server reads the result back."""
    import threading

    from reforge.api.result_store import ResultStore
    release, writing = threading.Event(), threading.Event()
    put = ResultStore.put

    def slow_put(self, key, fingerprint, value):
        writing.set()
        assert release.wait(10), "the test never released the writer"
        return put(self, key, fingerprint, value)

    monkeypatch.setattr(ResultStore, "put", slow_put)
    calls: list[int] = []
    d = Database(served, poll=0.05)
    try:
        first = _page(d, calls)  # returns although the write is held back
        assert writing.wait(10) and len(calls) == 1
        assert list(Path(str(served) + ".results").glob("*.json")) == []
        assert not d.store.flush(timeout=0.05)
        release.set()
        assert d.store.flush(timeout=10)
        assert len(list(Path(str(served) + ".results").glob("*.json"))) == 1
    finally:
        release.set()
        d.close()
    d = Database(served, poll=0.05)
    try:
        assert _page(d, calls) == first and len(calls) == 1  # read back, not recomputed
    finally:
        d.close()


def test_results_queued_from_many_threads_are_all_written(tmp_path):
    """The writer thread stops when its queue is empty and starts again on the next result; a
    value that cannot be stored (not JSON-ready) is logged and skipped, the others are written."""
    import threading

    from reforge.api.result_store import ResultStore
    s = ResultStore(tmp_path / "x.duckdb.results")

    def queue(k: int) -> None:
        for i in range(25):
            s.put_later(("t", k, i), "fp", {"k": k, "i": i, "名": "江苏"})

    threads = [threading.Thread(target=queue, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    s.put_later(("bad",), "fp", {"v": object()})
    for t in threads:
        t.join()
    assert s.flush(timeout=30)
    assert all(s.get(("t", k, i), "fp") == (True, {"k": k, "i": i, "名": "江苏"}) for k in range(4) for i in range(25))
    assert s.get(("bad",), "fp") == (False, None)
    s.put_later(("again",), "fp", 1)  # a new writer after the first one ended
    assert s.flush(timeout=10) and s.get(("again",), "fp") == (True, 1)


def test_results_are_written_when_no_request_holds_the_file(served):
    """The store's writer waits while a request reads (encoding would slow it down) and writes once
    the file has been free for ``STORE_SETTLE`` seconds."""
    import time

    from reforge.api import db as dbmod
    d = Database(served, poll=0.05)
    files = Path(str(served) + ".results")
    try:
        with d.reader() as e:
            d.data_cached(e, ("held",), lambda: {"n": 1}, persist=True)
            time.sleep(dbmod.STORE_SETTLE + 0.3)
            assert not list(files.glob("*.json"))  # still queued: a request holds the file
        t0 = time.monotonic()
        assert d.store.flush(timeout=10)
        assert time.monotonic() - t0 >= dbmod.STORE_SETTLE * 0.9  # after a moment without requests
        assert d.store.get(("held",), d._fingerprint[1]) == (True, {"n": 1})
        assert d._gate.acquire_shared(1)
        assert not d._gate.wait_idle(0.0, 0.05)  # a request holds the file
        d._gate.release_shared()
        assert not d._gate.wait_idle(0.5, 0.1)  # just released: not settled yet
        assert d._gate.wait_idle(0.05, 5)
    finally:
        d.close()


def test_a_result_asked_for_while_it_is_computed_is_computed_once(served):
    """Two requests (or a request and the warm-up) asking for the same result at once: the second
    waits for the first one's result instead of computing it again; an error reaches both."""
    import threading

    d = Database(served, poll=0.05)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute() -> dict:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return {"n": len(calls)}

    got: list = []

    def ask() -> None:
        with d.reader() as e:
            got.append(d.data_cached(e, ("once",), compute))

    try:
        first = threading.Thread(target=ask)
        first.start()
        assert started.wait(10)
        second = threading.Thread(target=ask)
        second.start()
        second.join(0.3)
        assert second.is_alive()   # waiting for the first caller's result, not computing
        release.set()
        first.join(10)
        second.join(10)
        assert calls == [1] and got == [{"n": 1}, {"n": 1}] and got[0] is got[1]
        assert not d._flights

        def broken() -> dict:
            started.set()
            assert release.wait(10)
            raise RuntimeError("analysis failed")

        started.clear()
        release.clear()
        errors: list[str] = []

        def ask_broken() -> None:
            try:
                with d.reader() as e:
                    d.data_cached(e, ("broken",), broken)
            except RuntimeError as err:
                errors.append(str(err))

        threads = [threading.Thread(target=ask_broken)]
        threads[0].start()
        assert started.wait(10)
        threads.append(threading.Thread(target=ask_broken))
        threads[1].start()
        threads[1].join(0.3)
        release.set()
        for t in threads:
            t.join(10)
        assert errors == ["analysis failed", "analysis failed"] and not d._flights
        with d.reader() as e:   # a failure is not kept: the next caller computes again
            assert d.data_cached(e, ("broken",), lambda: {"ok": True}) == {"ok": True}
    finally:
        release.set()
        d.close()
