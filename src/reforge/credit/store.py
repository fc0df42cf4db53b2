"""Keep fitted scorecards in the database table ``credit_models`` (spec as JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.schema.ddl import create_table_sql
from reforge.schema.tables import get_table


def save_model(engine: Engine, spec: dict, year: int | None) -> str:
    """Insert a model; return its id. The engine must be writable (DuckDB opened read-write)."""
    if getattr(engine, "read_only", False):
        raise ReforgeError("the database is open read-only; train needs write access")
    engine.execute(create_table_sql(get_table("credit_models")))
    now = datetime.now(UTC).replace(tzinfo=None)
    model_id = f"credit-{year if year is not None else 'na'}-{now.strftime('%Y%m%dT%H%M%S%f')}"
    spec = dict(spec, model_id=model_id)
    text = json.dumps(spec, allow_nan=False)
    with engine.transaction():
        engine.execute("INSERT INTO credit_models (model_id, created_at, year, spec) VALUES (?, ?, ?, ?)",
                       [model_id, now, None if year is None else int(year), text])
    return model_id


def load_model(engine: Engine, model_id: str | None = None) -> dict:
    """The spec of ``model_id`` or of the newest stored model."""
    if not engine.table_exists("credit_models"):
        raise ReforgeError("no credit model stored; run `reforge credit train` first")
    if model_id is not None:
        df = engine.fetch_df("SELECT spec FROM credit_models WHERE model_id = ?", [str(model_id)])
        if df.empty:
            raise ReforgeError(f"credit model {model_id!r} not found", code="credit.model_not_found",
                               params={"model_id": str(model_id)[:80]})
    else:
        df = engine.fetch_df("SELECT spec FROM credit_models ORDER BY created_at DESC, model_id DESC LIMIT 1")
        if df.empty:
            raise ReforgeError("no credit model stored; run `reforge credit train` first")
    return json.loads(df["spec"].iloc[0])


def list_models(engine: Engine):
    """model_id, created_at, year of the stored models (newest first)."""
    if not engine.table_exists("credit_models"):
        import pandas as pd
        return pd.DataFrame(columns=["model_id", "created_at", "year"])
    return engine.fetch_df("SELECT model_id, created_at, year FROM credit_models "
                           "ORDER BY created_at DESC, model_id DESC")
