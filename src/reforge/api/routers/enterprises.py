"""Enterprises: search with filters and pagination, profile, and one firm's screening, credit, warnings."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from reforge.api import enterprise_queries as eq
from reforge.api.capabilities import jsonable
from reforge.api.contract import MAX_PAGE
from reforge.api.deps import (
    DB,
    CurrentUser,
    Engine,
    check_enterprise_access,
    check_region_access,
    check_region_access_db,
    region_scope,
)
from reforge.api.models.base import plain, with_downloads
from reforge.api.models.firms import (
    FirmScreeningModel,
    FirmWarningsModel,
    ProfileModel,
    ScoresModel,
    SearchModel,
)
from reforge.api.services import firm_credit, firm_screening, firm_warnings
from reforge.messages import Message

router = APIRouter(tags=["enterprises"])

Uscc = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                           description="18-character unified social credit code")]


@router.get("/enterprises", response_model=SearchModel, response_model_exclude_unset=True, responses=with_downloads(SearchModel))
def search(user: CurrentUser, db: DB,
           q: Annotated[str | None, Query(max_length=100, description="part of name or USCC")] = None,
           province_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
           city_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
           industry_code: Annotated[str | None, Query(pattern=r"^[A-Z]?\d{0,4}$", max_length=5)] = None,
           size_class: Literal["large", "medium", "small", "micro"] | None = None,
           ownership: Literal["state", "private", "foreign", "mixed"] | None = None,
           designation: Annotated[str | None, Query(max_length=40)] = None,
           chain_id: Annotated[str | None, Query(max_length=60)] = None,
           page: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE:,}")] = 1,
           page_size: Annotated[int, Query(ge=1, le=200)] = 20,
           province: Annotated[str | None, Query(max_length=40, description="province name (江苏, Jiangsu) or code")] = None,
           sort: Literal["uscc", "name", "province_code", "industry_code", "size_class", "latest_year",
                         "revenue", "employees"] = "uscc",
           dir: Literal["asc", "desc"] = "asc",
           format: Annotated[Literal["xlsx", "csv"] | None, Query(description="download every matching row")] = None,
           lang: Annotated[str | None, Query(max_length=10, description="en or zh: export headers")] = None) -> dict:
    """``{"total", "page", "page_size", "items": [...]}``; an enterprise account sees only itself,
    a region-scoped account only its region's enterprises. With ``format`` the answer is an Excel
    or CSV file of every matching row (names instead of codes, headers in ``lang``)."""
    if province:
        from reforge.web.names import resolve_province
        province_code = resolve_province(province)
        if province_code is None:
            raise HTTPException(422, {"code": "enterprises.unknown_province", "params": {"province": province},
                                      "message": f"unknown province {province!r}: use a name (Jiangsu, 江苏) "
                                                 "or a 6-digit GB/T 2260 code"})
    f = eq.SearchFilters(q=q, province_code=province_code, city_code=city_code,
                         industry_code=industry_code, size_class=size_class, ownership=ownership,
                         designation=designation, chain_id=chain_id, region=region_scope(user))
    if user.role == "enterprise":
        f = eq.SearchFilters(**{**f.__dict__, "uscc": user.uscc})
    with db.quick() as engine:
        if format is not None:
            from reforge.web.tables import MAX_EXPORT_ROWS, download, export_lang
            res = eq.search(engine, f, 1, MAX_EXPORT_ROWS, sort, dir == "desc")
            return download("enterprises", res["items"], export_lang(lang), format, "enterprises")
        return plain(eq.search(engine, f, page, page_size, sort, dir == "desc"))


@router.get("/enterprises/{uscc}", response_model=None, responses={200: {"model": ProfileModel}})
async def profile(uscc: Uscc, user: CurrentUser, db: DB) -> Response:
    """The enterprise's profile (see ``enterprise_queries.profile``); 404 when unknown or not yours.

    The JSON text is kept in memory until the next write through this server (the server is the
    only writer of its database file), so repeated reads cost no query; a miss runs the queries
    in the thread pool.
    """
    check_enterprise_access(user, uscc)
    if region_scope(user) is not None:
        await run_in_threadpool(check_region_access_db, db, user, uscc)
    key = ("profile", uscc)
    body = db.cache.get(key)
    if body is None:
        body = await run_in_threadpool(_profile_json, db, uscc)
        if body is None:
            raise HTTPException(404, Message("api.not_found.enterprise", {"uscc": uscc}, f"enterprise {uscc} not found"))
        if len(db.cache) > 20000:
            db.cache.clear()
        db.cache[key] = body
    return Response(body, media_type="application/json")


def _profile_json(db: DB, uscc: str) -> bytes | None:
    with db.quick() as engine:
        p = eq.profile(engine, uscc)
    return None if p is None else json.dumps(p, ensure_ascii=False).encode()


def _known(engine: Engine, user: CurrentUser, uscc: str) -> None:
    check_enterprise_access(user, uscc)
    if not eq.exists(engine, uscc):
        raise HTTPException(404, Message("api.not_found.enterprise", {"uscc": uscc}, f"enterprise {uscc} not found"))
    check_region_access(engine, user, uscc)


@router.get("/enterprises/{uscc}/screening", response_model=FirmScreeningModel, response_model_exclude_unset=True)
def screening(uscc: Uscc, user: CurrentUser, engine: Engine) -> dict:
    """Screening breakdown per tier (points per criterion, failed conditions) from the latest figures."""
    _known(engine, user, uscc)
    return jsonable(firm_screening(engine, uscc))


@router.get("/enterprises/{uscc}/credit", response_model=ScoresModel, response_model_exclude_unset=True)
def credit(uscc: Uscc, user: CurrentUser, engine: Engine,
           year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> dict:
    """One firm's credit grade with reason codes."""
    _known(engine, user, uscc)
    return jsonable(firm_credit(engine, uscc, year))


@router.get("/enterprises/{uscc}/warnings", response_model=FirmWarningsModel, response_model_exclude_unset=True)
def warnings(uscc: Uscc, user: CurrentUser, engine: Engine) -> dict:
    """Early warning of one enterprise: ``{"uscc", "warnings": {year, tier, level, signals} | null}``."""
    _known(engine, user, uscc)
    return {"uscc": uscc, "warnings": jsonable(firm_warnings(engine, uscc))}
