"""`reforge serve`, `reforge users add|list|deactivate|activate|delete|role|region|password|revoke-tokens`,
`reforge tokens create|list|revoke`, `reforge demo-accounts`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reforge.cli.common import DbOpt, Fmt, FormatOpt, console, emit, print_frame
from reforge.errors import ReforgeError

users_app = typer.Typer(help="Accounts of the API and dashboard.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)

DEMO_PASSWORDS = {"admin": "admin-demo-pass", "analyst": "analyst-demo-pass", "enterprise": "enterprise-demo-pass"}


def _db_path(db: Path | None) -> Path:
    from reforge.engine import default_db_path
    return Path(db) if db else default_db_path()


def _open_rw(db: Path | None):
    """The database read-write with the schema (a clear error when the server holds it)."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    p = _db_path(db)
    p.parent.mkdir(parents=True, exist_ok=True)
    e = DuckDBEngine(p, read_only=False)
    ensure_schema(e)
    return e


def serve(host: Annotated[str | None, typer.Option(
              "--host", help="address to bind (default $REFORGE_HOST or 127.0.0.1)")] = None,
          port: Annotated[int | None, typer.Option(
              "--port", help="TCP port (default $REFORGE_PORT or 8000)")] = None,
          db: DbOpt = None,
          workers_log: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
          trusted_proxy: Annotated[list[str] | None, typer.Option(
              "--trusted-proxy", envvar="REFORGE_TRUSTED_PROXIES",
              help="address or network of a reverse proxy whose X-Forwarded-For names the client "
                   "(repeatable; default: none, the TCP peer is the client)")] = None) -> None:
    """Serve the REST API (/api/v1) and the web dashboard (/) on HOST:PORT."""
    import uvicorn

    from reforge.api import create_app
    from reforge.settings import get_settings
    conf = get_settings()
    host = host if host is not None else conf.host
    port = port if port is not None else conf.port
    p = _db_path(db)
    if not p.exists():
        raise ReforgeError(f"database {p} does not exist; build it with `reforge demo --db {p}` "
                           "or `reforge import`")
    app = create_app(p, trusted_proxies=",".join(trusted_proxy or []))
    # CLI commands on the same file read beside the server and name it while they wait to write
    app.state.db.announce(f"http://{host}:{port}/")
    console.print(f"Reforge serving {p} at http://{host}:{port}/  (API docs: /api/v1/docs)")
    from reforge.api.app import tune_gc
    tune_gc()   # this process only serves: fewer garbage collections per page (see tune_gc)
    # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from 127.0.0.1 on trust;
    # the app decides itself, from --trusted-proxy only
    uvicorn.run(app, host=host, port=port, log_level=workers_log, proxy_headers=False)


@users_app.command("add")
def users_add(username: Annotated[str, typer.Argument(help="login name")],
              role: Annotated[str, typer.Option("--role", help="admin, analyst or enterprise")],
              uscc: Annotated[str | None, typer.Option("--uscc", help="the enterprise (enterprise role)")] = None,
              region: Annotated[str | None, typer.Option(
                  "--region", help="GB/T 2260 code the account is limited to (default: all)")] = None,
              password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                           help="read the password from standard input")] = False,
              db: DbOpt = None) -> None:
    """Create an account; the password is read from stdin (first line)."""
    from reforge.api import audit
    from reforge.api.auth import add_user
    if not password_stdin:
        raise ReforgeError("give --password-stdin and pipe the password (it is never taken as an argument)")
    password = sys.stdin.readline().rstrip("\r\n")
    e = _open_rw(db)
    try:
        u = add_user(e, username, password, role, uscc, region)
        audit.record(e, "cli", "user.create", username, 1, {"role": role, "region": region})
    finally:
        e.close()
    console.print(f"created {u.role} account {u.username}" + (f" for {u.uscc}" if u.uscc else ""))


@users_app.command("list")
def users_list(db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """List accounts (no password hashes)."""
    import pandas as pd

    from reforge.api.auth import list_users
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(_db_path(db), read_only=True) as e:
        rows = list_users(e) if e.table_exists("users") else []
    print_frame(pd.DataFrame(rows, columns=["username", "role", "uscc", "region", "created_at", "active"]), fmt)


def _change(db: Path | None, username: str, action: str, fn_name: str, *args, detail: dict | None = None) -> None:
    """Run ``reforge.api.auth.<fn_name>(engine, username, *args)`` with an audit row, in one transaction."""
    from reforge.api import audit, auth
    e = _open_rw(db)
    try:
        with e.transaction():
            getattr(auth, fn_name)(e, username, *args)
            audit.record(e, "cli", action, username, 1, detail)
    finally:
        e.close()


UserArg = Annotated[str, typer.Argument(help="login name")]


@users_app.command("deactivate")
def users_deactivate(username: UserArg, db: DbOpt = None) -> None:
    """Deactivate an account (it cannot sign in; all its tokens end)."""
    _change(db, username, "user.deactivate", "set_active", False)
    console.print(f"deactivated {username}; its tokens are revoked")


@users_app.command("activate")
def users_activate(username: UserArg, db: DbOpt = None) -> None:
    """Activate a deactivated account (old tokens stay revoked)."""
    _change(db, username, "user.activate", "set_active", True)
    console.print(f"activated {username}")


@users_app.command("delete")
def users_delete(username: UserArg, db: DbOpt = None) -> None:
    """Delete an account and its API tokens (a later account of the same name is a new account)."""
    _change(db, username, "user.delete", "delete_user")
    console.print(f"deleted {username}")


@users_app.command("role")
def users_role(username: UserArg,
               role: Annotated[str, typer.Option("--role", help="admin, analyst or enterprise")],
               uscc: Annotated[str | None, typer.Option("--uscc", help="the enterprise (enterprise role)")] = None,
               db: DbOpt = None) -> None:
    """Change an account's role (its tokens end)."""
    _change(db, username, "user.role", "set_role", role, uscc, detail={"role": role, "uscc": uscc})
    console.print(f"{username} is now {role}" + (f" of {uscc}" if uscc else "") + "; its tokens are revoked")


@users_app.command("region")
def users_region(username: UserArg,
                 region: Annotated[str | None, typer.Argument(
                     help="GB/T 2260 code, e.g. 320500 (omit to see all regions)")] = None,
                 db: DbOpt = None) -> None:
    """Limit an analyst to the enterprises of a region and below (no code: all regions)."""
    _change(db, username, "user.region", "set_region", region, detail={"region": region})
    console.print(f"{username}: region {region or 'all'}; its tokens are revoked")


@users_app.command("password")
def users_password(username: UserArg,
                   password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                                help="read the password from standard input")] = False,
                   db: DbOpt = None) -> None:
    """Set an account's password from stdin (first line); its tokens end."""
    if not password_stdin:
        raise ReforgeError("give --password-stdin and pipe the password (it is never taken as an argument)")
    _change(db, username, "user.password", "set_password", sys.stdin.readline().rstrip("\r\n"))
    console.print(f"password of {username} changed; its tokens are revoked")


@users_app.command("revoke-tokens")
def users_revoke_tokens(username: UserArg, db: DbOpt = None) -> None:
    """End every access and API token of an account (the account stays)."""
    _change(db, username, "token.revoke_all", "revoke_all")
    console.print(f"all tokens of {username} are revoked")


@tokens_app.command("list")
def tokens_list(username: Annotated[str | None, typer.Argument(help="only this account's tokens")] = None,
                db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """List API tokens (id, owner, label, UTC times, whether still valid); never the secrets."""
    import pandas as pd

    from reforge.api.auth import list_api_tokens
    e = _open_rw(db)
    try:
        rows = list_api_tokens(e, username)
    finally:
        e.close()
    print_frame(pd.DataFrame(rows, columns=["token_id", "username", "label", "created_at", "expires_at",
                                            "valid"]), fmt)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="the 12-digit id from `reforge tokens list`")],
                  db: DbOpt = None) -> None:
    """Revoke one API token by its id."""
    from reforge.api import audit
    from reforge.api.auth import revoke_api_token
    e = _open_rw(db)
    try:
        n = revoke_api_token(e, token_id)
        if not n:
            raise ReforgeError(f"no API token {token_id}")
        audit.record(e, "cli", "token.revoke", None, n, {"token_id": token_id})
    finally:
        e.close()
    console.print(f"revoked token {token_id}")


@tokens_app.command("create")
def tokens_create(username: Annotated[str, typer.Argument(help="account the token acts as")],
                  label: Annotated[str | None, typer.Option("--label", help="what the token is for")] = None,
                  days: Annotated[int, typer.Option("--days", help="validity in days")] = 365,
                  db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Create an API token (printed once; only its hash is stored)."""
    from reforge.api import audit
    from reforge.api.auth import create_api_token
    e = _open_rw(db)
    try:
        tok = create_api_token(e, username, label, days)
        audit.record(e, "cli", "token.create", username, 1, {"label": label})
    finally:
        e.close()
    if getattr(fmt, "value", fmt) == "json":
        emit({"username": username, "token": tok, "token_type": "bearer", "expires_in_days": days}, fmt)
    else:
        sys.stdout.write(tok + "\n")


def create_demo_accounts(db: Path | str, require_demo: bool = False) -> list[dict]:
    """Create (or keep) the demo logins admin / analyst / enterprise; return their credentials.

    The enterprise account belongs to the first Little Giant in the database (else the first
    enterprise). Passwords are fixed demo values: for demonstration databases only; with
    ``require_demo`` a database not built by ``reforge demo`` is refused (ReforgeError).
    """
    from reforge.api.auth import add_user, get_user
    from reforge.demo.load import is_demo_database
    e = _open_rw(Path(db))
    out = []
    try:
        if require_demo and not is_demo_database(e):
            raise ReforgeError(
                f"{db} is not a demo database (not built by `reforge demo`): demo accounts have published "
                "passwords (admin / admin-demo-pass). Create real accounts with `reforge users add`, or "
                "give --force to add the demo accounts anyway", code="demo.not_demo_database",
                params={"db": str(db)})
        uscc = e.fetch_scalar("SELECT MIN(uscc) FROM designations WHERE kind = 'little_giant'") or \
            e.fetch_scalar("SELECT MIN(uscc) FROM enterprises")
        for role in ("admin", "analyst", "enterprise"):
            name = role
            if get_user(e, name) is None:
                if role == "enterprise" and not uscc:
                    continue
                add_user(e, name, DEMO_PASSWORDS[role], role, uscc if role == "enterprise" else None)
            out.append({"username": name, "password": DEMO_PASSWORDS[role], "role": role,
                        "uscc": uscc if role == "enterprise" else None})
    finally:
        e.close()
    return out


def demo_accounts(db: DbOpt = None,
                  url: Annotated[str, typer.Option("--url", help="URL to print")] = "http://127.0.0.1:8000/",
                  force: Annotated[bool, typer.Option(
                      "--force", help="also on a database not built by `reforge demo`")] = False) -> None:
    """Create the demo logins (admin, analyst, enterprise) of a demo database and print them with the URL."""
    accts = create_demo_accounts(_db_path(db), require_demo=not force)
    console.print(f"Reforge dashboard: {url}")
    for a in accts:
        console.print(f"  {a['role']:<10} user [b]{a['username']}[/b]  password [b]{a['password']}[/b]"
                      + (f"  (enterprise {a['uscc']})" if a["uscc"] else ""), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the serve/users/tokens/demo-accounts commands to the root app."""
    app.command("serve")(serve)
    app.command("demo-accounts")(demo_accounts)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
