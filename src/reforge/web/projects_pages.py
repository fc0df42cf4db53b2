"""Tackling-project pages: ``/loop/projects`` (the portfolio), ``/loop/board`` (every blank and
chokepoint item, linked to its board) and ``/loop/board/{item_id}`` (one item read top to bottom),
in English or Chinese.

Analysts and admins see every project; an enterprise account sees only the projects its firm
leads or partners in, and no other firm's credit grade; an analyst bound to a region, what the API
gives it (the projects with a firm of its region, labels from its region's purchases). Texts come from the Babel catalogs
(codes ``loop.page.*`` and the results' message codes), rendered in the page language.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reforge.api.deps import region_scope
from reforge.messages import render as render_message
from reforge.web.names import item_names
from reforge.web.render import DBDep, PageUser, analysis_memo, cached, cap, lang_of, render

router = APIRouter(include_in_schema=False)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ITEM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _helpers(lang: str) -> dict[str, Any]:
    def m(code: str, **params: Any) -> str:
        return render_message(code, params, lang)

    from reforge.messages import render_coded

    def msg(d: dict | None) -> str:  # nested messages and localized names rendered too
        return "" if not d else render_coded(d, lang)

    def coded(c: dict) -> str:
        return render_coded(c, lang)

    return {"m": m, "msg": msg, "coded": coded}


def _scope(user: Any) -> tuple[bool, str | None]:
    """(allowed, scope): an enterprise account is scoped to its firm; one without a firm sees nothing."""
    if user.role == "enterprise":
        return bool(user.uscc), user.uscc
    return user.role in ("admin", "analyst"), None


def _as_of(v: str | None) -> str | None:
    return v if v is not None and _DATE.match(v) else None


def portfolio_result(db: Any, e: Any, day: str | None, scope: str | None, region: str | None) -> dict:
    """The portfolio on ``day`` (None: today), kept per day while the data are unchanged and in the
    result store ("today" moves milestones into overdue)."""
    from reforge.loop.projects import portfolio
    return cached(db, e, ("loop_portfolio", day or _dt.date.today().isoformat(), scope, region),
                  lambda: cap(lambda: portfolio(e, day, None, None, scope, region=region,
                                                memo=analysis_memo(db, e)).to_dict()), persist=True)


def gap_result(db: Any, e: Any, region: str | None) -> dict:
    """Every blank and chokepoint item (of the region's purchases), kept in the result store."""
    from reforge.loop.projects import gap_items
    return cached(db, e, ("loop_gap_items", region),
                  lambda: cap(lambda: gap_items(e, region=region, memo=analysis_memo(db, e))[0]), persist=True)


def board_result(db: Any, e: Any, item_id: str, day: str | None, scope: str | None, region: str | None) -> dict:
    """The board of an item on ``day`` (None: today), kept per day and in the result store; the
    server's ``analysis_memo`` shares the chains' bottlenecks and the item labels between boards and
    pages (see ``loop.board.board``)."""
    from reforge.loop.board import board
    return cached(db, e, ("loop_board", item_id, day or _dt.date.today().isoformat(), scope, region),
                  lambda: cap(lambda: board(e, item_id, day, None, scope, region, analysis_memo(db, e)).to_dict()),
                  persist=True)


@router.get("/loop/projects", response_class=HTMLResponse)
def projects_page(request: Request, user: PageUser, db: DBDep, as_of: str | None = None) -> Response:
    """The portfolio on ``as_of`` (default today)."""
    lang = lang_of(request)
    ok, scope = _scope(user)
    day = _as_of(as_of)
    res: dict[str, Any] = {"ok": False, "data": None, "error": None}
    names: dict[str, str] = {}
    if ok:
        with db.reader() as e:
            res = portfolio_result(db, e, day, scope, region_scope(user))
            if res["ok"]:
                its = item_names(e, (i for p in res["data"]["projects"] for i in p["items"]))
                names = {k: (n["name_zh"] if lang == "zh" else n["name"]) or k for k, n in its.items()}
    return render(request, "projects/portfolio.html", user, as_of=day or "", item_names=names,
                  p=res["data"] if res["ok"] else None, error=res["error"], **_helpers(lang))


@router.get("/loop/board", response_class=HTMLResponse)
def items_page(request: Request, user: PageUser, db: DBDep) -> Response:
    """Every blank and chokepoint item with a link to its board."""
    lang = lang_of(request)
    region = region_scope(user)
    with db.reader() as e:
        res = gap_result(db, e, region)
    items = res["data"] if res["ok"] else []
    return render(request, "projects/items.html", user, items=items, error=res["error"], scope_region=region,
                  **_helpers(lang))


@router.get("/loop/board/{item_id}", response_class=HTMLResponse)
def board_page(request: Request, user: PageUser, db: DBDep, item_id: str, as_of: str | None = None) -> Response:
    """The board of one item."""
    from reforge.loop import projects_sql as q
    lang = lang_of(request)
    ok, scope = _scope(user)
    res: dict[str, Any] = {"ok": False, "data": None, "error": None}
    status = 200
    found = False
    if _ITEM.match(item_id):
        with db.reader() as e:
            found = e.table_exists("items") and not q.item(e, item_id).empty
            if found and ok:
                res = board_result(db, e, item_id, _as_of(as_of), scope, region_scope(user))
    if not found:
        status = 404
        res["error"] = render_message("loop.board.item_not_found", {"item": item_id[:64]}, lang)
    b = res["data"] if res["ok"] else None
    return render(request, "projects/board.html", user, status_code=status, b=b, item_id=item_id[:64],
                  error=res["error"], **_helpers(lang))
