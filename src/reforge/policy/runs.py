"""Stored policy evaluations: the service table ``policy_runs`` (who ran what, when, with which
parameters, and the result and report as they were), so a run is listed and reopened without
recomputing. Writes need a writable engine and run in ``with engine.transaction():``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from reforge.engine import Engine
from reforge.errors import InvalidInput, NotFound

TABLE = "policy_runs"
_ID_CHARS = set("0123456789abcdef")


def _utc_iso(v: Any) -> str | None:
    """A stored naive-UTC timestamp as ISO text ending ``+00:00``."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    return str(v)


def save_run(engine: Engine, username: str | None, params: dict, result: dict,
             report: str | None = None) -> dict:
    """Insert one evaluation; return its listing row ``{id, created_at, username, programme,
    outcomes, by, params, has_report}``. ``params`` must hold ``programme`` and ``outcomes``."""
    if getattr(engine, "read_only", False):
        raise InvalidInput("the database is open read-only", code="policy.runs.read_only", params={})
    run_id = uuid.uuid4().hex[:12]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with engine.transaction():
        engine.execute(f"INSERT INTO {TABLE} (run_id, created_at, username, programme, params, result, report) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [run_id, now, username, str(params["programme"]), json.dumps(params, allow_nan=False),
                        json.dumps(result, allow_nan=False, default=str), report])
    return _listing(run_id, now, username, str(params["programme"]), params, report is not None)


def _listing(run_id: str, created_at: Any, username: str | None, programme: str, params: dict,
             has_report: bool) -> dict:
    return {"id": run_id, "created_at": _utc_iso(created_at), "username": username, "programme": programme,
            "outcomes": list(params.get("outcomes") or []), "by": params.get("by"), "params": params,
            "has_report": bool(has_report)}


def list_runs(engine: Engine, limit: int = 50) -> list[dict]:
    """The newest ``limit`` runs first (no result bodies): listing rows as ``save_run`` returns."""
    if not engine.table_exists(TABLE):
        return []
    df = engine.fetch_df(f"SELECT run_id, created_at, username, programme, params, report IS NOT NULL AS has_report "
                         f"FROM {TABLE} ORDER BY created_at DESC, run_id DESC LIMIT ?", [max(1, int(limit))])
    return [_listing(r["run_id"], r["created_at"], r["username"], r["programme"], json.loads(r["params"]),
                     bool(r["has_report"])) for r in df.astype(object).to_dict(orient="records")]


def _check_id(run_id: str) -> str:
    if not (1 <= len(run_id) <= 32 and set(run_id) <= _ID_CHARS):
        raise NotFound(f"evaluation {run_id[:40]!r} not found", code="policy.runs.not_found",
                       params={"id": run_id[:40]})
    return run_id


def load_run(engine: Engine, run_id: str) -> dict:
    """One stored run: the listing row plus ``result`` (as stored). Raises ``NotFound``."""
    _check_id(run_id)
    df = engine.fetch_df(f"SELECT run_id, created_at, username, programme, params, result, "
                         f"report IS NOT NULL AS has_report FROM {TABLE} WHERE run_id = ?", [run_id]) \
        if engine.table_exists(TABLE) else None
    if df is None or df.empty:
        raise NotFound(f"evaluation {run_id!r} not found", code="policy.runs.not_found", params={"id": run_id})
    r = df.astype(object).iloc[0]
    return {**_listing(r["run_id"], r["created_at"], r["username"], r["programme"], json.loads(r["params"]),
                       bool(r["has_report"])), "result": json.loads(r["result"])}


def load_report(engine: Engine, run_id: str) -> str:
    """The stored HTML report of a run. Raises ``NotFound`` when there is none."""
    _check_id(run_id)
    html = engine.fetch_scalar(f"SELECT report FROM {TABLE} WHERE run_id = ?", [run_id]) \
        if engine.table_exists(TABLE) else None
    if not html:
        raise NotFound(f"no report for evaluation {run_id!r}", code="policy.runs.no_report", params={"id": run_id})
    return str(html)
