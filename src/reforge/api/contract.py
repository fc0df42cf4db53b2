"""The HTTP contract shared by every route: error bodies, documented error responses, bounds.

- 422 bodies always have FastAPI's ``HTTPValidationError`` shape, ``{"detail": [{"loc", "msg",
  "type", ...}]}``; a body that cannot be decoded (FastAPI's 400) is a 422 ``json_invalid``; an error raised by the library (``ReforgeError``, ``EngineError``) or an
  ``HTTPException(422, "text")`` becomes one such item, with the library's ``code`` and
  ``params`` beside the English ``msg`` so a face can translate it.
- ``document_errors``: 401/403/404/413/422/429/503 responses added to the OpenAPI document of every route
  that can answer them (found from its dependencies and path), so no route can forget them.
- 405 answers carry an ``Allow`` header listing every method any route serves at that path
  (Starlette lists only the methods of the first route whose path matched).
- ``MAX_PAGE``/``MAX_OFFSET``/``MAX_LIMIT``: bounds of paging parameters (beyond them the
  offset overflows the engine's 64-bit integers).
- ``content_disposition``: an attachment header for any file name (RFC 6266/5987).
- ``check_secret_key``: ``$REFORGE_SECRET_KEY``, when set, must have at least 32 bytes.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from reforge.api.lang import api_lang, render_detail, validation_errors

MIN_SECRET_BYTES = 32
MAX_PAGE = 1_000_000
MAX_OFFSET = 1_000_000_000
MAX_LIMIT = 1000


_MESSAGE = {"type": "object", "title": "ErrorMessage", "required": ["detail"],
            "properties": {"detail": {"title": "Detail", "anyOf": [
                {"type": "string"}, {"type": "array", "items": {"type": "object"}}, {"type": "object"}]}}}
def _resp(description: str, schema: dict) -> dict[str, Any]:
    # an inline schema, not a ``model``: routes are documented after FastAPI built their fields
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR_401 = {"401": _resp("Not authenticated (missing, expired or revoked token)", _MESSAGE)}
ERR_403 = {"403": _resp("The account's role may not use this endpoint", _MESSAGE)}
ERR_404 = {"404": _resp("Not found (or not visible to this account)", _MESSAGE)}
_CODED = {"type": "object", "title": "CodedError", "required": ["detail", "code", "params"],
          "properties": {"detail": {"type": "string", "title": "Detail", "description": "in the client's language"},
                         "code": {"type": "string", "title": "Code"},
                         "params": {"type": "object", "title": "Params"}}}
_RETRY = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
ERR_413 = {"413": _resp("The request body is larger than this route accepts (code body_too_large, params "
                        "limit in bytes); sent before the body is read", _CODED)}
ERR_429 = {"429": {**_resp("This account's analysis rate is exceeded (code rate_limited)", _CODED),
                   "headers": _RETRY}}
ERR_503_OVERLOAD = {"503": {**_resp("Too many analyses are running or queued (code overloaded), or the "
                                    "database is being written by an import or a CLI command (detail.code "
                                    "database_busy)", _MESSAGE), "headers": _RETRY}}
ERR_503_BUSY = {"503": {**_resp("The database is being written by an import or a CLI command and was not free "
                                "in time (detail.code database_busy)", _MESSAGE), "headers": _RETRY}}


def validation_item(msg: str, *, loc: list | None = None, type_: str = "value_error",
                    code: str | None = None, params: dict | None = None) -> dict[str, Any]:
    """One item of a 422 ``detail`` array (``loc``, ``msg``, ``type`` plus ``code``/``params``)."""
    item: dict[str, Any] = {"loc": list(loc or []), "msg": msg, "type": type_}
    if code:
        item["code"] = code
    if params:
        item["params"] = params
    return item


def error_detail(exc: Exception) -> list[dict[str, Any]]:
    """The 422 ``detail`` array for a library error (its ``code``/``params`` when it has them)."""
    from reforge.api.capabilities import jsonable
    code = getattr(exc, "code", None)
    params = getattr(exc, "params", None)
    return [validation_item(str(exc), code=code if isinstance(code, str) else None,
                            params=jsonable(params) if isinstance(params, dict) and params else None)]


def _as_items(detail: Any) -> list[dict[str, Any]]:
    """``detail`` of an ``HTTPException(422, …)`` as a validation array (a list of items stays)."""
    if isinstance(detail, list) and all(isinstance(d, dict) and "msg" in d for d in detail):
        return [{**d, "loc": list(d.get("loc") or []), "type": d.get("type") or "value_error"} for d in detail]
    if isinstance(detail, dict) and "msg" in detail:
        return _as_items([detail])
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):  # {code, params, message}
        text = detail.get("message") or detail.get("detail") or detail["code"]
        return [validation_item(str(text), loc=detail.get("loc"), code=detail["code"],
                                params=detail.get("params") if isinstance(detail.get("params"), dict) else None)]
    return [validation_item(str(detail))]


def route_index(app: FastAPI) -> list[tuple[str, set[str], Any]]:
    """``(path, methods, route)`` of every HTTP route of ``app``, included routers flattened."""
    try:  # FastAPI >= 0.16x includes routers lazily: flatten through its route contexts
        from fastapi.routing import iter_route_contexts
        found = [(c.path, c.methods, c.original_route) for c in iter_route_contexts(app.routes)]
    except ImportError:
        found = [(getattr(r, "path", None), getattr(r, "methods", None), r) for r in app.routes]
    return [(p, set(m), r) for p, m, r in found if p and m]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route of ``app`` serves at ``path`` (sorted)."""
    table = getattr(app.state, "_allow_table", None)
    if table is None:
        table = app.state._allow_table = [(compile_path(p)[0], m) for p, m, _ in route_index(app)]
    out: set[str] = set()
    for regex, methods in table:
        if regex.match(path):
            out |= methods
    return sorted(out)


def document_errors(app: FastAPI) -> None:
    """Declare 401/403/404/413/422/429/503 in the OpenAPI document of every API route that can
    answer them.

    401: the route depends on the signed-in user; 403: on a role check; 404: its path names a
    resource; 413: it takes a body (POST/PUT/PATCH; ``reforge.api.limits``); 422: every route (a
    library error, e.g. missing data); 429 and 503 "overloaded": an analysis route
    (``reforge.api.overload.ANALYSIS_PATHS``); 503 "database busy": it reads the database.
    The document is post-processed (the routes themselves are left as they are).
    """
    from reforge.api import deps
    from reforge.api.overload import ANALYSIS_PATHS

    role_checks = {deps.analyst, deps.admin}
    build = app.openapi

    def calls(dependant: Any) -> set:
        out = {dependant.call}
        for d in dependant.dependencies:
            out |= calls(d)
        return out

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path, methods, route in route_index(app):
            ops = schema.get("paths", {}).get(path)
            dependant = getattr(route, "dependant", None)
            if not ops or dependant is None:
                continue
            used = calls(dependant)
            extra: dict[str, dict[str, Any]] = {}
            if deps.current_user in used:
                extra.update(ERR_401)
            if used & role_checks:
                extra.update(ERR_403)
            if "{" in path:
                extra.update(ERR_404)
            if ANALYSIS_PATHS.match(path):
                extra.update(ERR_429)
                extra.update(ERR_503_OVERLOAD)
            elif deps.get_db in used:
                extra.update(ERR_503_BUSY)
            for m in methods:
                op = ops.get(m.lower())
                if op is not None and "HTTPValidationError" in schema.get("components", {}).get("schemas", {}):
                    # library errors answer 422 on any route, with the same body as a bad parameter
                    op.setdefault("responses", {}).setdefault("422", {
                        "description": "Validation Error", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}})
                if op is not None:
                    responses = op.setdefault("responses", {})
                    for code, body in {**extra, **(ERR_413 if m in ("POST", "PUT", "PATCH") else {})}.items():
                        responses.setdefault(code, copy.deepcopy(body))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _lang(request: Request) -> str:
    """The language of an error body: the request's under ``/api/``, English elsewhere (the
    dashboard renders its own error pages)."""
    return api_lang(request) if request.url.path.startswith("/api/") else "en"


def install_contract(app: FastAPI) -> None:
    """422 bodies as arrays for library errors and string 422s; complete ``Allow`` on 405;
    documented error responses (call after the API routers are included)."""
    from reforge.engine.base import EngineError

    document_errors(app)
    from reforge.errors import ReforgeError

    # texts in the request's language (reforge.api.lang): coded items and known fixed details
    # rendered here, the rest of a JSON body by LangMiddleware; English bodies are unchanged
    @app.exception_handler(ReforgeError)
    async def _user_error(request: Request, exc: ReforgeError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(error_detail(exc), _lang(request))}, status_code=422)

    @app.exception_handler(EngineError)
    async def _engine_error(request: Request, exc: EngineError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(error_detail(exc), _lang(request))}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(jsonable_encoder(exc.errors()), _lang(request))},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        lang = _lang(request)
        if exc.status_code == 400 and exc.detail == _UNPARSABLE:   # a body that is not text (bad UTF-8)
            item = validation_item("JSON decode error", loc=["body"], type_="json_invalid")
            return JSONResponse({"detail": validation_errors([item], lang)}, status_code=422)
        if exc.status_code == 422:
            return JSONResponse({"detail": validation_errors(_as_items(exc.detail), lang)}, status_code=422,
                                headers=getattr(exc, "headers", None))
        headers = exc.headers
        if exc.status_code == 405:
            allow = allowed_methods(request.app, request.scope["path"])
            if allow:
                headers = {**(exc.headers or {}), "Allow": ", ".join(allow)}
        return await http_exception_handler(
            request, HTTPException(exc.status_code, render_detail(exc.detail, lang), headers=headers))


_UNPARSABLE = "There was an error parsing the body"   # FastAPI's 400 for a body it cannot decode


_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` for any file name.

    HTTP headers are Latin-1: a Chinese name goes in ``filename*`` (RFC 5987), with an ASCII
    fallback (unsafe characters replaced by ``_``) for old clients.
    """
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    fallback = re.sub(r"[-_]*_[-_]*", "_", _UNSAFE_ASCII.sub("_", stem)).strip("_") or "download"
    fallback += ("." + _UNSAFE_ASCII.sub("", ext)) if ext else ""
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def check_secret_key(value: str | None = None) -> None:
    """ReforgeError unless the token-signing key (``$REFORGE_SECRET_KEY``) is unset or >= 32 bytes.

    Unset means a random key per server process (tokens end with the process). A short key can be
    guessed offline from one token and then signs an admin token.
    """
    from reforge.errors import ReforgeError
    if value is None:
        from reforge.settings import get_settings
        secret = get_settings().secret_key
        key = secret.get_secret_value() if secret is not None else None
    else:
        key = value
    if key is None or key == "":
        return
    n = len(key.encode())
    if n < MIN_SECRET_BYTES:
        raise ReforgeError(
            f"REFORGE_SECRET_KEY has {n} bytes; it needs at least {MIN_SECRET_BYTES} bytes of random text "
            "(e.g. `python -c \"import secrets; print(secrets.token_urlsafe(48))\"`), or unset it for a "
            "random key per server process", code="config.secret_key_short",
            params={"bytes": n, "minimum": MIN_SECRET_BYTES})
