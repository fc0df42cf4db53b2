"""Accounts, passwords and bearer tokens.

- Passwords: argon2id (argon2-cffi defaults), stored in ``users.password_hash``.
- Access tokens (OAuth2 password flow, ``POST /api/v1/auth/token``): an HMAC-SHA256
  signed payload ``{"sub", "exp"}``; the key is ``$REFORGE_SECRET_KEY`` or, when
  unset, random per server process (tokens then end with the process).
- API tokens for scripts: ``rf_`` + 32 random bytes, shown once; only their
  SHA-256 is stored in ``api_tokens`` (high-entropy secrets need no slow hash).
Both kinds go in the same ``Authorization: Bearer …`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from reforge.api.sql import rows
from reforge.engine.base import Engine
from reforge.errors import ReforgeError

ROLES = ("admin", "analyst", "enterprise")
ACCESS_TOKEN_SECONDS = 8 * 3600
API_TOKEN_PREFIX = "rf_"
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_hasher = PasswordHasher()
_SECRET = os.environ.get("REFORGE_SECRET_KEY", "").encode() or secrets.token_bytes(32)


@dataclass(frozen=True)
class User:
    """An authenticated account."""

    username: str
    role: str
    uscc: str | None = None

    def to_dict(self) -> dict:
        return {"username": self.username, "role": self.role, "uscc": self.uscc}


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(engine: Engine, username: str, password: str, role: str, uscc: str | None = None) -> User:
    """Create an account; ReforgeError on a bad role, name, short password or duplicate."""
    if role not in ROLES:
        raise ReforgeError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not _USERNAME.match(username or ""):
        raise ReforgeError("username must be 2-64 characters of letters, digits, _ . @ -")
    if len(password or "") < 8:
        raise ReforgeError("password must have at least 8 characters")
    if role == "enterprise" and not uscc:
        raise ReforgeError("an enterprise account needs --uscc (the enterprise it belongs to)")
    if role != "enterprise" and uscc:
        raise ReforgeError("only enterprise accounts have a uscc")
    if uscc and not engine.fetch_scalar(f"SELECT COUNT(*) FROM enterprises WHERE uscc = {_q(uscc)}"):
        raise ReforgeError(f"enterprise {uscc} is not in the database")
    if engine.fetch_scalar(f"SELECT COUNT(*) FROM users WHERE username = {_q(username)}"):
        raise ReforgeError(f"user {username!r} already exists")
    engine.execute(
        "INSERT INTO users (username, password_hash, role, uscc, created_at, active) VALUES "
        f"({_q(username)}, {_q(hash_password(password))}, {_q(role)}, "
        f"{_q(uscc) if uscc else 'NULL'}, CURRENT_TIMESTAMP, TRUE)")
    return User(username, role, uscc)


def list_users(engine: Engine) -> list[dict]:
    """All accounts (no hashes), by username."""
    df = engine.fetch_df("SELECT username, role, uscc, created_at, active FROM users ORDER BY username")
    return [{k: (None if v is None or v != v else v) for k, v in r.items()}
            for r in df.astype(object).to_dict(orient="records")]


def get_user(engine: Engine, username: str) -> User | None:
    """An active account by name."""
    rs = rows(engine, "SELECT username, role, uscc FROM users WHERE username = "
              f"{_q(username)} AND COALESCE(active, TRUE)")
    if not rs:
        return None
    r = rs[0]
    return User(str(r["username"]), str(r["role"]), r["uscc"] if isinstance(r["uscc"], str) else None)


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The account when the password is right, else None (same cost either way)."""
    df = engine.fetch_df("SELECT password_hash FROM users WHERE username = "
                         f"{_q(username)} AND COALESCE(active, TRUE)")
    if df.empty:
        verify_password(_DUMMY_HASH, password)  # equalise timing
        return None
    if not verify_password(str(df.iloc[0, 0]), password):
        return None
    return get_user(engine, username)


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def create_access_token(username: str, seconds: int = ACCESS_TOKEN_SECONDS) -> str:
    """A signed, expiring access token for ``username``."""
    body = _b64(json.dumps({"sub": username, "exp": int(time.time()) + seconds}).encode())
    sig = _b64(hmac.new(_SECRET, body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def read_access_token(token: str) -> str | None:
    """The username in a valid, unexpired access token, else None."""
    try:
        body, sig = token.split(".", 1)
        good = _b64(hmac.new(_SECRET, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, good):
            return None
        payload = json.loads(_unb64(body))
        if int(payload["exp"]) < time.time():
            return None
        return str(payload["sub"])
    except (ValueError, KeyError, TypeError):
        return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(engine: Engine, username: str, label: str | None = None,
                     days: int | None = 365) -> str:
    """A new API token for ``username`` (returned once; stored hashed)."""
    if get_user(engine, username) is None:
        raise ReforgeError(f"no active user {username!r}")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    exp = (f"TIMESTAMP '{(datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)):%Y-%m-%d %H:%M:%S}'"
           if days else "NULL")
    engine.execute(
        "INSERT INTO api_tokens (token_hash, username, created_at, expires_at, label) VALUES "
        f"({_q(_token_hash(token))}, {_q(username)}, CURRENT_TIMESTAMP, {exp}, "
        f"{_q(label) if label else 'NULL'})")
    return token


def user_from_bearer(engine: Engine, token: str) -> User | None:
    """The account behind an access token or API token, else None."""
    if token.startswith(API_TOKEN_PREFIX):
        name = engine.fetch_scalar(
            f"SELECT username FROM api_tokens WHERE token_hash = {_q(_token_hash(token))} "
            "AND (expires_at IS NULL OR expires_at > CURRENT_TIMESTAMP)")
        return get_user(engine, str(name)) if name else None
    name = read_access_token(token)
    return get_user(engine, name) if name else None


class RateLimiter:
    """Sliding-window limiter: at most ``limit`` attempts per ``window`` seconds per key."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record an attempt; None when allowed, else seconds until the next is allowed."""
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return q[0] + self.window - now
            q.append(now)
            return None
