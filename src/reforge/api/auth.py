"""Accounts, passwords, bearer tokens, their lifecycle, and the login guard.

- Passwords: argon2id (argon2-cffi defaults), stored in ``users.password_hash``.
- Every account has a ``user_id`` (a random UUID, never reused, so a re-created name is a new
  account) and a ``token_version`` (bumped by a password, role, region or active change, by a
  delete and by "revoke all tokens"): a token carries both and is valid only while they match.
- Access tokens (OAuth2 password flow, ``POST /api/v1/auth/token``): an HMAC-SHA256
  signed payload ``{"sub", "uid", "ver", "jti", "exp"}``; the key is ``$REFORGE_SECRET_KEY``
  or, when unset, random per server process (tokens then end with the process). Logging out
  records the token's ``jti`` in ``revoked_tokens`` until it would have expired.
- API tokens for scripts: ``rf_`` + 32 random bytes, shown once; only their SHA-256 is
  stored in ``api_tokens`` (high-entropy secrets need no slow hash) with the owner's
  ``user_id`` and ``token_version``. Their ``token_id`` is the first 12 hex digits of the hash.
Both kinds go in the same ``Authorization: Bearer …`` header.

Times are naive UTC ``TIMESTAMP`` values computed here and bound as parameters (never
``CURRENT_TIMESTAMP``, whose meaning depends on the session time zone).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from reforge.engine.base import Engine
from reforge.errors import ReforgeError

ROLES = ("admin", "analyst", "enterprise")
ACCESS_TOKEN_SECONDS = 8 * 3600
API_TOKEN_PREFIX = "rf_"
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_REGION = re.compile(r"^[1-8]\d{5}$")
_hasher = PasswordHasher()
_RANDOM_SECRET = secrets.token_bytes(32)  # used when $REFORGE_SECRET_KEY is unset: tokens end with the process


def _secret() -> bytes:
    """The token-signing key: ``$REFORGE_SECRET_KEY`` (:mod:`reforge.settings`) or this process's random key."""
    from reforge.settings import get_settings
    return get_settings().secret_bytes() or _RANDOM_SECRET


def __getattr__(name: str) -> Any:
    """``_SECRET``: the signing key now in force (kept for callers of the former constant)."""
    if name == "_SECRET":
        return _secret()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class User:
    """An authenticated account. ``region``: GB/T 2260 code the account is scoped to, or None."""

    username: str
    role: str
    uscc: str | None = None
    user_id: str | None = None
    token_version: int = 0
    region: str | None = None

    def to_dict(self) -> dict:
        return {"username": self.username, "role": self.role, "uscc": self.uscc, "region": self.region}


def utc_now() -> datetime:
    """The current time as a naive UTC datetime (the form stored in TIMESTAMP columns)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(v: Any) -> Any:
    """A stored naive-UTC datetime as an aware one (ISO text ends ``+00:00``); others unchanged."""
    if isinstance(v, datetime) and v.tzinfo is None:
        return v.replace(tzinfo=UTC)
    return v


def _all(engine: Engine, sql: str, params: list | None = None) -> list[tuple]:
    return engine.fetch_rows(sql, params or None)


def _run(engine: Engine, sql: str, params: list | None = None) -> None:
    engine.execute(sql, params or None)


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_password(password: str) -> None:
    if len(password or "") < 8:
        raise ReforgeError("password must have at least 8 characters")
    if len(password) > 256:
        raise ReforgeError("password must have at most 256 characters")


def check_region(region: str | None) -> str | None:
    """A GB/T 2260 six-digit region code (province ``xx0000``, prefecture ``xxxx00``, county) or None."""
    if region is None or region == "":
        return None
    if not _REGION.match(region):
        raise ReforgeError(f"region must be a six-digit GB/T 2260 code such as 320500, not {region!r}")
    return region


def _check_role(engine: Engine, role: str, uscc: str | None) -> None:
    if role not in ROLES:
        raise ReforgeError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "enterprise" and not uscc:
        raise ReforgeError("an enterprise account needs the uscc of the enterprise it belongs to",
                           code="auth.enterprise_needs_uscc")
    if role != "enterprise" and uscc:
        raise ReforgeError("only enterprise accounts have a uscc")
    if uscc and not _all(engine, "SELECT 1 FROM enterprises WHERE uscc = ?", [uscc]):
        raise ReforgeError(f"enterprise {uscc} is not in the database")


def add_user(engine: Engine, username: str, password: str, role: str, uscc: str | None = None,
             region: str | None = None) -> User:
    """Create an account; ReforgeError on a bad role, name, region, short password or duplicate."""
    if not _USERNAME.match(username or ""):
        raise ReforgeError("username must be 2-64 characters of letters, digits, _ . @ -")
    _check_role(engine, role, uscc)
    region = check_region(region)
    _check_password(password)
    if _all(engine, "SELECT 1 FROM users WHERE username = ?", [username]):
        raise ReforgeError(f"user {username!r} already exists")
    uid = str(uuid.uuid4())
    now = utc_now()
    _run(engine, "INSERT INTO users (username, password_hash, role, uscc, created_at, active, user_id, "
                 "token_version, region, updated_at) VALUES (?, ?, ?, ?, ?, TRUE, ?, 1, ?, ?)",
         [username, hash_password(password), role, uscc, now, uid, region, now])
    return User(username, role, uscc, uid, 1, region)


def list_users(engine: Engine) -> list[dict]:
    """All accounts (no hashes), by username; times are aware UTC (also on a not yet migrated file)."""
    region = "region" if "region" in engine.columns("users") else "NULL AS region"
    rows = engine.fetch_records(f"SELECT username, role, uscc, {region}, created_at, "
                                "COALESCE(active, TRUE) AS active FROM users ORDER BY username")
    return [{k: as_utc(v) for k, v in r.items()} for r in rows]


_USER_COLS = "username, role, uscc, user_id, COALESCE(token_version, 0), region"


def _user(r: tuple) -> User:
    return User(str(r[0]), str(r[1]), r[2] if isinstance(r[2], str) else None,
                r[3], int(r[4]), r[5] if isinstance(r[5], str) else None)


def user_exists(engine: Engine, username: str) -> bool:
    """Whether an account named ``username`` exists (active or not)."""
    return bool(engine.fetch_scalar("SELECT COUNT(*) FROM users WHERE username = ?", [username]))


def get_user(engine: Engine, username: str) -> User | None:
    """An active account by name."""
    rs = _all(engine, f"SELECT {_USER_COLS} FROM users WHERE username = ? AND COALESCE(active, TRUE)",
              [username])
    return _user(rs[0]) if rs else None


def _existing(engine: Engine, username: str) -> tuple:
    """(role, uscc, active) of an account, active or not; ReforgeError when absent."""
    rs = _all(engine, "SELECT role, uscc, COALESCE(active, TRUE) FROM users WHERE username = ?", [username])
    if not rs:
        raise ReforgeError(f"no user {username!r}")
    return rs[0]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The account when the password is right, else None (one argon2 verification either way)."""
    rs = _all(engine, "SELECT password_hash FROM users WHERE username = ? AND COALESCE(active, TRUE)",
              [username])
    if not rs:
        verify_password(_DUMMY_HASH, password)  # equalise timing: unknown names cost one hash too
        return None
    if not verify_password(str(rs[0][0]), password):
        return None
    return get_user(engine, username)


_DUMMY_HASH = _hasher.hash("not-a-real-password")


# ---- lifecycle --------------------------------------------------------------------------------

def _active_admins(engine: Engine) -> int:
    return int(_all(engine, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND COALESCE(active, TRUE)")[0][0])


def _keep_an_admin(engine: Engine, username: str) -> None:
    """ReforgeError when ``username`` is the last active admin (the change would lock everyone out)."""
    role, _, active = _existing(engine, username)
    if role == "admin" and active and _active_admins(engine) <= 1:
        raise ReforgeError(f"{username!r} is the last active admin; create or activate another admin first")


def _bump(engine: Engine, username: str, sets: str = "", params: list | None = None) -> None:
    """Apply ``sets`` (``col = ?, …``) and invalidate every token of the account."""
    extra = f"{sets}, " if sets else ""
    _run(engine, f"UPDATE users SET {extra}token_version = COALESCE(token_version, 0) + 1, updated_at = ? "
                 "WHERE username = ?", [*(params or []), utc_now(), username])


def set_active(engine: Engine, username: str, active: bool) -> None:
    """Activate or deactivate an account; deactivating ends all its tokens."""
    if not active:
        _keep_an_admin(engine, username)
    else:
        _existing(engine, username)
    _bump(engine, username, "active = ?", [bool(active)])


def delete_user(engine: Engine, username: str) -> None:
    """Delete an account and its API tokens (its access tokens die with its user_id)."""
    _keep_an_admin(engine, username)
    _run(engine, "DELETE FROM api_tokens WHERE username = ? OR user_id IN "
                 "(SELECT user_id FROM users WHERE username = ?)", [username, username])
    _run(engine, "DELETE FROM users WHERE username = ?", [username])


def set_role(engine: Engine, username: str, role: str, uscc: str | None = None) -> None:
    """Change the role (and the enterprise of an enterprise account); ends all its tokens."""
    old_role, _, _ = _existing(engine, username)
    _check_role(engine, role, uscc)
    if old_role == "admin" and role != "admin":
        _keep_an_admin(engine, username)
    _bump(engine, username, "role = ?, uscc = ?", [role, uscc])


def set_password(engine: Engine, username: str, password: str) -> None:
    """Set a new password; ends all the account's tokens."""
    _existing(engine, username)
    _check_password(password)
    _bump(engine, username, "password_hash = ?", [hash_password(password)])


def set_region(engine: Engine, username: str, region: str | None) -> None:
    """Bind the account to a GB/T 2260 region (None: unbound); ends all its tokens."""
    _existing(engine, username)
    _bump(engine, username, "region = ?", [check_region(region)])


def revoke_all(engine: Engine, username: str) -> None:
    """End every access and API token of the account (the account itself stays)."""
    _existing(engine, username)
    _bump(engine, username)


# ---- access tokens ----------------------------------------------------------------------------

def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def create_access_token(user: User, seconds: int = ACCESS_TOKEN_SECONDS) -> str:
    """A signed access token for ``user`` valid ``seconds`` (bound to its user_id and token_version)."""
    if not isinstance(user, User) or not user.user_id:
        raise TypeError("create_access_token needs the User returned by authenticate/get_user")
    payload = {"sub": user.username, "uid": user.user_id, "ver": user.token_version,
               "jti": secrets.token_urlsafe(12), "exp": int(time.time()) + int(seconds)}
    body = _b64(json.dumps(payload).encode())
    sig = _b64(hmac.new(_secret(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def read_access_token(token: str, now: float | None = None) -> dict | None:
    """The payload of a well-signed, unexpired access token, else None (``now``: Unix seconds)."""
    try:
        body, sig = token.split(".", 1)
        good = _b64(hmac.new(_secret(), body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, good):
            return None
        payload = json.loads(_unb64(body))
        exp = payload["exp"]
        if not isinstance(exp, int | float) or not math.isfinite(exp):
            return None
        if exp < (time.time() if now is None else now):
            return None
        for k in ("sub", "uid", "jti"):
            if not isinstance(payload.get(k), str):
                return None
        if not isinstance(payload.get("ver"), int):
            return None
        return payload
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError, OverflowError):
        return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---- API tokens -------------------------------------------------------------------------------

def create_api_token(engine: Engine, username: str, label: str | None = None,
                     days: int | None = 365, seconds: int | None = None) -> str:
    """A new API token for ``username`` (returned once; stored hashed).

    Valid ``seconds`` when given, else ``days`` days, else without expiry.
    """
    user = get_user(engine, username)
    if user is None:
        raise ReforgeError(f"no active user {username!r}")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    life = timedelta(seconds=seconds) if seconds else timedelta(days=days) if days else None
    _run(engine, "INSERT INTO api_tokens (token_hash, username, created_at, expires_at, label, user_id, "
                 "token_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
         [_token_hash(token), username, now, now + life if life else None, label or None, user.user_id,
          user.token_version])
    return token


def list_api_tokens(engine: Engine, username: str | None = None) -> list[dict]:
    """API tokens (never the secret): ``token_id``, ``username``, ``label``, times (aware UTC), ``valid``."""
    now = utc_now()
    sql = ("SELECT LEFT(t.token_hash, 12) AS token_id, t.username, t.label, t.created_at, t.expires_at, "
           "(u.user_id IS NOT NULL AND COALESCE(u.active, TRUE) "
           " AND COALESCE(t.token_version, 0) = COALESCE(u.token_version, 0) "
           " AND (t.expires_at IS NULL OR t.expires_at > ?)) AS valid "
           "FROM api_tokens t LEFT JOIN users u ON u.user_id = t.user_id")
    params: list = [now]
    if username is not None:
        sql += " WHERE t.username = ?"
        params.append(username)
    rows = engine.fetch_records(sql + " ORDER BY t.username, t.created_at, token_id", params)
    return [{k: as_utc(v) for k, v in r.items()} for r in rows]


def revoke_api_token(engine: Engine, token_id: str, username: str | None = None) -> int:
    """Delete the API token(s) whose hash starts with ``token_id`` (12 hex digits); the count removed."""
    if not re.fullmatch(r"[0-9a-f]{12}", token_id or ""):
        raise ReforgeError("token_id must be the 12 hexadecimal digits shown by the token list")
    where, params = "LEFT(token_hash, 12) = ?", [token_id]
    if username is not None:
        where += " AND username = ?"
        params.append(username)
    n = int(_all(engine, f"SELECT COUNT(*) FROM api_tokens WHERE {where}", params)[0][0])
    _run(engine, f"DELETE FROM api_tokens WHERE {where}", params)
    return n


def revoke_token(engine: Engine, token: str) -> bool:
    """Revoke one presented bearer token (logout): an API token is deleted, an access token's
    ``jti`` is recorded in ``revoked_tokens`` until its expiry. True when it was a valid token."""
    if not token:
        return False
    if token.startswith(API_TOKEN_PREFIX):
        h = _token_hash(token)
        n = int(_all(engine, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", [h])[0][0])
        _run(engine, "DELETE FROM api_tokens WHERE token_hash = ?", [h])
        return n > 0
    p = read_access_token(token)
    if p is None:
        return False
    now = utc_now()
    _run(engine, "DELETE FROM revoked_tokens WHERE expires_at < ?", [now])  # expired entries are moot
    _run(engine, "INSERT OR IGNORE INTO revoked_tokens (jti, user_id, expires_at, revoked_at) "
                 "VALUES (?, ?, ?, ?)",
         [p["jti"], p["uid"], datetime.fromtimestamp(int(p["exp"]), UTC).replace(tzinfo=None), now])
    return True


def user_from_bearer(engine: Engine, token: str, now: datetime | None = None) -> User | None:
    """The account behind a valid access token or API token, else None.

    ``now``: naive UTC (default: the current time). Valid means: signature/hash known, not
    expired, not revoked, the account active and its user_id and token_version unchanged.
    """
    now = now or utc_now()
    if token.startswith(API_TOKEN_PREFIX):
        rs = _all(engine, """
            SELECT u.username, u.role, u.uscc, u.user_id, COALESCE(u.token_version, 0), u.region
            FROM api_tokens t JOIN users u ON u.user_id = t.user_id
            WHERE t.token_hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?)
              AND COALESCE(u.active, TRUE)
              AND COALESCE(t.token_version, 0) = COALESCE(u.token_version, 0)""",
                  [_token_hash(token), now])
        return _user(rs[0]) if rs else None
    p = read_access_token(token, now.replace(tzinfo=UTC).timestamp())
    if p is None:
        return None
    rs = _all(engine, f"""
        SELECT {_USER_COLS} FROM users
        WHERE user_id = ? AND username = ? AND COALESCE(active, TRUE) AND COALESCE(token_version, 0) = ?
          AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)""",
              [p["uid"], p["sub"], p["ver"], p["jti"]])
    return _user(rs[0]) if rs else None


# ---- login guard ------------------------------------------------------------------------------

class RateLimiter:
    """Sliding-window limiter: at most ``limit`` attempts per ``window`` seconds per key."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _wait(self, key: str, now: float) -> float | None:
        q = self._hits.get(key)
        if q is None:
            return None
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._hits[key]
            return None
        return q[0] + self.window - now if len(q) >= self.limit else None

    def hit(self, key: str) -> float | None:
        """Record an attempt; None when allowed, else seconds until the next is allowed."""
        return hit_all([(self, key)])


def hit_all(checks: Iterable[tuple[RateLimiter, str]]) -> float | None:
    """Record one attempt under every (limiter, key) when all allow it; else record nothing and
    return the longest wait in seconds. Checks are atomic per limiter (each holds its lock)."""
    checks = list(checks)
    now = time.monotonic()
    locks = sorted({id(lim): lim for lim, _ in checks}.values(), key=id)
    for lim in locks:
        lim._lock.acquire()
    try:
        waits = [w for lim, key in checks if (w := lim._wait(key, now)) is not None]
        if waits:
            return max(waits)
        for lim, key in checks:
            if len(lim._hits) > 100_000:  # memory bound under a flood of distinct keys
                lim._hits.clear()
            lim._hits.setdefault(key, deque()).append(now)
        return None
    finally:
        for lim in reversed(locks):
            lim._lock.release()


class LoginRefused(Exception):
    """A login attempt refused before any password hashing: ``status`` 429 (rate) or 503 (busy)."""

    def __init__(self, status: int, code: str, retry_after: int) -> None:
        super().__init__(code)
        self.status, self.code, self.retry_after = status, code, retry_after


def parse_networks(spec: str | Iterable[str] | None) -> tuple:
    """IP networks from ``"10.0.0.1, 192.168.0.0/16"`` or a list of such strings."""
    if not spec:
        return ()
    items = spec.split(",") if isinstance(spec, str) else [s for x in spec for s in str(x).split(",")]
    out = []
    for s in (x.strip() for x in items):
        if s:
            try:
                out.append(ipaddress.ip_network(s, strict=False))
            except ValueError:
                raise ReforgeError(f"not an IP address or network: {s!r}") from None
    return tuple(out)


class LoginGuard:
    """What a login may cost, decided before any argon2 hash.

    - ``per_user``: attempts per ``window`` per (client address, user name);
    - ``per_ip``: attempts per ``window`` per client address, whatever the user names;
    - ``global_limit``: attempts per ``window`` over all clients (bounds the hashing rate);
    - ``per_ip_concurrent``: logins of one client address being checked at once (one: a client
      cannot fill the hashing queue ahead of everyone else; extra attempts get 429 at once);
    - ``max_hashing``: password hashes running at once; at most ``max_waiting`` more callers
      wait for a slot, each at most ``hash_wait`` seconds; beyond either, 503 (so waiting logins
      never take over the server's thread pool).
    The client address is the TCP peer; ``X-Forwarded-For`` is used only when the peer is one of
    ``trusted_proxies`` (then the right-most address not itself a trusted proxy).
    """

    def __init__(self, per_user: int = 10, per_ip: int = 30, global_limit: int = 120,
                 window: float = 60.0, max_hashing: int = 2, hash_wait: float = 10.0,
                 trusted_proxies: str | Iterable[str] | None = None, max_waiting: int = 8,
                 per_ip_concurrent: int = 1) -> None:
        self.per_user = RateLimiter(per_user, window)
        self.per_ip = RateLimiter(per_ip, window)
        self.all = RateLimiter(global_limit, window)
        self.trusted = parse_networks(trusted_proxies)
        self.hash_wait = hash_wait
        self._slots = threading.BoundedSemaphore(max(1, max_hashing))
        self._room = threading.BoundedSemaphore(max(1, max_hashing) + max(0, max_waiting))
        self.per_ip_concurrent = max(1, per_ip_concurrent)
        self._inflight: dict[str, int] = {}
        self._inflight_lock = threading.Lock()

    def _trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in n for n in self.trusted)

    def client_ip(self, peer: str | None, forwarded_for: str | None = None) -> str:
        """The client address: the peer, or from ``X-Forwarded-For`` when the peer is a trusted proxy."""
        peer = peer or "?"
        if not self.trusted or not forwarded_for or not self._trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self._trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a garbled header: fall back to the proxy itself
        return peer

    def admit(self, ip: str, username: str) -> None:
        """Count one attempt; LoginRefused(429) when the address, the pair or everyone is over."""
        wait = hit_all([(self.per_user, f"{ip}|{username}"), (self.per_ip, ip), (self.all, "*")])
        if wait is not None:
            raise LoginRefused(429, "login.rate_limited", int(wait) + 1)

    @contextmanager
    def hashing(self) -> Iterator[None]:
        """A password-hashing slot; LoginRefused(503) when none frees up within ``hash_wait``."""
        if not self._room.acquire(blocking=False):
            raise LoginRefused(503, "login.busy", 1)
        try:
            if not self._slots.acquire(timeout=self.hash_wait):
                raise LoginRefused(503, "login.busy", 1)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            self._room.release()

    def login(self, engine_cm: Any, peer: str | None, forwarded_for: str | None,
              username: str, password: str) -> User | None:
        """Admit, then authenticate inside a hashing slot; ``engine_cm()`` opens a read engine."""
        ip = self.client_ip(peer, forwarded_for)
        with self._inflight_lock:
            if self._inflight.get(ip, 0) >= self.per_ip_concurrent:
                raise LoginRefused(429, "login.rate_limited", 1)
            self.admit(ip, username)
            self._inflight[ip] = self._inflight.get(ip, 0) + 1
        try:
            with self.hashing(), engine_cm() as e:
                return authenticate(e, username, password)
        finally:
            with self._inflight_lock:
                n = self._inflight.pop(ip) - 1
                if n > 0:
                    self._inflight[ip] = n
