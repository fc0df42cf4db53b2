"""Sign-in, sign-out and the language switch of the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reforge.api.auth import ACCESS_TOKEN_SECONDS, User, create_access_token
from reforge.api.deps import COOKIE, optional_user, revoke_session
from reforge.web.i18n import DEFAULT_LANG, LANGS
from reforge.web.render import (
    CSRF,
    DBDep,
    render,
    router_for,
)

router = router_for()

# ---- sign-in and language ------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", None, next=next if next.startswith("/") else "/", error=None)


@router.post("/login", dependencies=CSRF)
def login_submit(request: Request, db: DBDep, username: Annotated[str, Form()] = "",
                 password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    from reforge.api.auth import LoginRefused
    from reforge.api.routers.auth import login_guard
    if not username or not password or len(username) > 64 or len(password) > 256:
        return render(request, "login.html", None, status_code=401, next=next, error="login.failed")
    try:  # limited per client/name, per client and globally before any hash (see LoginGuard)
        user = login_guard(request).login(db.reader, request.client.host if request.client else None,
                                          request.headers.get("x-forwarded-for"), username, password)
    except LoginRefused as r:
        resp = render(request, "login.html", None, status_code=r.status, next=next, error=r.code)
        resp.headers["Retry-After"] = str(r.retry_after)
        return resp
    if user is None:
        return render(request, "login.html", None, status_code=401, next=next, error="login.failed")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, create_access_token(user), max_age=ACCESS_TOKEN_SECONDS,
                    httponly=True, samesite="strict")
    return resp


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """A page with the sign-out button (signing out is a POST: a link or image cannot do it)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", user)


@router.post("/logout", dependencies=CSRF)
def logout(request: Request, db: DBDep, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """Revoke the session's token server-side, clear the cookie, go to the login page."""
    token = request.cookies.get(COOKIE)
    if user is not None and token:
        revoke_session(db, token, user.username)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/lang/{code}")
def set_lang(code: str, next: str = "/") -> Response:
    resp = RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", status_code=303)
    resp.set_cookie("lang", code if code in LANGS else DEFAULT_LANG, max_age=365 * 86400, samesite="lax")
    return resp
