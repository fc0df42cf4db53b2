"""The data page: table counts, import with its error table, templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from reforge.schema.tables import DATA_TABLES
from reforge.web import views
from reforge.web.render import (
    CSRF,
    DBDep,
    Forbidden,
    PageUser,
    cap,
    render,
    router_for,
)

router = router_for()

# ---- data ----------------------------------------------------------------------------------------

@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, user: PageUser, db: DBDep) -> Response:
    if user.role != "admin":
        raise Forbidden()
    from reforge.api import audit
    with db.reader() as e:
        log_rows = audit.entries(e, 30)
        counts = views.table_counts(e)
    return render(request, "data.html", user, tables=DATA_TABLES, audit=log_rows, counts=counts)


ATTACH_SHOWN = 50  # firms shown in the import review's attachment proposals


def attach_proposals(e, limit: int = ATTACH_SHOWN) -> dict:
    """The import review's chain attachment (挂链): the firms with a main product but no chain item
    (``main_item_id``), first ``limit`` by USCC, each with its three best chain items and its best
    GB/T 4754-2017 class from its own words (``reforge.match.classify``), beside its declared
    industry. ``{"total": firms without an item, "rows": [...]}``."""
    from reforge.match.classify import classify_texts
    total = int(e.fetch_scalar("SELECT COUNT(*) FROM enterprises WHERE main_item_id IS NULL "
                               "AND main_product IS NOT NULL AND TRIM(main_product) <> ''") or 0)
    firms = e.fetch_rows("SELECT uscc, name, name_en, main_product, industry_code FROM enterprises "
                         "WHERE main_item_id IS NULL AND main_product IS NOT NULL AND TRIM(main_product) <> '' "
                         "ORDER BY uscc LIMIT ?", [int(limit)])
    if not firms:
        return {"total": total, "rows": []}
    res = classify_texts([f[3] for f in firms], top=3, engine=e, ids=[f[0] for f in firms]).to_dict()
    rows = []
    for f, t in zip(firms, res["texts"], strict=True):
        best = t["industries"][0] if t["industries"] else None
        declared = str(f[4] or "")
        rows.append({"uscc": f[0], "name": f[1], "name_en": f[2], "main_product": f[3], "industry_code": declared,
                     "items": t["items"] or [], "industry": best,
                     "industry_differs": best is not None and bool(declared) and declared[-4:] != str(best["code"])[-4:]})
    return {"total": total, "rows": rows}


@router.post("/data/upload", response_class=HTMLResponse, dependencies=CSRF)
def data_upload(request: Request, user: PageUser, db: DBDep, table: Annotated[str, Form()],
                file: Annotated[UploadFile, File()], mode: Annotated[str, Form()] = "append") -> Response:
    if user.role != "admin":
        raise Forbidden()
    from reforge.api.routers.imports import run_import
    if mode not in ("append", "upsert", "replace"):
        mode = "append"
    r = cap(run_import, db, user.username, table, mode, file)
    code, out = r["data"] if r["ok"] else (None, None)
    attach = None
    if code == 200 and table == "enterprises":  # review: attach the firms to chain items from their words
        with db.reader() as e:
            attach = cap(attach_proposals, e)
    return render(request, "partials/import_result.html", user, r=r, code=code, out=out, attach=attach,
                  errors=views.import_errors(out) if out else [])
