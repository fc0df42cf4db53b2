"""Appraisal routes: appraisals, panels, criterion weights, rankings, judgments.

Who may do what: admins and analysts read everything and submit an expert's judgments;
an enterprise account sees only its own appraisals (list and weights; another firm's
appraisal is 404, not 403, so ids do not leak) and never sees panels or rankings. The links
of an appraisal (chain items, adopters, demands) follow the same rule; an enterprise account
gets them without other firms' purchase and demand values.

An analyst bound to a region (issue 19) sees, ranks and judges the appraisals whose applicant is
a firm of its region; another appraisal is 404, as for an enterprise account.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from reforge.api.deps import DB, Analyst, CurrentUser, Engine, region_scope
from reforge.api.lang import coded
from reforge.appraise.links import LinksModel
from reforge.appraise.result import PanelModel, RankingModel, WeightsModel
from reforge.errors import NotFound
from reforge.messages import Message

router = APIRouter(tags=["appraise"])

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
_ROLE_Q = Annotated[list[str] | None, Query(max_length=5, description="ROLE=WEIGHT, e.g. downstream_user=3")]


class AppraisalModel(BaseModel):
    appraisal_id: str
    uscc: str | None
    kind: str
    title: str
    item_id: str | None
    year: int | None


class PairIn(BaseModel):
    a: str = Field(min_length=1, max_length=80)
    b: str = Field(min_length=1, max_length=80)
    value: float = Field(ge=1 / 9 - 1e-9, le=9 + 1e-9, description="how much more important a is than b")


class JudgmentsIn(BaseModel):
    expert_id: str = Field(pattern=_ID)
    pairs: list[PairIn] = Field(min_length=1, max_length=120)


class JudgmentsOut(BaseModel):
    appraisal_id: str
    expert_id: str
    criteria: list[str]
    priorities: dict[str, float]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool


def _role_weights(pairs: list[str] | None) -> dict[str, float] | None:
    out: dict[str, float] = {}
    for p in pairs or []:
        role, sep, val = p.partition("=")
        try:
            out[role] = float(val)
        except ValueError:
            sep = ""
        if not sep:
            raise HTTPException(422, [{"loc": ["query", "role_weight"], "type": "value_error",
                                       "msg": f"role_weight wants ROLE=NUMBER, got {p[:80]!r}"}])
    return out or None


def _not_found(err: NotFound) -> HTTPException:
    return HTTPException(404, coded(err))


def _own(engine: Engine, user: CurrentUser, appraisal_id: str) -> None:
    """404 unless the appraisal exists and, for an enterprise account, is its own (for a region-bound
    analyst: its applicant is a firm of the region)."""
    from reforge.appraise import sql
    try:
        ap = sql.appraisal(engine, appraisal_id)
    except NotFound as e:
        raise _not_found(e) from None
    region = region_scope(user)
    if (user.role == "enterprise" and ap.get("uscc") != user.uscc) or (
            region is not None and sql.appraisals(engine, [appraisal_id], region=region).empty):
        raise HTTPException(404, Message("appraise.not_found", {"appraisal_id": appraisal_id},
                                          f"appraisal {appraisal_id!r} not found"))


@router.get("/appraise/appraisals", response_model=list[AppraisalModel])
def appraisals(user: CurrentUser, engine: Engine,
               kind: Annotated[Literal["first_set", "first_batch", "first_version", "achievement", "new_product"] | None,
                               Query()] = None,
               year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> list[dict]:
    """Appraisals (an enterprise account: only its own)."""
    from reforge.appraise import sql
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "not allowed")
    uscc = user.uscc if user.role == "enterprise" else None
    if user.role == "enterprise" and not uscc:
        return []
    df = sql.appraisals(engine, None, kind, year, uscc, region_scope(user))
    return [{k: (None if v != v else v) for k, v in r.items()} for r in df.to_dict("records")]  # NaN -> None


@router.get("/appraise/appraisals/{appraisal_id}/panel", response_model=PanelModel)
def panel(appraisal_id: Annotated[str, Path(pattern=_ID)], user: Analyst, engine: Engine,
          size: Annotated[int | None, Query(ge=1, le=50)] = None,
          field: Annotated[list[str] | None, Query(max_length=20)] = None,
          role_weight: _ROLE_Q = None) -> dict:
    """A proposed panel without conflicts of interest, with reasons (analysts)."""
    from reforge.appraise import build_panel
    _own(engine, user, appraisal_id)
    try:
        return build_panel(engine, appraisal_id, size, field, _role_weights(role_weight)).to_dict()
    except NotFound as e:
        raise _not_found(e) from None


@router.get("/appraise/appraisals/{appraisal_id}/weights", response_model=WeightsModel)
def weights(appraisal_id: Annotated[str, Path(pattern=_ID)], user: CurrentUser, engine: Engine,
            method: Annotated[Literal["aij", "aip"], Query()] = "aij",
            repair: bool = False, role_weight: _ROLE_Q = None) -> dict:
    """Group criterion weights of one appraisal (an enterprise account: its own only)."""
    from reforge.appraise import criteria_weights
    _own(engine, user, appraisal_id)
    return criteria_weights(engine, [appraisal_id], method=method, role_weights=_role_weights(role_weight),
                            on_inconsistent="repair" if repair else "exclude").to_dict()


@router.get("/appraise/appraisals/{appraisal_id}/links", response_model=LinksModel)
def links(appraisal_id: Annotated[str, Path(pattern=_ID)], user: CurrentUser, engine: Engine,
          top: Annotated[int, Query(ge=1, le=100)] = 10,
          as_of: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> dict:
    """The chain items the appraisal's product addresses (closes a gap?), the item's buyers and
    the demands for it with the applicant's place (an enterprise account: its own appraisals,
    other firms' values left out)."""
    from reforge.appraise.links import appraisal_links
    if user.role not in ("admin", "analyst", "enterprise"):
        raise HTTPException(403, "not allowed")
    _own(engine, user, appraisal_id)
    res = appraisal_links(engine, appraisal_id, top, as_of)
    return (res.redacted() if user.role == "enterprise" else res).to_dict()


@router.get("/appraise/ranking", response_model=RankingModel)
def ranking(user: Analyst, engine: Engine,
            id: Annotated[list[str] | None, Query(max_length=500)] = None,
            kind: Annotated[Literal["first_set", "first_batch", "first_version", "achievement", "new_product"] | None,
                            Query()] = None,
            year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
            method: Annotated[Literal["topsis", "weighted_sum", "vikor"], Query()] = "topsis",
            weights: Annotated[Literal["ahp", "entropy", "critic", "equal"], Query()] = "ahp",
            repair: bool = False, role_weight: _ROLE_Q = None) -> dict:
    """Rank a batch of appraisals (ids, or kind and year) on voice-weighted expert scores (analysts; a
    region-bound analyst: the batch's appraisals of its region's firms)."""
    from reforge.appraise import rank_appraisals, sql
    if (region := region_scope(user)) is not None:
        id, kind, year = list(sql.appraisals(engine, id, kind, year, region=region)["appraisal_id"]), None, None
    try:
        return rank_appraisals(engine, id, kind, year, method, weights, _role_weights(role_weight),
                               "repair" if repair else "exclude").to_dict()
    except NotFound as e:
        raise _not_found(e) from None


@router.post("/appraise/appraisals/{appraisal_id}/judgments", response_model=JudgmentsOut, status_code=201)
def submit(appraisal_id: Annotated[str, Path(pattern=_ID)], body: JudgmentsIn, user: Analyst, db: DB) -> dict:
    """Store one expert's pairwise judgments (admins and analysts; validated before the write)."""
    from reforge.appraise import submit_judgments
    if region_scope(user) is not None:
        with db.reader() as e:
            _own(e, user, appraisal_id)
    try:
        with db.writer() as e:
            return submit_judgments(e, appraisal_id, body.expert_id, [(p.a, p.b, p.value) for p in body.pairs])
    except NotFound as err:
        raise _not_found(err) from None
