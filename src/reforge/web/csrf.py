"""CSRF protection of the dashboard's form posts (double-submit token, besides SameSite=Strict).

Every rendered page carries a random token, also set as an HttpOnly, SameSite=Strict cookie;
a POST from a form must send the same value in the hidden field ``csrf_token`` (plain forms) or
the ``X-CSRF-Token`` header (HTMX sends it from ``<body hx-headers>``). Another site can make
the browser send the cookie (for a same-site sub-domain) but cannot read the page, so it cannot
supply the matching field.
"""

from __future__ import annotations

import re
import secrets

from fastapi import Request, Response

COOKIE = "reforge_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class CsrfFailed(Exception):
    """A form post without the page's CSRF token."""


def token_for(request: Request) -> str:
    """The request's CSRF token: the cookie's when well-formed, else a new one (set by ``set_cookie``)."""
    cached = getattr(request.state, "csrf_token", None)
    if cached:
        return cached
    tok = request.cookies.get(COOKIE, "")
    if not _TOKEN.match(tok):
        tok = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_token = tok
    return tok


def set_cookie(request: Request, response: Response) -> None:
    """Send the token cookie when ``token_for`` made a new one for this request."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(COOKIE, request.state.csrf_token, httponly=True, samesite="strict", path="/")


def header_matches(request: Request) -> bool:
    """Whether the ``X-CSRF-Token`` header equals the (well-formed) token cookie."""
    cookie = request.cookies.get(COOKIE, "")
    sent = request.headers.get(HEADER, "")
    return bool(_TOKEN.match(cookie)) and secrets.compare_digest(cookie.encode(), sent.encode())


async def require_csrf(request: Request) -> None:
    """Dependency of every dashboard POST: CsrfFailed unless field/header equals the cookie."""
    cookie = request.cookies.get(COOKIE, "")
    sent = request.headers.get(HEADER, "")
    if not sent:
        form = await request.form()  # already parsed (and cached) for the route's Form parameters
        v = form.get(FIELD)
        sent = v if isinstance(v, str) else ""
    if not (_TOKEN.match(cookie) and secrets.compare_digest(cookie.encode(), sent.encode())):
        raise CsrfFailed()
