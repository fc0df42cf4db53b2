"""Writing the audit log: who did what, when, to which target, with how many rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from reforge.engine.base import Engine


def sql_str(s: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


def record(engine: Engine, username: str | None, action: str, target: str | None = None,
           rows: int | None = None, detail: dict[str, Any] | str | None = None) -> None:
    """Append one entry to ``audit_log``; inside the caller's transaction when it has one."""
    d = json.dumps(detail, ensure_ascii=False, default=str) if isinstance(detail, dict) else detail
    nid = engine.fetch_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log")
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, whatever the session time zone
    engine.execute(
        "INSERT INTO audit_log (id, logged_at, username, action, target, rows, detail) VALUES ("
        f"{int(nid)}, TIMESTAMP '{now:%Y-%m-%d %H:%M:%S.%f}', {sql_str(username or None)}, {sql_str(action)}, "
        f"{sql_str(target or None)}, {int(rows) if rows is not None else 'NULL'}, {sql_str(d or None)})")
