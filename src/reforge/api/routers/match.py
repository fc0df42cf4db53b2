"""Matching routes: ranked suppliers per demand, a supplier's matches, the matching degree.

Who sees what: analysts and admins see every demand and the degree; an enterprise account
sees the matches of its own demands (``/match/demands``) and the demands it is a candidate for
with its own row only (``/match/offers``: no competitor's score is shown), never the degree or the assignment;
of the pre-research groups (``/match/groups``) only those it is in, without the excluded firms.

An analyst bound to a region (issue 19) sees the demands of its region's firms with their
candidates from anywhere (matching across regions is the point), a supplier's matches only for a
firm of its region, the degree and the assignment computed on its region's demands, and the
groups in which one of its firms is maker or adopter (excluded firms: its own only).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from reforge.api.deps import Analyst, CurrentUser, Engine, check_region_access, region_scope
from reforge.errors import DataMissing, InvalidInput, NotFound
from reforge.match.result import AssignModel, CandidateModel, DegreeModel, GroupsModel, MatchModel

router = APIRouter(tags=["match"])

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
Mode = Annotated[Literal["words", "ngrams", "both", "chars"], Query(description="text tokens")]
AsOf = Annotated[dt.date | None, Query(description="date deciding active credit records and designations")]
MinScore = Annotated[float, Query(ge=0, le=1, description="lowest score counting a demand as matched")]


class SupplierMatchModel(BaseModel):
    """One demand the supplier is a candidate for, with the supplier's own row."""

    demand_id: str
    item_id: str | None
    kind: str
    value: float | None
    candidate: CandidateModel


class SupplierMatchesModel(BaseModel):
    """The demands a supplier could serve (qualified or excluded, with reasons)."""

    uscc: str
    as_of: str
    demands: list[SupplierMatchModel]


def _http(err: Exception) -> HTTPException:
    """A coded library error as an HTTP error (422 bad input, 404 missing thing, 409 missing data)."""
    body = {"code": err.code, "params": err.params, "msg": str(err)}  # type: ignore[attr-defined]
    if isinstance(err, InvalidInput):
        return HTTPException(422, [{"loc": ["query"], "type": "value_error", **body}])
    return HTTPException(404 if isinstance(err, NotFound) else 409, body)


def _run(fn, *args: Any, **kw: Any):
    try:
        return fn(*args, **kw)
    except (InvalidInput, NotFound, DataMissing) as e:
        raise _http(e) from None


def _own_demands(engine: Engine, uscc: str | None) -> list[str]:
    if not uscc:
        return []
    df = engine.fetch_df("SELECT demand_id FROM demands WHERE uscc = ? ORDER BY demand_id", [uscc])
    return [str(x) for x in df["demand_id"]]


@router.get("/match/demands", response_model=MatchModel)
def demands(user: CurrentUser, engine: Engine,
            demand: Annotated[list[Annotated[str, Query(pattern=_ID)]] | None, Query(max_length=200)] = None,
            as_of: AsOf = None, mode: Mode = "both", min_score: MinScore = 0.0) -> dict:
    """Ranked domestic suppliers of each demand with score parts; excluded candidates with reason
    codes (an enterprise account: its own demands only)."""
    from reforge.match import match_demands
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "not allowed")
    ids = demand
    if user.role == "enterprise":
        own = _own_demands(engine, user.uscc)
        ids = [d for d in (demand or own) if d in set(own)]
    elif (region := region_scope(user)) is not None:
        from reforge.match.rank import region_demands
        mine = set(region_demands(engine, region))
        ids = sorted(d for d in (demand or mine) if d in mine)
    return _run(match_demands, engine, ids, as_of, mode, min_score=min_score).to_dict()


@router.get("/match/offers", response_model=SupplierMatchesModel)
def offers(user: CurrentUser, engine: Engine,
           uscc: Annotated[str | None, Query(pattern=_ID, description="the supplier (analysts; an enterprise "
                                                                        "account: always its own)")] = None,
           as_of: AsOf = None, mode: Mode = "both") -> dict:
    """The demands a supplier is a candidate for, with its rank, score parts or exclusion reasons."""
    from reforge.match import match_demands
    if user.role == "enterprise":
        uscc = user.uscc
    elif user.role not in ("admin", "analyst"):
        raise HTTPException(403, "not allowed")
    if not uscc:
        raise HTTPException(422, [{"loc": ["query", "uscc"], "type": "missing", "msg": "uscc is required"}])
    check_region_access(engine, user, uscc)  # a region-bound analyst: its region's suppliers only
    res = _run(match_demands, engine, None, as_of, mode)
    out = []
    for d in res.to_dict()["demands"]:
        for c in d["candidates"] + d["excluded"]:
            if c["producer_id"] == uscc:
                out.append({"demand_id": d["demand_id"], "item_id": d["item_id"], "kind": d["kind"],
                            "value": d["value"], "candidate": c})
    return {"uscc": uscc, "as_of": res.as_of, "demands": out}


@router.get("/match/degree", response_model=DegreeModel)
def degree(user: Analyst, engine: Engine, as_of: AsOf = None, mode: Mode = "both",
           min_score: MinScore = 0.0) -> dict:
    """Matching degree per item and chain: demand value, value with a qualified domestic supplier, share
    (a region-bound analyst: of its region's demands)."""
    from reforge.match import matching_degree
    return _run(matching_degree, engine, as_of, mode, min_score=min_score, region=region_scope(user)).to_dict()


@router.get("/match/assign", response_model=AssignModel)
def assign(user: Analyst, engine: Engine, as_of: AsOf = None, mode: Mode = "both", min_score: MinScore = 0.0) -> dict:
    """Demand value assigned to qualified suppliers within their spare capacities (maximal matched
    value); each demand's unassigned value with a reason (analysts; a region-bound analyst: its
    region's demands, with the suppliers' spare capacities as if no other region claimed them)."""
    from reforge.match import assign_demands
    ids = None
    if (region := region_scope(user)) is not None:
        from reforge.match.rank import region_demands
        ids = region_demands(engine, region)
    return _run(assign_demands, engine, ids, as_of, mode, min_score=min_score).to_dict()


@router.get("/match/groups", response_model=GroupsModel)
def groups(user: CurrentUser, engine: Engine,
           item: Annotated[str | None, Query(pattern=_ID, description="one item (default: every target)")] = None,
           top: Annotated[int, Query(ge=1, le=50, description="groups per target")] = 3,
           as_of: AsOf = None) -> dict:
    """Pre-research groups: upstream makers with the adopters, ranked by capability, credit and
    past relations (an enterprise account: only the groups it is in, as maker or adopter)."""
    from reforge.match.groups import pre_research_groups
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "not allowed")
    res = _run(pre_research_groups, engine, item, as_of, top)
    if user.role == "enterprise":
        res = res.for_firm(user.uscc or "")
    elif (region := region_scope(user)) is not None:
        from reforge.region import region_firms
        res = res.for_firms(region_firms(engine, region))
    return res.to_dict()
