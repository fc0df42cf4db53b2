"""Login (OAuth2 password flow), the current account, and account management (admin)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request, status
from pydantic import BaseModel, Field

from reforge.api import audit
from reforge.api.auth import (
    ACCESS_TOKEN_SECONDS,
    add_user,
    authenticate,
    create_access_token,
    create_api_token,
    list_users,
)
from reforge.api.deps import DB, Admin, CurrentUser, Engine
from reforge.errors import ReforgeError

router = APIRouter(tags=["auth"])


@router.post("/auth/token")
def login(request: Request, db: DB,
          username: Annotated[str, Form(min_length=1, max_length=64)],
          password: Annotated[str, Form(min_length=1, max_length=256)]) -> dict:
    """Exchange username and password for ``{"access_token", "token_type": "bearer", "expires_in"}``.

    At most 10 attempts per minute per client address and user name (429 beyond).
    """
    ip = request.client.host if request.client else "?"
    wait = request.app.state.login_limiter.hit(f"{ip}|{username}")
    if wait is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many login attempts; try again later",
                            headers={"Retry-After": str(int(wait) + 1)})
    with db.reader() as e:
        user = authenticate(e, username, password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return {"access_token": create_access_token(user.username), "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS}


@router.get("/auth/me")
def me(user: CurrentUser) -> dict:
    """The signed-in account: ``{"username", "role", "uscc"}``."""
    return user.to_dict()


class NewUser(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{2,64}$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal["admin", "analyst", "enterprise"]
    uscc: str | None = Field(default=None, min_length=18, max_length=18)


@router.get("/users")
def users(user: Admin, engine: Engine) -> list[dict]:
    """All accounts (admin)."""
    return list_users(engine)


@router.post("/users", status_code=201)
def create_user(body: NewUser, user: Admin, db: DB) -> dict:
    """Create an account (admin); audited."""
    with db.writer() as e:
        try:
            created = add_user(e, body.username, body.password, body.role, body.uscc)
        except ReforgeError as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None
        audit.record(e, user.username, "user.create", body.username, 1, {"role": body.role})
    return created.to_dict()


class NewToken(BaseModel):
    label: str | None = Field(default=None, max_length=100)
    days: int | None = Field(default=365, ge=1, le=3650)


@router.post("/users/{username}/tokens", status_code=201)
def create_token(username: str, body: NewToken, user: Admin, db: DB) -> dict:
    """Create an API token for ``username`` (admin); the token is shown once."""
    with db.writer() as e:
        try:
            tok = create_api_token(e, username, body.label, body.days)
        except ReforgeError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None
        audit.record(e, user.username, "token.create", username, 1, {"label": body.label})
    return {"username": username, "token": tok, "token_type": "bearer"}


@router.get("/audit")
def audit_log(user: Admin, engine: Engine, limit: int = 100, offset: int = 0) -> list[dict]:
    """Latest audit entries first (admin)."""
    return audit.entries(engine, min(max(limit, 1), 1000), max(offset, 0))
