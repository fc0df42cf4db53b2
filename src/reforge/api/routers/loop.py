"""Loop routes: chain leaders with their ecosystems and the label history of a chain.

Who may see what: admins and analysts see every ranked leader (an analyst limited to a region
sees the leaders registered in it) and the label history. An enterprise account gets the
leaders of a chain with only its own firm's row (an empty list when its firm is not ranked:
other firms' figures never leak) and 403 on the label history (chain analysis, like
``/chains/{id}/bottlenecks``). An unknown chain is 404; a bad year or chain id 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from reforge.api.deps import Analyst, CurrentUser, Engine, region_scope
from reforge.api.lang import coded
from reforge.errors import NotFound
from reforge.loop.result import HistoryModel, LeadersModel

router = APIRouter(tags=["loop"])

_CHAIN = Annotated[str, Query(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$", description="chain id")]


@router.get("/loop/leaders", response_model=LeadersModel)
def leaders(chain: _CHAIN, user: CurrentUser, engine: Engine,
            year: Annotated[int | None, Query(ge=1900, le=2200)] = None) -> dict:
    """Leaders (链主) of a chain ranked by score with coded reasons, and the ecosystem per year of the
    top ones (see docs/loop.md). Enterprise accounts: their own row only."""
    from reforge.loop import chain_leaders
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "no access")
    try:
        res = chain_leaders(engine, chain, year)
    except NotFound as err:
        raise HTTPException(404, coded(err)) from None
    if user.role == "enterprise":
        res = res.only(user.uscc or "")
    elif (scope := region_scope(user)) is not None:
        from reforge.api.enterprise_queries import in_region
        res = res.keep({r["uscc"] for r in res.leaders if in_region(engine, r["uscc"], scope)})
    return res.to_dict()


@router.get("/loop/history", response_model=HistoryModel)
def history(chain: _CHAIN, user: Analyst, engine: Engine,
            since: Annotated[int | None, Query(ge=1900, le=2200)] = None) -> dict:
    """Labels of every item of a chain per year with supply links, transitions, and the items resolved
    and newly choked since a year (default: the year before the last). Analysts and admins; a
    region-bound analyst gets the labels of its region's purchases, as on ``/chains/{id}/bottlenecks``."""
    from reforge.loop import label_history
    try:
        return label_history(engine, chain, since=since, store=False, region=region_scope(user)).to_dict()
    except NotFound as err:
        raise HTTPException(404, coded(err)) from None
