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
    return render(request, "partials/import_result.html", user, r=r, code=code, out=out,
                  errors=views.import_errors(out) if out else [])
