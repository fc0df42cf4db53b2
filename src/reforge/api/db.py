"""The server's database handle: a read-only DuckDB connection shared by all requests,
reopened read-write only for the duration of a write.

DuckDB allows many read-only processes or one read-write process per file, and an open that
conflicts fails at once. Holding the file read-write for the server's lifetime locked every CLI
command out, so the server keeps it read-only between writes and CLI reads open it beside the
server (measured on the 20k demo with the machine's load at ~10: a read-only open costs ~35 ms; a
one-row ``writer()`` costs 190-260 ms, the close, read-write open, checkpoint and read-only reopen
included, which only writes pay; a ``quick()`` count stays at ~0.6 ms). Three ways in:

- ``quick()``: short point queries (a profile, a search page, the user behind a token) run one at
  a time on one shared cursor. Measured on the 2-core machine, serialising them gave 4x the
  throughput of running them concurrently on separate cursors (143 vs 33 profiles/s with 8 client
  threads), because concurrent small queries contend inside DuckDB and for the GIL.
- ``reader()``: analyses (seconds of work) get their own cursor and run concurrently.
- ``writer()``: writes are serialised; each waits for the requests in flight (new ones wait for
  it), closes the read-only connection, opens the file read-write (retrying while a CLI command
  reads it, serving meanwhile), yields that engine, closes it (DuckDB checkpoints on close) and
  reopens read-only; then the caches are cleared.

A CLI write asks for the file through a request file (``reforge.engine.sharing``): a watcher
thread sees it, lets requests in flight finish, closes the file and reopens it when the request
is withdrawn (clearing the caches: the data may have changed). Requests that arrive meanwhile
wait up to ``busy_wait`` seconds, then get 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from fastapi import HTTPException

from reforge.api.result_store import ResultStore
from reforge.engine.base import EngineError
from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.engine.sharing import (
    WriteRequest,
    announce_server,
    mark_served,
    pending_requests,
    withdraw_server,
)
from reforge.schema import ensure_schema

log = logging.getLogger(__name__)

# the result store's writer waits STORE_SETTLE seconds, then until no request holds the file (at
# most STORE_WAIT seconds: under continuous load results are still written)
STORE_SETTLE, STORE_WAIT = 0.2, 30.0
# tables no analysis reads: writes to them (a login, a token, an audit row of a rejected upload)
# keep the analysis caches (Database.data_cached)
NOT_ANALYSED = frozenset({"users", "api_tokens", "revoked_tokens", "audit_log", "policy_runs",
                          "match_docs", "match_terms"})


class CursorEngine(DuckDBEngine):
    """A DuckDBEngine over a cursor of an already open connection (no new file handle).

    ``memo``: what the cursors of one read-only handle share of ``remember`` (stored table names
    and columns, the panel's years): nothing can change the stored tables while the handle is
    open, and the server opens a new handle, with a new memo, after every write."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool = True,  # noqa: D107
                 memo: dict | None = None) -> None:
        self.path = path
        self.read_only = read_only
        self.con = con.cursor()
        self._temps: set[str] = set()
        self._memo = memo


class Gate:
    """Shared/exclusive gate over the open connection: requests share it, a write or a release
    to another process holds it alone.

    A waiting exclusive holder keeps new shared holders out for at most ``hold_off`` seconds each
    (so in-flight requests drain and the writer gets in, while a request that nests a second
    shared hold, e.g. a dependency and its handler, is delayed, never deadlocked). Counts, not
    thread ownership: FastAPI may enter and exit a dependency on different threads.
    """

    def __init__(self, hold_off: float = 0.5) -> None:  # noqa: D107
        self.hold_off = hold_off
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._wanting = 0
        self._released = 0.0  # time.monotonic() of the last release

    def acquire_shared(self, timeout: float) -> bool:
        """Enter as a reader; False if not possible within ``timeout`` seconds."""
        t0 = time.monotonic()
        with self._cond:
            while True:
                waited = time.monotonic() - t0
                if not self._exclusive and (not self._wanting or waited >= self.hold_off):
                    self._shared += 1
                    return True
                if waited >= timeout:
                    return False
                step = timeout - waited
                if not self._exclusive:
                    step = min(step, self.hold_off - waited)
                self._cond.wait(max(step, 0.001))

    def wait_idle(self, settle: float, timeout: float) -> bool:
        """Wait until no request and no write has held the gate for ``settle`` seconds; False
        after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                free = not self._shared and not self._exclusive
                if free and now - self._released >= settle:
                    return True
                if now >= deadline:
                    return False
                step = settle - (now - self._released) if free else deadline - now
                self._cond.wait(max(min(step, deadline - now), 0.001))

    def release_shared(self) -> None:
        with self._cond:
            self._shared -= 1
            self._released = time.monotonic()
            if self._shared == 0:
                self._cond.notify_all()

    def acquire_exclusive(self, timeout: float | None) -> bool:
        """Enter alone once every reader has left; False if not within ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._wanting += 1
            try:
                while self._exclusive or self._shared:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                self._exclusive = True
                return True
            finally:
                self._wanting -= 1
                self._cond.notify_all()

    def release_exclusive(self) -> None:
        with self._cond:
            self._exclusive = False
            self._released = time.monotonic()
            self._cond.notify_all()


def busy(seconds: float) -> HTTPException:
    """503 for a request that could not get at the database within ``seconds``."""
    return HTTPException(503, detail={
        "code": "database_busy", "params": {"seconds": round(seconds)},
        "msg": f"the database is being written (by an import or a CLI command) and was not free "
               f"within {seconds:g} s; retry shortly",
        "msg_zh": f"数据库正在写入（导入或命令行操作），{seconds:g} 秒内未能释放；请稍后重试"},
        headers={"Retry-After": "5"})


class Database:
    """The database file served by the app.

    ``busy_wait``: seconds a request (or a server write) waits for the file before 503;
    ``poll``: seconds between looks for CLI write requests.
    """

    def __init__(self, path: str | Path, busy_wait: float = 30.0, poll: float = 0.1) -> None:
        self.path = str(path)
        self.busy_wait = busy_wait
        self.poll = poll
        self.tag = uuid.uuid4().hex[:12]  # marks this server's own write requests
        self.cache: dict = {}  # page-level memo of analysis results, cleared by every write
        self.data_cache: dict = {}  # key -> (data fingerprint, result): kept while the data is unchanged
        self._fingerprint: tuple[int, str] | None = None  # (generation, digest of the analysed tables)
        # page results that outlive the process, written while no request is served (below)
        self.store = ResultStore.for_database(self.path, before_write=self._quiet)
        self._fp_lock = threading.Lock()
        self._flights: dict[tuple, Future] = {}  # (key, fingerprint) -> the result being computed
        self._flights_lock = threading.Lock()
        self.users: dict = {}  # bearer token -> (user, expiry), cleared by every write
        self.generation = 0  # bumped by every write (own or another process's)
        self.write_lock = threading.RLock()  # serialises this server's writes
        self.quick_lock = threading.Lock()
        self._gate = Gate()
        self._local = threading.local()  # the engine of the write this thread is in, if any
        self._stop = threading.Event()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with DuckDBEngine(self.path, read_only=False, tag=self.tag) as e:  # migrate, replay a WAL
            ensure_schema(e)
        mark_served(self.path)
        self._open()
        announce_server(self.path)
        self._watcher = threading.Thread(target=self._watch, name="reforge-db-watch", daemon=True)
        self._watcher.start()

    # -- handles ---------------------------------------------------------------------------------

    def _quiet(self) -> None:
        """What the result store's writer waits for: no request has held the file for
        ``STORE_SETTLE`` seconds (the page that queued the result renders meanwhile), at most
        ``STORE_WAIT`` seconds; not at all once the server closes. Encoding a result holds the
        interpreter lock: written beside a request, it would slow that request down."""
        if not self._stop.is_set():
            self._gate.wait_idle(STORE_SETTLE, STORE_WAIT)

    def _open(self, wait: float | None = None) -> None:
        self.root = DuckDBEngine(self.path, read_only=True, wait=wait)
        self._catalog: dict = {}  # shared by this handle's cursors (CursorEngine)
        self._quick = CursorEngine(self.root.con, self.path, memo=self._catalog)

    def _close_handles(self) -> None:
        self._quick.close()
        self.root.close()

    def _reopen(self) -> None:
        """Open read-only again, waiting as long as another process writes."""
        while True:
            try:
                self._open(wait=self.busy_wait)
                return
            except EngineError as e:
                if self._stop.is_set():
                    raise
                log.warning("reopening %s: %s; still waiting", self.path, e)

    def _invalidate(self) -> None:
        self.generation += 1
        self.cache.clear()
        self.users.clear()

    def data_fingerprint(self, e: DuckDBEngine) -> str:
        """A digest of every table an analysis may read (row count and order-free sum of row
        hashes per table; all tables but NOT_ANALYSED), computed once per write generation."""
        gen = self.generation
        fp = self._fingerprint
        if fp is not None and fp[0] == gen:
            return fp[1]
        with self._fp_lock:
            fp = self._fingerprint  # computed by another thread while this one waited for the lock
            if fp is not None and fp[0] == gen:
                return fp[1]
            from reforge.engine.sqlbuild import ident, literal
            from reforge.schema.tables import TABLES
            names = [t.name for t in TABLES if t.name not in NOT_ANALYSED and e.table_exists(t.name)]
            sql = " UNION ALL ".join(f"SELECT {literal(n)} AS t, COUNT(*) AS n, CAST(SUM(hash(x)) AS VARCHAR) AS h "
                                     f"FROM {ident(n)} x" for n in names)
            rows = e.fetch_df(sql).itertuples(index=False) if names else []
            digest = ";".join(f"{t}:{n}:{h}" for t, n, h in rows)
            self._fingerprint = (gen, digest)
            return digest

    def data_cached(self, e: DuckDBEngine, key: tuple, fn: Callable[[], Any], limit: int = 20000,
                    keep: Callable[[Any], bool] = lambda v: True, persist: bool = False) -> Any:
        """``fn()`` memoised while the analysed data stays the same: a write that changes no
        analysed table (an account, an audit row of a rejected upload) keeps the result.
        A value for which ``keep`` is false is returned but not kept. ``persist``: also kept in
        the result store beside the file (``reforge.api.result_store``; JSON-ready values), so
        a restarted server serves it without recomputing while data and code are unchanged.
        Asked again while it is being computed (a second visitor, or a visitor while the warm-up
        computes it), the second caller waits for that result instead of computing it too."""
        fp = self.data_fingerprint(e)
        with self._flights_lock:
            hit = self.data_cache.get(key)
            if hit is not None and hit[0] == fp:
                return hit[1]
            running = self._flights.get((key, fp))
            if running is None:
                mine = self._flights[(key, fp)] = Future()
        if running is not None:
            return running.result()
        try:
            store = self.store if persist else None
            found, value = store.get(key, fp) if store is not None else (False, None)
            kept = found or keep(value := fn())
            if kept and not found and store is not None:
                store.put_later(key, fp, value)  # written on the store's thread: the page does not wait
            if kept:
                with self._flights_lock:
                    if len(self.data_cache) >= limit:
                        self.data_cache.clear()
                    self.data_cache[key] = (fp, value)
            mine.set_result(value)
            return value
        except BaseException as err:
            mine.set_exception(err)
            raise
        finally:
            with self._flights_lock:
                del self._flights[(key, fp)]

    def announce(self, url: str) -> None:
        """Name the server's URL in ``<db>.server.json`` (messages of waiting CLI commands)."""
        announce_server(self.path, url)

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if not self._gate.acquire_shared(self.busy_wait):
            raise busy(self.busy_wait)
        try:
            yield
        finally:
            self._gate.release_shared()

    # -- the three ways in -----------------------------------------------------------------------

    @contextmanager
    def quick(self) -> Iterator[CursorEngine]:
        """The shared engine for short queries, one request at a time."""
        with self._shared(), self.quick_lock:
            yield self._quick

    @contextmanager
    def reader(self) -> Iterator[CursorEngine]:
        """An engine for one request (reads; read-only)."""
        with self._shared():
            e = CursorEngine(self.root.con, self.path, memo=self._catalog)
            try:
                yield e
            finally:
                e.close()

    @contextmanager
    def writer(self) -> Iterator[DuckDBEngine]:
        """An engine opened read-write for one write; writes are serialised and nest.

        Raises 503 when the file stays held (by requests in flight or a CLI command) longer than
        ``busy_wait`` seconds."""
        inner = getattr(self._local, "engine", None)
        if inner is not None:
            yield inner
            return
        with self.write_lock:
            e = self._acquire_rw()
            self._local.engine = e
            try:
                yield e
            finally:
                self._local.engine = None
                e.close()  # checkpoints and frees the file
                self._reopen()
                self._invalidate()
                self._gate.release_exclusive()

    def _acquire_rw(self) -> DuckDBEngine:
        """Hold the gate alone with the file open read-write (the gate stays held on success).

        While a CLI command reads the file, the read-only handle is reopened and requests are
        served between attempts, so a long CLI read delays the write, not the dashboard."""
        t0 = time.monotonic()
        pause = 0.05
        with WriteRequest(self.path, self.tag):  # another server on this file releases it too
            while True:
                left = self.busy_wait - (time.monotonic() - t0)
                if left <= 0 or not self._gate.acquire_exclusive(left):
                    raise busy(self.busy_wait)
                self._close_handles()
                try:
                    return DuckDBEngine(self.path, read_only=False, wait=0)
                except EngineError:  # a CLI command reads (or writes) the file: serve, retry
                    self._reopen()
                    self._gate.release_exclusive()
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)

    # -- releasing the file to other processes --------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                pids = pending_requests(self.path, ignore_tag=self.tag)
                if pids:
                    self._release_to(pids)
            except Exception:  # noqa: BLE001 - the watcher must survive anything
                log.exception("watching %s for write requests", self.path)

    def _release_to(self, pids: list[int]) -> None:
        """Close the file while other processes write it; reopen when they are done."""
        with self.write_lock:
            self._gate.acquire_exclusive(None)
            try:
                self._close_handles()
                log.info("released %s for writing by pid %s", self.path, ", ".join(map(str, pids)))
                while pending_requests(self.path, ignore_tag=self.tag) and not self._stop.is_set():
                    time.sleep(self.poll)
                self._reopen()
                self._invalidate()
            finally:
                self._gate.release_exclusive()

    def close(self) -> None:
        """Stop watching, close the file and withdraw the server's announcement."""
        self._stop.set()
        if self._watcher.is_alive() and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)
        if self.store is not None and not self.store.flush(timeout=60):
            log.warning("results of %s still being written at close", self.path)
        try:
            self._close_handles()
        finally:
            mark_served(self.path, on=False)
            withdraw_server(self.path)
