"""The audit log: who did what, when, to which target, with how many rows."""

from __future__ import annotations

from datetime import UTC, datetime

from reforge.engine.base import Engine
from reforge.schema.audit import record

__all__ = ["entries", "record"]


def _utc(v):
    """Stored times are naive UTC: say so (ISO text ends ``+00:00``)."""
    return v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v


def entries(engine: Engine, limit: int = 100, offset: int = 0) -> list[dict]:
    """The latest entries first."""
    df = engine.fetch_df("SELECT id, logged_at AS at, username, action, target, rows, detail FROM audit_log "
                         "ORDER BY id DESC LIMIT ? OFFSET ?", [int(limit), int(offset)])
    out = []
    for r in df.astype(object).to_dict(orient="records"):
        out.append({k: (None if v is None or v != v else (_utc(v).isoformat() if hasattr(v, "isoformat") else v))
                    for k, v in r.items()})
    return out
