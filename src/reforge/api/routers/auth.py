"""Login (OAuth2 password flow), logout, the current account, and account management (admin).

Errors carry ``{"detail", "code", "params"}``; ``detail`` is English, or Chinese when the
client asks for it (``lang=zh`` cookie or ``Accept-Language: zh…``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from reforge.api import audit
from reforge.api import auth as A
from reforge.api.contract import MAX_LIMIT, MAX_OFFSET, validation_item
from reforge.api.deps import COOKIE, DB, Admin, CurrentUser, Engine, bearer_token, revoke_session
from reforge.api.lang import api_lang
from reforge.api.models.admin import (
    AuditModel,
    LoginModel,
    NewTokenModel,
    RevokedModel,
    TokenModel,
    TokensRevokedModel,
    UserModel,
)
from reforge.api.models.base import plain
from reforge.errors import ReforgeError

router = APIRouter(tags=["auth"])

# error codes of these routes; texts in the catalogs as ``api.auth.<code>`` (str.format params)
CODES = ("login.failed", "login.rate_limited", "login.busy", "user.not_found", "user.invalid", "token.not_found")


def _lang(request: Request) -> str:
    return api_lang(request)


def error(request: Request, status_code: int, code: str, headers: dict[str, str] | None = None,
          **params: Any) -> JSONResponse:
    """``{"detail", "code", "params"}`` with ``status_code``; a 422's ``detail`` is the validation array
    of the API contract (one item with the same text, code and params)."""
    from reforge.messages import plain
    detail: Any = plain(f"api.auth.{code}", _lang(request), **params)
    if status_code == 422:
        detail = [validation_item(detail, code=code, params=params or None)]
    return JSONResponse({"detail": detail, "code": code, "params": params}, status_code=status_code,
                        headers=headers)


def login_guard(request: Request) -> A.LoginGuard:
    """The app's login guard (``create_app`` configures it; a default one otherwise)."""
    guard = getattr(request.app.state, "login_guard", None)
    if guard is None:
        guard = request.app.state.login_guard = A.LoginGuard()
    return guard


@router.post("/auth/token", response_model=LoginModel, response_model_exclude_unset=True)
def login(request: Request, db: DB,
          username: Annotated[str, Form(min_length=1, max_length=64)],
          password: Annotated[str, Form(min_length=1, max_length=256)]) -> Any:
    """Exchange username and password for ``{"access_token", "token_type": "bearer", "expires_in"}``.

    Limited before any password hashing: per client address and user name, per client address
    and over all clients (429 + ``Retry-After``); at most a few hashes run at once (503 +
    ``Retry-After`` when none frees up). The client address is the TCP peer unless the server
    is configured to trust a proxy's ``X-Forwarded-For``.
    """
    guard = login_guard(request)
    try:
        user = guard.login(db.reader, request.client.host if request.client else None,
                           request.headers.get("x-forwarded-for"), username, password)
    except A.LoginRefused as r:
        return error(request, r.status, r.code, {"Retry-After": str(r.retry_after)}, retry_after=r.retry_after)
    if user is None:
        return error(request, 401, "login.failed", {"WWW-Authenticate": "Bearer"})
    return {"access_token": A.create_access_token(user), "token_type": "bearer",
            "expires_in": A.ACCESS_TOKEN_SECONDS}


@router.post("/auth/logout", response_model=None, responses={200: {"model": RevokedModel}})
async def logout(request: Request, db: DB, user: CurrentUser) -> JSONResponse:
    """Revoke the presented token server-side (an access token or an API token) and clear the cookie."""
    ok = await run_in_threadpool(revoke_session, db, bearer_token(request), user.username)
    resp = JSONResponse({"revoked": ok})
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/auth/me", response_model=UserModel, response_model_exclude_unset=True)
def me(user: CurrentUser) -> dict:
    """The signed-in account: ``{"username", "role", "uscc", "region"}``."""
    return user.to_dict()


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


@router.post("/auth/password", response_model=TokensRevokedModel, response_model_exclude_unset=True)
def change_own_password(body: PasswordChange, request: Request, user: CurrentUser, db: DB) -> Any:
    """Change your own password (the current one is checked like a login); ends all your tokens."""
    guard = login_guard(request)
    try:
        ok = guard.login(db.reader, request.client.host if request.client else None,
                         request.headers.get("x-forwarded-for"), user.username, body.current_password)
        if ok is None:
            return error(request, 401, "login.failed", {"WWW-Authenticate": "Bearer"})
        with guard.hashing(), db.writer() as e:
            A.set_password(e, user.username, body.new_password)
            audit.record(e, user.username, "user.password", user.username, 1)
    except A.LoginRefused as r:
        return error(request, r.status, r.code, {"Retry-After": str(r.retry_after)}, retry_after=r.retry_after)
    return {"username": user.username, "tokens_revoked": True}


class NewUser(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{2,64}$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal["admin", "analyst", "enterprise"]
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    region: str | None = Field(default=None, pattern=r"^[1-8]\d{5}$",
                               description="GB/T 2260 code the account is limited to")


Username = Annotated[str, Path(min_length=1, max_length=64)]


def _lifecycle(request: Request, db: DB, admin: A.User, username: str, action: str, fn: Any,
               detail: dict | None = None) -> JSONResponse | None:
    """Run ``fn(engine)`` in a write with an audit row; 404 / 422 as JSON errors."""
    try:
        with db.writer() as e:
            A._existing(e, username)
            fn(e)
            audit.record(e, admin.username, action, username, 1, detail)
    except ReforgeError as err:
        if str(err).startswith("no user"):
            return error(request, 404, "user.not_found", username=username)
        return error(request, 422, "user.invalid", reason=str(err))
    finally:
        db.users.clear()
    return None


@router.get("/users", response_model=list[UserModel], response_model_exclude_unset=True)
def users(user: Admin, engine: Engine) -> list[dict]:
    """All accounts (admin)."""
    return plain(A.list_users(engine))


@router.post("/users", status_code=201, response_model=UserModel, response_model_exclude_unset=True)
def create_user(body: NewUser, user: Admin, request: Request, db: DB) -> Any:
    """Create an account (admin); audited."""
    try:
        with login_guard(request).hashing(), db.writer() as e:
            created = A.add_user(e, body.username, body.password, body.role, body.uscc, body.region)
            audit.record(e, user.username, "user.create", body.username, 1,
                         {"role": body.role, "region": body.region})
    except ReforgeError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None
    except A.LoginRefused as r:
        return error(request, r.status, r.code, {"Retry-After": str(r.retry_after)}, retry_after=r.retry_after)
    return plain(created.to_dict())


class UserChange(BaseModel):
    role: Literal["admin", "analyst", "enterprise"] | None = None
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    active: bool | None = None
    region: str | None = Field(default=None, pattern=r"^([1-8]\d{5})?$",
                               description="GB/T 2260 code; empty string unbinds")


@router.patch("/users/{username}", response_model=UserModel, response_model_exclude_unset=True)
def change_user(username: Username, body: UserChange, user: Admin, request: Request, db: DB) -> Any:
    """Change role (with ``uscc`` for an enterprise account), active flag or region (admin).

    Every change ends the account's tokens. The last active admin cannot be demoted or deactivated.
    """
    fields = body.model_dump(exclude_unset=True)

    def apply(e: Any) -> None:
        if "role" in fields and body.role is not None:
            A.set_role(e, username, body.role, body.uscc)
        if "region" in fields:
            A.set_region(e, username, body.region or None)
        if "active" in fields and body.active is not None:
            A.set_active(e, username, body.active)

    err = _lifecycle(request, db, user, username, "user.change", apply,
                     {k: v for k, v in fields.items()})
    if err is not None:
        return err
    with db.reader() as e:
        rs = [u for u in A.list_users(e) if u["username"] == username]
    return plain(rs[0])


@router.delete("/users/{username}", status_code=204)
def delete_user(username: Username, user: Admin, request: Request, db: DB) -> Response:
    """Delete an account and its API tokens (admin); its access tokens stop working at once."""
    err = _lifecycle(request, db, user, username, "user.delete", lambda e: A.delete_user(e, username))
    return err if err is not None else Response(status_code=204)


class NewPassword(BaseModel):
    password: str = Field(min_length=8, max_length=256)


@router.put("/users/{username}/password", response_model=TokensRevokedModel, response_model_exclude_unset=True)
def set_password(username: Username, body: NewPassword, user: Admin, request: Request, db: DB) -> Any:
    """Set an account's password (admin); ends its tokens."""
    try:
        with login_guard(request).hashing():
            err = _lifecycle(request, db, user, username, "user.password",
                             lambda e: A.set_password(e, username, body.password))
    except A.LoginRefused as r:
        return error(request, r.status, r.code, {"Retry-After": str(r.retry_after)}, retry_after=r.retry_after)
    return err if err is not None else {"username": username, "tokens_revoked": True}


class NewToken(BaseModel):
    label: str | None = Field(default=None, max_length=100)
    days: int | None = Field(default=365, ge=1, le=3650)


@router.post("/users/{username}/tokens", status_code=201, response_model=NewTokenModel, response_model_exclude_unset=True)
def create_token(username: Username, body: NewToken, user: Admin, db: DB) -> dict:
    """Create an API token for ``username`` (admin); the token is shown once."""
    with db.writer() as e:
        try:
            tok = A.create_api_token(e, username, body.label, body.days)
        except ReforgeError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None
        audit.record(e, user.username, "token.create", username, 1, {"label": body.label})
    return {"username": username, "token": tok, "token_type": "bearer"}


@router.get("/users/{username}/tokens", response_model=list[TokenModel], response_model_exclude_unset=True)
def list_tokens(username: Username, user: Admin, engine: Engine, request: Request) -> Any:
    """The account's API tokens (admin): ``token_id``, ``label``, times (UTC), ``valid``; never the secret.
    404 for an account that does not exist (or no longer does)."""
    if not A.user_exists(engine, username):
        return error(request, 404, "user.not_found", username=username)
    return plain(A.list_api_tokens(engine, username))


@router.delete("/users/{username}/tokens", response_model=TokensRevokedModel, response_model_exclude_unset=True)
def revoke_all_tokens(username: Username, user: Admin, request: Request, db: DB) -> Any:
    """End every access and API token of the account (admin); the account stays."""
    err = _lifecycle(request, db, user, username, "token.revoke_all", lambda e: A.revoke_all(e, username))
    return err if err is not None else {"username": username, "tokens_revoked": True}


@router.delete("/users/{username}/tokens/{token_id}", status_code=204)
def revoke_one_token(username: Username, token_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")],
                     user: Admin, request: Request, db: DB) -> Response:
    """Revoke one API token of the account by its ``token_id`` (admin)."""
    with db.writer() as e:
        n = A.revoke_api_token(e, token_id, username)
        if n:
            audit.record(e, user.username, "token.revoke", username, n, {"token_id": token_id})
    db.users.clear()
    if not n:
        return error(request, 404, "token.not_found", username=username, token_id=token_id)
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditModel], response_model_exclude_unset=True)
def audit_log(user: Admin, engine: Engine,
              limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
              offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[dict]:
    """Latest audit entries first (admin); 422 outside the bounds (an offset beyond 64 bits was a 500)."""
    return plain(audit.entries(engine, limit, offset))
