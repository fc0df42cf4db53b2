"""``reforge.web.parts.side_by_side``: a page's independent parts run at the same time, each on its
own read cursor, and give the same results as one after the other; an error is raised only after
every part has ended; parts that run parts of their own do not hold the pool."""

from __future__ import annotations

import threading

import pytest

from reforge.api.db import Database
from reforge.web import parts
from reforge.web.parts import side_by_side
from tests.api import smalldb


@pytest.fixture
def db(tmp_path):
    d = Database(smalldb.build(tmp_path / "parts.duckdb"), poll=0.05)
    yield d
    d.close()


def _count(table: str):
    return lambda e: (e.fetch_scalar(f"SELECT COUNT(*) FROM {table}"), id(e), threading.get_ident())


def test_parts_run_at_once_on_their_own_cursors_and_keep_their_order(db):
    together = threading.Barrier(3, timeout=10)   # passes only when the three run at the same time

    def part(table: str):
        def run(e):
            together.wait()
            return _count(table)(e)
        return run

    got = side_by_side(db, [part("enterprises"), part("items"), part("enterprise_years")])
    with db.reader() as e:
        expected = [e.fetch_scalar(f"SELECT COUNT(*) FROM {t}") for t in ("enterprises", "items", "enterprise_years")]
    assert [g[0] for g in got] == expected
    assert len({g[1] for g in got}) == 3 and len({g[2] for g in got}) == 3  # engines and threads
    assert got[0][2] == threading.get_ident()   # the first part runs in the caller's thread
    assert side_by_side(db, []) == []


def test_an_error_is_raised_after_every_part_has_ended(db):
    ended = threading.Event()

    def slow(e):
        assert ended.wait(0) is False
        threading.Event().wait(0.3)
        ended.set()
        return 1

    def broken(e):
        raise ValueError("part failed")

    with pytest.raises(ValueError, match="part failed"):
        side_by_side(db, [broken, slow])
    assert ended.is_set()   # the slow part was not abandoned while it held a cursor


def test_parts_of_parts_run_while_every_pool_thread_waits(db):
    """Each pool thread runs a part that runs two parts of its own and waits for them: were those
    queued on the pool, no thread would be left to run them."""
    workers = parts._POOL._max_workers
    gate = threading.Barrier(workers + 1, timeout=10)   # every pool thread and the caller at once

    def outer(e):
        gate.wait()   # all pool threads are taken by outer parts before any inner part starts
        inner = side_by_side(db, [_count("items"), _count("enterprises")])
        return [x[0] for x in inner]

    got = side_by_side(db, [outer] * (workers + 1))
    with db.reader() as e:
        expected = [e.fetch_scalar("SELECT COUNT(*) FROM items"), e.fetch_scalar("SELECT COUNT(*) FROM enterprises")]
    assert got == [expected] * (workers + 1)
