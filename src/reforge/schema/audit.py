"""Writing the audit log: who did what, when, to which target, with how many rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from reforge.engine.base import Engine


def record(engine: Engine, username: str | None, action: str, target: str | None = None,
           rows: int | None = None, detail: dict[str, Any] | str | None = None) -> None:
    """Append one entry to ``audit_log``; inside the caller's transaction when it has one."""
    d = json.dumps(detail, ensure_ascii=False, default=str) if isinstance(detail, dict) else detail
    nid = engine.fetch_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log")
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, whatever the session time zone
    engine.execute(
        "INSERT INTO audit_log (id, logged_at, username, action, target, rows, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [int(nid), now, None if not username else str(username), str(action), None if not target else str(target),
         int(rows) if rows is not None else None, d or None])
