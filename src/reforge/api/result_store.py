"""Page results kept on disk beside the database, so a restarted server does not recompute them.

The server memoises analysis results while the analysed data is unchanged
(``Database.data_cached``); that memo dies with the process, and the heaviest pages (tiers,
credit: seconds of work on a 20,000-firm province) were slow again on the first visit after every
restart. ``ResultStore`` keeps such results as JSON files in ``<db>.results/``, one file per
result key, each stamped with the data fingerprint and the code stamp it was computed under:

- the **data fingerprint** is the server's digest of every analysed table (row count and an
  order-free hash of the rows per table), so a result is reused only on identical data, whoever
  changed it (the server, a CLI import, a restore);
- the **code stamp** is a digest of the installed ``reforge`` package's files (names, sizes,
  modification times), so an upgrade or an edited rule file never serves a result computed by
  other code.

A stale, unreadable or half-written file is ignored and overwritten (files are written to a
temporary name and renamed, so a kill -9 leaves the old file or the new one, never a torn one).
Only JSON-ready values are stored (the ``cap`` results of the pages: dicts, lists, strings,
numbers); the files hold what the page would compute from the database, so they need no other
protection than the database file itself (same directory, owner-only permissions).

A page does not wait for its result to be written: ``put_later`` hands it to a writer thread (the
JSON of the research page's proposals alone is 10 MB, 0.15 s to encode on the 20k demo), and
``flush`` waits for what is queued (the server's close, the warm-up before it reports ready). The
server's writer waits until no request is being served (``Database._quiet``): encoding holds the
interpreter lock. A result still queued when the process is killed is computed again on the next
visit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the stored entry layout changes
MAX_FILES = 2000  # beyond this many results the least recently written are removed (keys holding a
# day, e.g. today's project portfolio, would otherwise add files every day)


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A digest of the ``reforge`` package's files (relative path, size, mtime in ns)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(str(FORMAT).encode())
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            st = p.stat()
            h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:32]


class ResultStore:
    """JSON results in ``directory``, one file per key, valid for one (data, code) stamp."""

    def __init__(self, directory: str | Path, before_write: Callable[[], None] | None = None) -> None:
        """``before_write``: called by the writer thread before each queued result (the server
        waits there for a moment without requests)."""
        self.dir = Path(directory)
        self._before_write = before_write
        self._queue: deque[tuple[tuple, str, Any]] = deque()
        self._writer: threading.Thread | None = None  # runs while the queue holds results
        self._cond = threading.Condition()
        self._busy = 0  # results queued or being written

    @staticmethod
    def for_database(path: str | Path, before_write: Callable[[], None] | None = None) -> ResultStore | None:
        """The store beside database file ``path`` (None for an in-memory database)."""
        p = str(path)
        return None if p in ("", ":memory:") else ResultStore(p + ".results", before_write)

    def _file(self, key: tuple) -> Path:
        return self.dir / (hashlib.sha256(repr(key).encode()).hexdigest()[:40] + ".json")

    @staticmethod
    def _stamp(fingerprint: str) -> str:
        return hashlib.sha256(f"{code_stamp()}|{fingerprint}".encode()).hexdigest()

    def get(self, key: tuple, fingerprint: str) -> tuple[bool, Any]:
        """``(True, value)`` when a result for ``key`` was stored under this data and code, else
        ``(False, None)``."""
        f = self._file(key)
        try:
            with open(f, encoding="utf-8") as fh:
                entry = json.load(fh)
        except FileNotFoundError:
            return False, None
        except (OSError, ValueError) as e:  # unreadable or torn: recompute and overwrite
            log.warning("ignoring stored result %s: %s", f.name, e)
            return False, None
        if not isinstance(entry, dict) or entry.get("stamp") != self._stamp(fingerprint) \
                or entry.get("key") != repr(key):
            return False, None
        return True, entry.get("value")

    def put(self, key: tuple, fingerprint: str, value: Any) -> bool:
        """Store ``value`` for ``key`` (atomically); False when it is not JSON-ready or the
        directory cannot be written (the server then just keeps it in memory)."""
        try:
            text = json.dumps({"key": repr(key), "stamp": self._stamp(fingerprint), "value": value},
                              ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as e:
            log.warning("result %r not stored: %s", key, e)
            return False
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, self._file(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            log.warning("result %r not stored: %s", key, e)
            return False
        self._prune()
        return True

    def put_later(self, key: tuple, fingerprint: str, value: Any) -> None:
        """``put`` on the store's writer thread; the caller does not wait. ``value`` must not be
        changed afterwards (the server's memo hands the same object to every request, read-only)."""
        with self._cond:
            self._queue.append((key, fingerprint, value))
            self._busy += 1
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="reforge-result-store",
                                                daemon=True)
                self._writer.start()

    def _write_queued(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._writer = None  # a later put_later starts a new writer
                    return
                key, fingerprint, value = self._queue.popleft()
            try:
                if self._before_write is not None:
                    self._before_write()
                self.put(key, fingerprint, value)
            except Exception:  # noqa: BLE001 - a result that cannot be stored is computed again
                log.exception("result %r not stored", key)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every result handed to ``put_later`` is written (or failed); False when
        ``timeout`` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)

    def _prune(self) -> None:
        """Keep at most ``MAX_FILES`` results: the least recently written beyond go (down to 80 %)."""
        try:
            files = [(f.stat().st_mtime, f.path) for f in os.scandir(self.dir)
                     if f.name.endswith(".json") and not f.name.startswith(".")]
        except OSError:
            return
        if len(files) <= MAX_FILES:
            return
        files.sort()
        for _, path in files[: len(files) - int(MAX_FILES * 0.8)]:
            try:
                os.unlink(path)
            except OSError:
                pass
