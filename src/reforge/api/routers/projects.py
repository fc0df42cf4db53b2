"""Tackling-project routes: the portfolio (``GET /loop/projects``), the board of one item
(``GET /loop/board/{item_id}``) and the projects' outcome (``GET /loop/outcome``).

Admins and analysts see every project; an enterprise account sees only the projects where its
firm is the lead or an enterprise partner (coverage, budget, overdue milestones and leads are
computed on those projects alone) and, on a board, no other firm's credit grade. An account
without a role listed here gets 403. Errors are coded: a bad date is 422, an unknown item 404,
missing project tables (or another data problem) 409.

An analyst bound to a region (issue 19) sees the projects in which a firm of its region is lead or
enterprise partner, with the gap items labelled from its region's purchases, and only its region's
leads; on a board, the item as its region sees it (see :func:`reforge.loop.board.board`).

The outcome is a province aggregate (the effect on all project items or firms, with the comparison
units' data behind it), so it is for admins and analysts only: an enterprise account gets 403.
Its parameters are those of :func:`reforge.loop.outcome.project_outcome`; a bad value is a 422 with
the library's code (``loop.outcome.bad_*``) naming the parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from reforge.api.deps import CurrentUser, Engine, region_scope, withhold_from_region
from reforge.api.lang import coded
from reforge.errors import InvalidInput, NotFound, ReforgeError
from reforge.loop.outcome import OutcomeModel
from reforge.loop.project_result import BoardModel, PortfolioModel

router = APIRouter(tags=["loop"])

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_ITEM = r"^[A-Za-z0-9_.:-]{1,64}$"
_ROLES = ("admin", "analyst", "enterprise")


def _scope(user: CurrentUser) -> str | None:
    """None for admins/analysts; the firm's USCC for an enterprise account (403 for other roles and for an
    enterprise account without a firm)."""
    if user.role not in _ROLES:
        raise HTTPException(403, "not allowed")
    if user.role == "enterprise":
        if not user.uscc:
            raise HTTPException(403, "this enterprise account has no firm")
        return user.uscc
    return None


def _http(err: ReforgeError) -> HTTPException:
    """404 for NotFound, 422 (a validation array naming ``as_of``) for InvalidInput, else 409."""
    if isinstance(err, NotFound):
        return HTTPException(404, coded(err))
    if isinstance(err, InvalidInput):
        return HTTPException(422, [{"loc": ["query", "as_of"], "type": "value_error", "msg": str(err),
                                    "code": err.code}])
    return HTTPException(409, coded(err))


@router.get("/loop/projects", response_model=PortfolioModel)
def projects(user: CurrentUser, engine: Engine,
             as_of: Annotated[str | None, Query(pattern=_DATE)] = None,
             year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
             chain: Annotated[str | None, Query(pattern=_ITEM)] = None) -> dict:
    """Portfolio: coverage of blank/chokepoint items by projects, budget by chain/foundation/source,
    overdue milestones on ``as_of`` (default today), leads with weakening credit or warnings."""
    from reforge.loop.projects import portfolio
    scope = _scope(user)
    try:
        return portfolio(engine, as_of, year, chain, scope, region=region_scope(user)).to_dict()
    except ReforgeError as e:
        raise _http(e) from None


@router.get("/loop/board/{item_id}", response_model=BoardModel)
def board(item_id: Annotated[str, Path(pattern=_ITEM)], user: CurrentUser, engine: Engine,
          as_of: Annotated[str | None, Query(pattern=_DATE)] = None,
          year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> dict:
    """The item read top to bottom; every empty step has ``missing`` and ``action`` messages."""
    from reforge.loop.board import board as run
    scope = _scope(user)
    try:
        return run(engine, item_id, as_of, year, scope, region_scope(user)).to_dict()
    except ReforgeError as e:
        raise _http(e) from None


_OUTCOME_PARAM = {"loop.outcome.bad_unit": "unit", "loop.outcome.bad_outcome": "outcome",
                  "loop.outcome.bad_lag": "lag", "loop.outcome.bad_control": "control"}


@router.get("/loop/outcome", response_model=OutcomeModel)
def outcome(request: Request, user: CurrentUser, engine: Engine,
            outcome: Annotated[str | None, Query(max_length=40)] = None,
            lag: Annotated[int, Query()] = 0,
            control: Annotated[str, Query(max_length=20)] = "never",
            unit: Annotated[str, Query(max_length=20)] = "item") -> dict:
    """ATT of tackling projects on ``outcome`` of their items (``unit=item``: domestic_share, the default,
    tech_gap, domestic_suppliers) or participating firms (``unit=firm``: rd_intensity, the default,
    log_revenue, class1_ip), treated from the first project's start year + ``lag``; admins and analysts."""
    from reforge.loop.outcome import project_outcome
    from reforge.messages import render
    if user.role not in ("admin", "analyst"):
        zh = request.cookies.get("lang") == "zh" or request.headers.get("accept-language", "").lower().startswith("zh")
        raise HTTPException(403, {"code": "loop.outcome.forbidden",
                                  "msg": render("loop.outcome.forbidden", {}, "zh" if zh else "en")})
    withhold_from_region(user)  # the comparison units come from every region
    if outcome is None:
        outcome = "rd_intensity" if unit == "firm" else "domestic_share"
    try:
        return project_outcome(engine, outcome, lag, control, unit).to_dict()
    except InvalidInput as e:
        raise HTTPException(422, [{"loc": ["query", _OUTCOME_PARAM.get(e.code or "", "query")], "type": "value_error",
                                   "msg": str(e), "code": e.code, "params": e.params}]) from None
    except ReforgeError as e:
        raise _http(e) from None
