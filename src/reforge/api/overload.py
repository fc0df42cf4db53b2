"""Overload protection for analysis routes (pure ASGI middleware).

- **Bounded concurrency**: at most ``workers`` analyses run at once (each in a thread-pool
  thread), at most ``queue`` more wait for a slot without holding a thread, and none waits
  longer than ``max_wait`` seconds. When the queue is full, or the expected wait (backlog
  per worker times the moving average of one analysis) exceeds ``max_wait``, the request
  gets 503 with ``Retry-After`` at once; one still waiting after ``max_wait`` gets it then.
  So a served request waited at most ``max_wait`` before its own work began.
- **Per-user rate limit**: a token bucket per account (``rate`` analyses/s, ``burst`` at
  once); beyond it 429 with ``Retry-After``.
- **Abandoned work is not started**: a queued request whose client disconnects leaves the
  queue; after a slot is granted the connection is checked once more before the app runs.

Everything else (``/health``, pages, point queries) passes untouched, so it never waits
behind analyses. Requests without a valid account pass too: the app answers them 401/403
without analysing anything.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reforge.api.limits import send_error, user_of_scope

# Routes that run an analysis (seconds of CPU on a large database). API routes, plus the
# dashboard's two POST partials that compute without the page cache.
ANALYSIS_PATHS = re.compile(
    r"^(?:/api/v1/chains/generic"
    r"|/api/v1/chains/[^/]+/(?:bottlenecks|simulate|map)"
    r"|/api/v1/tiers/(?:screen|review|warnings|cohorts)"
    r"|/api/v1/credit/scores"
    r"|/api/v1/policy/evaluate"
    r"|/api/v1/sectors/[^/]+/key-sectors"
    r"|/api/v1/enterprises/[^/]+/(?:screening|credit|warnings)"
    r"|/api/v1/match/(?:demands|offers|degree|assign)"
    r"|/chains/[^/]+/simulate"
    r"|/policy/evaluate)/?$")


@dataclass
class TokenBucket:
    """Per-key token buckets: ``rate`` tokens per second, at most ``burst`` stored."""

    rate: float
    burst: float
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, now: float | None = None) -> float | None:
        """Take one token; None when allowed, else seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                if len(self._state) > 10000:  # many idle keys: forget them (they refill to full anyway)
                    self._state.clear()
                self._state[key] = (tokens - 1.0, now)
                return None
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0


class AnalysisGate:
    """A semaphore of ``workers`` slots with at most ``queue`` waiters, and a service-time estimate."""

    def __init__(self, workers: int, queue: int, max_wait: float = 0.5) -> None:
        self.workers, self.queue, self.max_wait = max(1, workers), max(0, queue), max_wait
        self.running = 0
        self.waiting = 0
        self.service_s = 0.5  # moving average of one analysis, seconds (for Retry-After)
        self._sem: anyio.Semaphore | None = None  # made on first use, inside the server's event loop

    @property
    def sem(self) -> anyio.Semaphore:
        if self._sem is None:
            self._sem = anyio.Semaphore(self.workers)
        return self._sem

    def expected_wait(self) -> float:
        """Seconds a request arriving now would likely wait for a slot."""
        ahead = self.running + self.waiting - self.workers + 1  # requests to finish before a slot frees
        return 0.0 if ahead <= 0 else math.ceil(ahead / self.workers) * self.service_s

    def full(self) -> bool:
        """No room: the queue is full or the expected wait exceeds ``max_wait``."""
        return (self.running + self.waiting >= self.workers + self.queue
                or self.expected_wait() > self.max_wait)

    def retry_after(self) -> int:
        """Whole seconds until the backlog has likely drained (1..60)."""
        backlog = (self.running + self.waiting + 1) / self.workers
        return int(min(60, max(1, math.ceil(backlog * self.service_s))))

    def done(self, seconds: float) -> None:
        self.service_s = 0.8 * self.service_s + 0.2 * seconds


class OverloadMiddleware:
    """Rate-limit and queue the analysis routes of ``app``."""

    def __init__(self, app: ASGIApp, gate: AnalysisGate, bucket: TokenBucket,
                 paths: re.Pattern[str] = ANALYSIS_PATHS) -> None:
        self.app, self.gate, self.bucket, self.paths = app, gate, bucket, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.paths.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        user = await user_of_scope(scope)
        if user is None:  # the app says 401 without analysing
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if gate.full():
            ra = gate.retry_after()
            await send_error(send, scope, 503, "overloaded", {"retry_after": ra}, {"Retry-After": str(ra)})
            return
        wait = self.bucket.take(user.username)
        if wait is not None:
            ra = max(1, math.ceil(wait))
            await send_error(send, scope, 429, "rate_limited", {"retry_after": ra}, {"Retry-After": str(ra)})
            return
        gate.waiting += 1  # counted from here so that a burst cannot slip past full()
        try:
            body = await _read_body(receive)  # small: BodyLimitMiddleware capped it
            got = "gone" if body is None else await _acquire_unless_gone(gate.sem, receive, gate.max_wait)
        finally:
            gate.waiting -= 1
        if got == "timeout":
            ra = gate.retry_after()
            await send_error(send, scope, 503, "overloaded", {"retry_after": ra}, {"Retry-After": str(ra)})
            return
        if got != "ok":
            return  # the client went away while queued: nothing started
        gate.running += 1
        t0 = time.monotonic()
        try:
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
        finally:
            gate.running -= 1
            gate.done(time.monotonic() - t0)
            gate.sem.release()


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected first."""
    parts: list[bytes] = []
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        parts.append(msg.get("body", b""))
        if not msg.get("more_body", False):
            return b"".join(parts)


async def _acquire_unless_gone(sem: anyio.Semaphore, receive: Receive, timeout: float) -> str:
    """Acquire ``sem`` within ``timeout`` s: ``"ok"`` (held), else ``"gone"`` when the client
    disconnected first or meanwhile, ``"timeout"`` when no slot freed in time (not held).

    The body is already read, so the only message ``receive`` can still deliver is
    ``http.disconnect``; a cancelled ``receive`` consumes nothing.
    """
    gone = False

    async def watch(scope: anyio.CancelScope) -> None:
        nonlocal gone
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                gone = True
                scope.cancel()
                return

    acquired = False
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch, tg.cancel_scope)
        with anyio.move_on_after(timeout):
            await sem.acquire()
            acquired = True
        tg.cancel_scope.cancel()
    if acquired and not gone:  # one last look before starting work
        with anyio.CancelScope() as cs:
            cs.cancel()
            msg = await receive()
            gone = msg["type"] == "http.disconnect"
    if acquired and gone:
        sem.release()
    return "gone" if gone else "ok" if acquired else "timeout"
