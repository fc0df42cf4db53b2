"""Request-body limits enforced before anything parses a body (pure ASGI middleware).

- A ``Content-Length`` above the route's limit gets 413 before a byte of the body is read.
- A chunked body is counted as it streams; past the limit the client gets 413 and the app
  sees a disconnect (so a half-read multipart upload is dropped and its spooled files closed).
- Upload routes (``/api/v1/imports``, the dashboard's ``/data/upload``) check the bearer
  token or cookie first: nobody but an admin gets a byte of a body read (401 / 403).

FastAPI parses form bodies before it runs dependencies, so these checks cannot be
dependencies. Also holds the small JSON-error helpers shared with ``overload`` and the
English/Chinese texts of their messages (code + params + detail).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reforge.api.auth import User

KB = 1024
MB = 1024 * 1024

# error codes of these limits; texts in the catalogs as ``api.limit.<code>`` (str.format params)
CODES = ("body_too_large", "bad_content_length", "not_authenticated", "admin_required", "overloaded",
         "rate_limited")


def lang_of_scope(scope: Scope) -> str:
    """The request's language (:func:`reforge.api.lang.lang_of_scope`: ``?lang=``, cookie, ``Accept-Language``)."""
    from reforge.api.lang import lang_of_scope as decide
    return decide(scope)


def message(code: str, lang: str = "en", **params: Any) -> str:
    """The text of an error ``code`` in ``lang`` (``en``/``zh``), from the catalogs."""
    from reforge.messages import plain
    return plain(f"api.limit.{code}", lang, **params)


def size_text(n: int) -> str:
    """``n`` bytes as ``16 KiB`` / ``1 MiB`` (whole units when exact)."""
    for unit, div in (("GiB", 1 << 30), ("MiB", MB), ("KiB", KB)):
        if n >= div:
            v = n / div
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


async def send_error(send: Send, scope: Scope, status: int, code: str, params: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None, close: bool = False) -> None:
    """Send ``{"detail", "code", "params"}`` with ``status`` (detail in the client's language)."""
    params = params or {}
    body = json.dumps({"detail": message(code, lang_of_scope(scope), **params), "code": code,
                       "params": params}, ensure_ascii=False).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:  # the unread body is not worth reading: make the client stop sending
        hdrs.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


async def user_of_scope(scope: Scope) -> User | None:
    """The account behind the request's bearer token or dashboard cookie (the API's cached lookup)."""
    from reforge.api.deps import optional_user  # deps imports FastAPI; keep this module light
    db = scope["app"].state.db
    return await optional_user(Request(scope), db)


@dataclass(frozen=True)
class BodyLimits:
    """Per-route body limits in bytes: the first matching ``(regex, limit)`` rule wins, else ``default``."""

    rules: Sequence[tuple[re.Pattern[str], int]]
    default: int
    admin_only: re.Pattern[str]  # upload routes: admin checked before the body is read

    def limit_for(self, path: str) -> int:
        for rx, n in self.rules:
            if rx.match(path):
                return n
        return self.default


def default_limits(import_bytes: int, json_bytes: int, login_bytes: int) -> BodyLimits:
    """Imports (API and dashboard upload) ``import_bytes``, login forms ``login_bytes``, all else ``json_bytes``."""
    uploads = re.compile(r"^(?:/api/v1/imports|/data/upload)/?$")
    return BodyLimits(rules=[(uploads, import_bytes),
                             (re.compile(r"^(?:/api/v1/auth/token|/login)/?$"), login_bytes)],
                      default=json_bytes, admin_only=uploads)




class BodyLimitMiddleware:
    """Reject bodies over the route's limit before parsing; check the admin before reading uploads."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limits.limit_for(path)
        cl = Headers(scope=scope).get("content-length")
        if cl is not None:
            if not cl.strip().isdigit():
                await send_error(send, scope, 400, "bad_content_length", close=True)
                return
            if int(cl) > limit:
                await send_error(send, scope, 413, "body_too_large",
                                 {"limit": limit, "limit_text": size_text(limit)}, close=True)
                return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and self.limits.admin_only.match(path):
            user = await user_of_scope(scope)
            if user is None:
                await send_error(send, scope, 401, "not_authenticated", headers={"WWW-Authenticate": "Bearer"},
                                 close=True)
                return
            if user.role != "admin":
                await send_error(send, scope, 403, "admin_required", close=True)
                return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with a receive that counts body bytes; 413 and a disconnect past ``limit``."""
        seen = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    rejected = True
                    if not started:
                        await _respond_413()
                    return {"type": "http.disconnect"}
            return msg

        async def _respond_413() -> None:
            nonlocal started
            started = True
            await send_error(send, scope, 413, "body_too_large", {"limit": limit, "limit_text": size_text(limit)},
                             close=True)

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            if rejected:  # the 413 is the answer; drop what the app says about the "disconnect"
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        await self.app(scope, counting_receive, guarded_send)
