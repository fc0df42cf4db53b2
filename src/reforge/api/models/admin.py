"""Response models of health, accounts, tokens and the audit log."""

from __future__ import annotations

from typing import Any

from reforge.api.models.base import Open


class HealthModel(Open):
    """``{"status": "ok", "schema_version", "enterprises"}``."""

    status: str
    schema_version: int | None = None
    enterprises: int | None = None
    pages_ready: bool | None = None


class LoginModel(Open):
    """A fresh access token: ``{"access_token", "token_type": "bearer", "expires_in"}`` (seconds)."""

    access_token: str
    token_type: str
    expires_in: int | None = None


class RevokedModel(Open):
    """``{"revoked": true|false}``: whether the presented token was revoked."""

    revoked: bool


class UserModel(Open):
    """An account (no password hash): role ``admin|analyst|enterprise``; ``region`` a GB/T 2260 code."""

    username: str
    role: str
    uscc: str | None = None
    region: str | None = None
    created_at: str | None = None
    active: bool | None = None


class TokensRevokedModel(Open):
    """``{"username", "tokens_revoked": true}``."""

    username: str
    tokens_revoked: bool


class NewTokenModel(Open):
    """An API token, shown once: ``{"username", "token", "token_type": "bearer"}``."""

    username: str
    token: str
    token_type: str


class TokenModel(Open):
    """An API token of an account (``token_id``: first 12 hex digits of its hash; times UTC)."""

    token_id: str
    username: str | None = None
    label: str | None = None
    created_at: str | None = None
    expires_at: str | None = None
    valid: bool | None = None


class AuditModel(Open):
    """An audit-log entry (``at``: UTC time; ``rows``: rows written; ``detail``: JSON object)."""

    id: int
    at: str | None = None
    username: str | None = None
    action: str | None = None
    target: str | None = None
    rows: int | None = None
    detail: Any = None


__all__ = ["AuditModel", "HealthModel", "LoginModel", "NewTokenModel", "RevokedModel", "TokenModel",
           "TokensRevokedModel", "UserModel"]
