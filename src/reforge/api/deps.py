"""FastAPI dependencies: the database, the current user and role checks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from reforge.api.auth import User, user_from_bearer
from reforge.api.db import CursorEngine, Database
from reforge.messages import Message

COOKIE = "reforge_token"


async def get_db(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


def get_engine(db: Annotated[Database, Depends(get_db)]) -> Iterator[CursorEngine]:
    """A per-request read engine (a cursor on the shared connection)."""
    with db.reader() as e:
        yield e


def bearer_token(request: Request) -> str | None:
    """The bearer token from the Authorization header, else the dashboard's cookie.

    The cookie does not authenticate a state-changing API request (POST, PUT, PATCH, DELETE under
    ``/api/``) unless it carries the dashboard's CSRF token in ``X-CSRF-Token`` (the browser sends
    the cookie to any request another page makes; only our own pages know the token).
    """
    h = request.headers.get("authorization", "")
    if h.lower().startswith("bearer "):
        return h[7:].strip() or None
    tok = request.cookies.get(COOKIE) or None
    if tok and request.method not in ("GET", "HEAD", "OPTIONS") and request.url.path.startswith("/api/"):
        from reforge.web.csrf import header_matches
        if not header_matches(request):
            return None
    return tok


USER_CACHE_SECONDS = 30.0


async def optional_user(request: Request, db: Annotated[Database, Depends(get_db)]) -> User | None:
    """The signed-in user or None (looked up at most every 30 s per token; writes clear the cache).

    Async so that the usual case (a cached token) costs no thread-pool hop; a lookup runs in the
    thread pool.
    """
    tok = bearer_token(request)
    if not tok:
        return None
    now = time.monotonic()
    hit = db.users.get(tok)
    if hit is not None and hit[1] > now:
        return hit[0]
    # A write (revocation, role change, delete …) clears ``db.users``, the epoch marker with it:
    # a lookup that overlapped a write is not cached, so no revoked token survives in the cache.
    epoch = db.users.setdefault(_EPOCH, object())
    user = await run_in_threadpool(_lookup, db, tok)
    if user is not None and db.users.get(_EPOCH) is epoch:
        if len(db.users) > 10000:
            db.users.clear()
            db.users[_EPOCH] = epoch
        db.users[tok] = (user, now + USER_CACHE_SECONDS)
    return user


_EPOCH = "\0epoch"  # not a token (tokens are URL-safe text)


def revoke_session(db: Database, token: str | None, actor: str | None = None) -> bool:
    """Log out: revoke the presented access or API token server-side (effective at once); audited.

    True when ``token`` was a valid token. For the API and the dashboard's logout.
    """
    if not token:
        return False
    from reforge.api import audit
    from reforge.api.auth import revoke_token
    with db.writer() as e:
        ok = revoke_token(e, token)
        if ok:
            audit.record(e, actor, "token.revoke", actor, 1, {"how": "logout"})
    db.users.clear()
    return ok


def _lookup(db: Database, tok: str) -> User | None:
    with db.reader() as e:  # not quick(): a handler may hold the quick lock already
        return user_from_bearer(e, tok)


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user; 401 otherwise."""
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


async def analyst(user: Annotated[User, Depends(current_user)]) -> User:
    """An analyst or admin; enterprise accounts get 403 (analysis endpoints)."""
    if user.role not in ("analyst", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "analysis endpoints need the analyst or admin role")
    return user


async def admin(user: Annotated[User, Depends(current_user)]) -> User:
    """An admin; others get 403."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return user


def region_scope(user: User) -> str | None:
    """The GB/T 2260 region limiting what ``user`` sees of enterprises, or None for all.

    Admins, unbound accounts and province-level codes (``xx0000``: the deployment is one province)
    see all; enterprise accounts are limited to their own firm by ``check_enterprise_access``.
    """
    r = user.region
    if not r or user.role in ("admin", "enterprise") or r.endswith("0000"):
        return None
    return r


def withhold_from_region(user: User) -> None:
    """403 ``scope.withheld`` for a region-bound account (:func:`region_scope`): the result counts
    firms of every region and cannot be split by region (programme outcomes, personnel flows,
    platform usage)."""
    if (scope := region_scope(user)) is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, {
            "code": "scope.withheld", "params": {"region": scope},
            "msg": "Not shown to region-bound accounts: these figures count firms of every region."})


def check_region_access(engine: CursorEngine, user: User, uscc: str) -> None:
    """404 (not 403, to not leak) when ``uscc`` lies outside the user's region."""
    from reforge.api.enterprise_queries import in_region
    scope = region_scope(user)
    if scope is not None and not in_region(engine, uscc, scope):
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            Message("api.not_found.enterprise", {"uscc": uscc}, f"enterprise {uscc} not found"))


def check_region_access_db(db: Database, user: User, uscc: str) -> None:
    """``check_region_access`` on a reader of ``db`` (for handlers that hold no engine)."""
    if region_scope(user) is not None:
        with db.reader() as e:
            check_region_access(e, user, uscc)


def check_enterprise_access(user: User, uscc: str) -> None:
    """An enterprise account may see only its own enterprise: others are 404 (not 403, to not leak)."""
    if user.role == "enterprise" and user.uscc != uscc:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            Message("api.not_found.enterprise", {"uscc": uscc}, f"enterprise {uscc} not found"))


Engine = Annotated[CursorEngine, Depends(get_engine)]
# NB: no dependency holds ``Database.quick()``: a lock held across a yield dependency can starve the
# thread pool (every worker waiting for the lock while its holder waits for a worker to exit).
# Handlers take ``with db.quick() as e:`` around their query instead.
DB = Annotated[Database, Depends(get_db)]
CurrentUser = Annotated[User, Depends(current_user)]
Analyst = Annotated[User, Depends(analyst)]
Admin = Annotated[User, Depends(admin)]
