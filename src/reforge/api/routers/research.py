"""Joint-research routes: consortium proposals, R&D personnel flows, platforms.

Analysts and admins see everything. An enterprise account sees only the proposals it is part
of (as lead or adopter), without other firms' credit grades or exclusion records; flows and
platform usage describe the whole province, so it gets 403 there.

An analyst bound to a region (issue 19) sees the proposals in which a firm of its region is lead
or adopter (partners from other regions stay, with their grades; exclusion records of its own
firms only) and gets 403 ``scope.withheld`` on flows and platforms, which count every region.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from reforge.api.deps import Analyst, CurrentUser, Engine, region_scope, withhold_from_region
from reforge.api.models.base import with_downloads
from reforge.errors import DataMissing, InvalidInput, NotFound
from reforge.research.result import FlowModel, PartnersModel, PlatformsModel

router = APIRouter(tags=["research"])

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


def _run(fn, *args: Any, **kw: Any):
    """Call an entry point; coded errors become 422 (bad input), 404 (not found) or 409 (no data)."""
    try:
        return fn(*args, **kw)
    except (InvalidInput, NotFound, DataMissing) as err:
        body = {"code": err.code, "params": err.params, "msg": str(err)}
        if isinstance(err, InvalidInput):
            raise HTTPException(422, [{"loc": ["query"], "type": "value_error", **body}]) from None
        raise HTTPException(404 if isinstance(err, NotFound) else 409, body) from None


@router.get("/match/partners", response_model=PartnersModel, responses=with_downloads(PartnersModel))
def partners(user: CurrentUser, engine: Engine,
             item: Annotated[str | None, Query(pattern=_ID, description="item_id (default: every target)")] = None,
             as_of: Annotated[dt.date | None, Query(description="date deciding active records and tiers")] = None,
             grade_source: Annotated[Literal["tax_rating", "scorecard"], Query()] = "tax_rating",
             credit_floor: Annotated[str | None, Query(pattern=r"^[A-Z]{1,3}$")] = None,
             format: Annotated[Literal["xlsx", "csv"] | None, Query(description="download every proposal")] = None,
             lang: Annotated[str | None, Query(max_length=10, description="en or zh: export headers")] = None):
    """Consortium proposals (lead, institutions, platform, adopters) with every score part explained
    (an enterprise account: the proposals it is part of, other firms' grades withheld). With
    ``format``, an Excel or CSV file of the proposals as the research page exports them."""
    from reforge.research import propose_partners
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "not allowed")
    res = _run(propose_partners, engine, item, as_of, grade_source, credit_floor)
    if user.role == "enterprise":
        res = res.for_firm(user.uscc)
    elif (region := region_scope(user)) is not None:
        from reforge.region import region_firms
        res = res.for_firms(region_firms(engine, region))
    if format is not None:
        from reforge.web.research_pages import proposal_rows
        from reforge.web.tables import download, export_lang
        lg = export_lang(lang)
        return download("proposals", proposal_rows(res.to_dict()["proposals"], lg), lg, format, "research_proposals")
    return res.to_dict()


@router.get("/match/flows", response_model=FlowModel)
def flows(user: Analyst, engine: Engine,
          year: Annotated[int | None, Query(ge=1949, le=2100, description="one year (default all)")] = None) -> dict:
    """R&D personnel flows by organisation type and field, the two-way index, thin needed fields
    (withheld from region-bound accounts)."""
    from reforge.research import personnel_flows
    withhold_from_region(user)
    return _run(personnel_flows, engine, year).to_dict()


@router.get("/match/platforms", response_model=PlatformsModel)
def platforms(user: Analyst, engine: Engine) -> dict:
    """Platform usage by enterprise size, fields served vs needed, generic technologies without a platform
    (withheld from region-bound accounts)."""
    from reforge.research import platform_report
    withhold_from_region(user)
    return _run(platform_report, engine).to_dict()
