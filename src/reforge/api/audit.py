"""The audit log: who did what, when, to which target, with how many rows."""

from __future__ import annotations

import json
from typing import Any

from reforge.engine.base import Engine


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def record(engine: Engine, username: str | None, action: str, target: str | None = None,
           rows: int | None = None, detail: dict[str, Any] | str | None = None) -> None:
    """Append one entry to ``audit_log`` (call inside the write lock)."""
    d = json.dumps(detail, ensure_ascii=False, default=str) if isinstance(detail, dict) else detail
    nid = engine.fetch_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log")
    engine.execute(
        "INSERT INTO audit_log (id, logged_at, username, action, target, rows, detail) VALUES ("
        f"{int(nid)}, CURRENT_TIMESTAMP, {_q(username) if username else 'NULL'}, {_q(action)}, "
        f"{_q(target) if target else 'NULL'}, {int(rows) if rows is not None else 'NULL'}, "
        f"{_q(d) if d else 'NULL'})")


def entries(engine: Engine, limit: int = 100, offset: int = 0) -> list[dict]:
    """The latest entries first."""
    df = engine.fetch_df(f"SELECT id, logged_at AS at, username, action, target, rows, detail FROM audit_log "
                         f"ORDER BY id DESC LIMIT {int(limit)} OFFSET {int(offset)}")
    out = []
    for r in df.astype(object).to_dict(orient="records"):
        out.append({k: (None if v is None or v != v else (v.isoformat() if hasattr(v, "isoformat") else v))
                    for k, v in r.items()})
    return out
