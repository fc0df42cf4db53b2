"""``GET /api/v1/health``: liveness and database status (no auth)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from reforge.api.deps import DB
from reforge.api.models.admin import HealthModel
from reforge.schema import schema_version

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthModel, response_model_exclude_unset=True)
async def health(db: DB, request: Request) -> dict:
    """``{"status": "ok", "schema_version", "enterprises"}`` (counts cached until the next write), and
    ``pages_ready`` when the server warms its pages: whether the heavy pages of the current data
    are computed (see ``reforge.web.warm``)."""
    hit = db.cache.get(("health",))
    if hit is None:
        hit = await run_in_threadpool(_read, db)
        db.cache[("health",)] = hit
    warmer = getattr(request.app.state, "warmer", None)
    return {"status": "ok", **hit, **({"pages_ready": warmer.ready} if warmer is not None else {})}


def _read(db: DB) -> dict:
    with db.quick() as engine:
        return {"schema_version": schema_version(engine),
                "enterprises": int(engine.fetch_scalar("SELECT COUNT(*) FROM enterprises") or 0)}
