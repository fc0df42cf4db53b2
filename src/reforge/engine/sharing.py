"""Sharing one DuckDB file between `reforge serve` and other processes.

DuckDB lets a file be open in many read-only processes *or* in one read-write process; the
operating-system lock is taken when a connection opens, and a conflicting open fails at once
instead of waiting (https://duckdb.org/docs/current/connect/concurrency). Hence:

- ``reforge serve`` keeps the file open read-only between its writes (``reforge.api.db``), so CLI
  reads open it read-only beside the server.
- A process that must write while others hold the file leaves a *write request* next to it
  (``<db>.write-wanted.<pid>.<tag>``) and retries. A server that sees a request of a live process
  lets its in-flight requests finish, closes the file, waits until the request is withdrawn and
  reopens the file. A request left by a dead process (kill -9) is ignored and removed.
- Every open that finds the file locked retries for up to ``REFORGE_WAIT`` seconds (default 60),
  logging once (logger ``reforge.engine.sharing``) who holds it, then fails with a message that
  says what to do.
- The server announces itself in ``<db>.server.json`` (pid, URL) so those messages can name it.

All of this is same-host coordination through files beside the database; DuckDB's own lock
stays the authority (a request never bypasses it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path

import duckdb

from reforge.engine.base import EngineError

log = logging.getLogger(__name__)

WAIT_ENV = "REFORGE_WAIT"
DEFAULT_WAIT = 60.0  # seconds an open waits for a lock held by another process
NOTICE_AFTER = 0.5  # seconds of waiting before the one "waiting for …" message
_POLL = 0.05  # seconds between open attempts

_served_here: set[str] = set()  # files an in-process server (api.db.Database) holds
_served_lock = threading.Lock()


def default_wait() -> float:
    """Seconds to wait for a locked database: ``$REFORGE_WAIT`` (:mod:`reforge.settings`) or 60."""
    from reforge.settings import get_settings
    return get_settings().wait


def _key(path: str | Path) -> str:
    return os.path.realpath(str(path))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # e.g. Windows without signal 0: assume alive, the lock decides
        return True
    return True


# -- the server's announcement ------------------------------------------------------------------

def server_file(db: str | Path) -> Path:
    """``<db>.server.json``: the pid (and URL) of the server holding ``db``."""
    return Path(f"{db}.server.json")


def announce_server(db: str | Path, url: str | None = None) -> None:
    """Write ``<db>.server.json`` for this process (atomically)."""
    p = server_file(db)
    tmp = p.with_name(f"{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "url": url, "started": time.time()}))
    os.replace(tmp, p)


def withdraw_server(db: str | Path) -> None:
    """Remove ``<db>.server.json`` if this process wrote it."""
    p = server_file(db)
    info = _read_json(p)
    if info is not None and info.get("pid") == os.getpid():
        p.unlink(missing_ok=True)


def server_info(db: str | Path) -> dict | None:
    """``{"pid", "url"}`` of a live server announced for ``db``, else None."""
    info = _read_json(server_file(db))
    if info is None or not isinstance(info.get("pid"), int) or not pid_alive(info["pid"]):
        return None
    return info


def _read_json(p: Path) -> dict | None:
    try:
        v = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    return v if isinstance(v, dict) else None


def mark_served(db: str | Path, on: bool = True) -> None:
    """Record that an in-process server holds ``db`` (a same-process open then waits for it)."""
    with _served_lock:
        (_served_here.add if on else _served_here.discard)(_key(db))


# -- write requests ------------------------------------------------------------------------------

_REQ = ".write-wanted."


class WriteRequest:
    """A request, left next to the database, that holders release it for a write."""

    def __init__(self, db: str | Path, tag: str | None = None) -> None:
        self.tag = tag or uuid.uuid4().hex[:12]
        self.path = Path(f"{db}{_REQ}{os.getpid()}.{self.tag}")
        self.path.write_text(f"{os.getpid()}\n")

    def withdraw(self) -> None:
        """Remove the request (idempotent)."""
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> WriteRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.withdraw()


def pending_requests(db: str | Path, ignore_tag: str | None = None) -> list[int]:
    """Pids of live processes asking to write ``db`` (requests tagged ``ignore_tag`` excepted).

    Requests of dead processes are removed."""
    p = Path(db)
    prefix = p.name + _REQ
    out = []
    try:
        entries = list(os.scandir(p.parent if str(p.parent) else "."))
    except OSError:
        return []
    for ent in entries:
        if not ent.name.startswith(prefix):
            continue
        pid_s, _, tag = ent.name[len(prefix):].partition(".")
        if ignore_tag is not None and tag == ignore_tag:
            continue
        try:
            pid = int(pid_s)
        except ValueError:
            continue
        if pid_alive(pid):
            out.append(pid)
        else:
            Path(ent.path).unlink(missing_ok=True)
    return out


# -- opening -------------------------------------------------------------------------------------

def _conflict(e: BaseException, path: str) -> bool:
    """Whether an open failed because someone else holds the file (worth retrying)."""
    msg = str(e)
    if isinstance(e, duckdb.IOException):
        return "lock" in msg.lower()
    if isinstance(e, duckdb.ConnectionException) and "different configuration" in msg:
        # the file is open in this process with the other access mode: only an in-process
        # server releases it by itself; anything else would wait in vain
        with _served_lock:
            return _key(path) in _served_here
    return False


def _holder(msg: str) -> int | None:
    m = re.search(r"PID (\d+)", msg)
    return int(m.group(1)) if m else None


def _who(db: str, pid: int | None) -> str:
    srv = server_info(db)
    if srv is not None and (pid is None or pid == srv["pid"]):
        return f"the Reforge server (pid {srv['pid']}{', ' + srv['url'] if srv.get('url') else ''})"
    if pid == os.getpid():
        return "this process"
    return f"another process (pid {pid})" if pid else "another process"


def _error(message: str, code: str, params: dict) -> EngineError:
    """An EngineError with a stable code and params where the error classes take them."""
    try:
        return EngineError(message, code=code, error_params=params)
    except TypeError:  # an EngineError without codes
        return EngineError(message)


def connect(path: str, read_only: bool, wait: float | None = None,
            tag: str | None = None) -> tuple[duckdb.DuckDBPyConnection, WriteRequest | None]:
    """Open ``path``, retrying for up to ``wait`` seconds (default ``$REFORGE_WAIT``) while another
    process holds a conflicting lock.

    A read-write open that has to wait leaves a ``WriteRequest`` (so a server releases the file)
    and returns it: the caller withdraws it when it closes the connection. Raises ``EngineError``
    with a message naming the holder when the wait runs out."""
    limit = default_wait() if wait is None else max(0.0, wait)
    t0 = time.monotonic()
    req: WriteRequest | None = None
    noticed = False
    try:
        while True:
            try:
                return duckdb.connect(path, read_only=read_only), req
            except (duckdb.IOException, duckdb.ConnectionException) as e:
                msg = str(e)
                if not _conflict(e, path):
                    raise _error(f"cannot open {path}: {msg.splitlines()[0]}",
                                 "engine.open_failed", {"path": path}) from None
                holder = _holder(msg)
                if not read_only and req is None and limit > 0:
                    req = WriteRequest(path, tag)
                waited = time.monotonic() - t0
                if waited >= limit:
                    who = _who(path, holder)
                    raise _error(
                        f"database {path} is in use by {who}, which did not release it within "
                        f"{limit:g} s; "
                        + ("wait for the running write to finish and retry" if read_only else
                           "retry when it is idle, import through the running server (dashboard or "
                           "POST /api/v1/imports), or stop it")
                        + f" (${WAIT_ENV} sets how long to wait)",
                        "engine.database_busy", {"path": path, "seconds": limit, "pid": holder}) from None
                if not noticed and waited >= NOTICE_AFTER:
                    noticed = True
                    doing = "read" if read_only else "write"
                    log.warning("%s is in use by %s; waiting up to %g s to %s it …",
                                path, _who(path, holder), limit, doing)
                time.sleep(_POLL)
    except BaseException:
        if req is not None:
            req.withdraw()
        raise
