"""The language of an API response: ``?lang=``, the dashboard's ``lang`` cookie, ``Accept-Language``.

One decision per request (:func:`lang_of_scope`), made by :class:`LangMiddleware` and kept in a
context variable for the rest of the request; routes that need it take the :data:`RequestLang`
dependency. JSON bodies under ``/api/`` are rendered in that language by the middleware and by
the error handlers (:mod:`reforge.api.contract`):

- a list of texts ``X`` (``reasons``, ``overlays``, ``notes``) with ``X_codes`` beside it
  (``reason_codes``, ``overlay_codes``, ``note_codes``: ``[{"code", "params"}]``) gets each text
  rendered from its code;
- an object with ``code`` + ``params`` and a text field (``msg``, ``message``, ``detail``,
  ``text``) gets the text rendered from the code when the catalog has it;
- FastAPI's own validation errors (no code) are rendered from their pydantic ``type``
  (codes ``api.validation.*``).

English (the default) leaves every body exactly as the library wrote it; ``code``/``params``
are never changed.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

LANGS = ("en", "zh")
DEFAULT = "en"
_current: ContextVar[str] = ContextVar("reforge_api_lang", default=DEFAULT)
_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def _base(tag: str | None) -> str | None:
    """``en``/``zh`` for a language tag (``zh-CN``, ``zh_Hans``, ``EN``), else None."""
    if not tag:
        return None
    b = str(tag).strip().replace("_", "-").split("-")[0].lower()
    return b if b in LANGS else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the header prefers most (highest ``q``, then first), or None.

    Malformed parts are skipped; ``q=0`` means "not this one"; ``*`` says nothing.
    """
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((header or "")[:1000].split(",")):
        m = _TAG.match(part)
        if not m:
            continue
        lang = _base(m.group(1))
        try:
            q = float(m.group(2)) if m.group(2) else 1.0
        except ValueError:
            continue
        if lang is None or not 0 < q <= 1:
            continue
        if best is None or q > best[0]:
            best = (q, i, lang)
    return best[2] if best else None


def lang_of_scope(scope: Scope) -> str:
    """The request's language: a valid ``?lang=`` wins, then the ``lang`` cookie (the dashboard's
    switch), then ``Accept-Language``; English otherwise."""
    for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if k == "lang" and _base(v):
            return _base(v)  # type: ignore[return-value]
    h = Headers(scope=scope)
    m = re.search(r"(?:^|;\s*)lang=(en|zh)\b", h.get("cookie", ""))
    if m:
        return m.group(1)
    return from_accept_language(h.get("accept-language")) or DEFAULT


def current_lang() -> str:
    """The language of the request being served (English outside a request)."""
    return _current.get()


class LangMiddleware:
    """Decides the language of each HTTP request once, keeps it for the request's handlers and,
    for a language other than English, renders the coded texts of ``/api/`` JSON bodies in it
    (:func:`localize`; the body is buffered, re-encoded and its ``Content-Length`` fixed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = lang_of_scope(scope)
        token = _current.set(lang)
        try:
            if lang == DEFAULT or not scope.get("path", "").startswith("/api/"):
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, _Rewriter(send, lang))
        finally:
            _current.reset(token)


class _Rewriter:
    """An ASGI ``send`` that renders a JSON response body in ``lang`` before passing it on."""

    def __init__(self, send: Send, lang: str) -> None:
        self.send, self.lang = send, lang
        self.start: dict | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            ctype = Headers(raw=message.get("headers", [])).get("content-type", "")
            if ctype.startswith("application/json"):
                self.start = message
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(self.chunks)
            if not body:  # HEAD, or no body: headers as they were
                start, self.start = self.start, None
                await self.send(start)
                await self.send({"type": "http.response.body", "body": body})
                return
            try:
                import json
                body = json.dumps(localize(json.loads(body), self.lang), ensure_ascii=False,
                                  allow_nan=False, separators=(",", ":")).encode()
            except (ValueError, TypeError, RecursionError):
                pass  # not JSON after all: sent as it was
            headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await self.send({**self.start, "headers": headers})
            self.start = None
            await self.send({"type": "http.response.body", "body": body})
            return
        await self.send(message)


def api_lang(request: Request) -> str:
    """Dependency: the request's language (``en`` or ``zh``)."""
    return lang_of_scope(request.scope)


RequestLang = Annotated[str, Depends(api_lang)]


# ---- rendering -------------------------------------------------------------------------------

_TEXT_KEYS = ("msg", "message", "detail", "text")
# pydantic error types whose ``ctx`` fills the catalog text ``api.validation.<type>``
_CTX = ("max_length", "min_length", "pattern", "ge", "le", "gt", "lt", "expected", "error")


def localize(obj: Any, lang: str) -> Any:
    """``obj`` (JSON data) with coded texts rendered in ``lang``; unchanged for English."""
    if lang == DEFAULT:
        return obj
    return _walk(obj, lang)


def _walk(obj: Any, lang: str) -> Any:
    if isinstance(obj, list):
        return [_walk(v, lang) for v in obj]
    if not isinstance(obj, dict):
        return obj
    from reforge.messages import has, render, render_coded
    # ``params`` (and pydantic's ``ctx``) are data: never rewritten
    out = {k: v if k in ("params", "ctx") else _walk(v, lang) for k, v in obj.items()}
    for k, codes in obj.items():
        if not (isinstance(k, str) and k.endswith("_codes") and isinstance(codes, list)):
            continue
        if not all(isinstance(c, dict) and "params" in c for c in codes):
            continue
        stem = k[:-len("_codes")]
        for target in (stem + "s", stem):
            texts = out.get(target)
            if isinstance(texts, list) and len(texts) == len(codes):
                out[target] = [render_coded(c, lang) if c.get("code") else t
                               for c, t in zip(codes, texts, strict=True)]
                break
            if isinstance(texts, str) and codes and all(c.get("code") for c in codes):
                out[target] = "; ".join(render_coded(c, lang) for c in codes)
                break
    code, params = obj.get("code"), obj.get("params")
    if isinstance(code, str) and isinstance(params, dict | type(None)) and has(code, lang):
        for key in _TEXT_KEYS:
            if isinstance(obj.get(key), str):
                out[key] = render(code, params or {}, lang)
                break
    return out


def validation_errors(errors: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """FastAPI's 422 items with ``msg`` rendered in ``lang`` (from ``code`` when an item has one,
    else from the pydantic ``type`` and ``ctx``); unchanged for English."""
    if lang == DEFAULT:
        return errors
    from reforge.messages import has, render
    out = []
    for e in errors:
        e = dict(e)
        code = e.get("code") if isinstance(e.get("code"), str) else f"api.validation.{e.get('type')}"
        if isinstance(e.get("msg"), str) and has(code, lang):
            ctx = e.get("ctx") if isinstance(e.get("ctx"), dict) else {}
            params = e.get("params") if isinstance(e.get("params"), dict) else \
                {k: ctx[k] for k in _CTX if k in ctx}
            e["msg"] = render(code, {"field": _field(e.get("loc")), "msg": e["msg"], **params}, lang)
        out.append(_walk(e, lang) if "code" in e else e)
    return out


def _field(loc: Any) -> str:
    """The field a validation error is about (last name of ``loc``)."""
    names = [str(x) for x in (loc or []) if isinstance(x, str) and x not in ("query", "path", "body", "header")]
    return names[-1] if names else ""


# fixed English details of HTTP errors raised without a code, and their codes
PLAIN = {"Not Found": "api.http.not_found", "Method Not Allowed": "api.http.method_not_allowed",
         "not authenticated": "api.http.not_authenticated", "Not authenticated": "api.http.not_authenticated",
         "not allowed": "api.http.forbidden", "no access": "api.http.forbidden",
         "analysis endpoints need the analyst or admin role": "api.http.analyst_only",
         "this needs the admin role": "api.http.admin_only",
         "this enterprise account has no firm": "api.http.no_firm"}


def render_detail(detail: Any, lang: str) -> Any:
    """An ``HTTPException.detail`` in ``lang``: a coded :class:`~reforge.messages.Message` or a
    known fixed text rendered, coded objects inside dicts/lists rendered; unchanged for English."""
    if lang == DEFAULT:
        return detail
    from reforge.messages import Message, has, render
    if isinstance(detail, Message):
        return detail.render(lang) if has(detail.code, lang) else str(detail)
    if isinstance(detail, str):
        code = PLAIN.get(detail)
        return render(code, {}, lang) if code and has(code, lang) else detail
    return _walk(detail, lang)


def coded(err: Exception) -> str:
    """The text of a library error as a :class:`~reforge.messages.Message` (English text kept)
    when its code is in the catalog, so an HTTP error detail can be rendered in the client's
    language; else ``str(err)``."""
    from reforge.messages import Message, has
    code = getattr(err, "code", None)
    if isinstance(code, str) and has(code):
        return Message(code, getattr(err, "params", None) or {}, str(err))
    return str(err)


__all__ = ["LANGS", "LangMiddleware", "RequestLang", "api_lang", "coded",
           "current_lang", "from_accept_language", "lang_of_scope", "localize", "render_detail",
           "validation_errors"]
