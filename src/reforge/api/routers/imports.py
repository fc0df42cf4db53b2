"""Imports: upload a file and run the all-or-nothing importer (admin); import templates."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from reforge.api import audit
from reforge.api.capabilities import jsonable
from reforge.api.deps import DB, Admin
from reforge.api.models.analysis import ImportModel
from reforge.api.models.base import FILES
from reforge.errors import ReforgeError
from reforge.schema.tables import DATA_TABLES

log = logging.getLogger(__name__)
router = APIRouter(tags=["imports"])
MAX_BYTES = 200 * 1024 * 1024
NAME_MAX = 120  # characters of the client's file name kept for messages and the audit log


def display_name(filename: str | None) -> str:
    """The client's file name as shown in messages: the last path part, control characters
    removed, shortened to NAME_MAX characters (keeping the suffix)."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", Path((filename or "upload.csv").replace("\\", "/")).name) or "upload"
    if len(name) > NAME_MAX:
        suf = Path(name).suffix[:10]
        name = name[: NAME_MAX - len(suf) - 1] + "…" + suf
    return name


def _rejected(file: str, code: str, params: dict, message: str, zh: str | None = None) -> dict:
    """A 422 body shaped like an importer rejection (one file-level error) plus a ``detail`` list."""
    err = {"file": file, "row": None, "sheet_row": None, "column": None, "value": None, "reason": message,
           "reason_zh": zh or message, "code": code, "params": params}
    return {"ok": False, "error_count": 1, "error_codes": {code: 1}, "errors": [err], "errors_not_shown": 0,
            "rows_written": {}, "detail": [{"loc": ["body", "file"], "type": "value_error", "msg": message, "code": code,
                                            "params": params}]}


def run_import(db: DB, username: str, table: str, mode: str, upload: UploadFile,
               cascade: bool = False) -> tuple[int, dict]:
    """Save the upload to a temp file, import it, audit; (HTTP status, result dict).

    Messages name the client's file, never the server's temporary copy; every rejection
    (422) is audited (the importer audits its own; earlier ones are audited here)."""
    from reforge.ingest.messages import text
    name = display_name(upload.filename)
    if table not in DATA_TABLES:
        params = {"table": table[:60], "known": ", ".join(DATA_TABLES)}
        out = _rejected(name, "ingest.table.unknown", params, text("ingest.table.unknown", params),
                        text("ingest.table.unknown", params, "zh"))
        out["detail"][0]["loc"] = ["body", "table"]
        with db.writer() as e:
            audit.record(e, username, "import.rejected", table[:60], 0,
                         {"file": name, "mode": mode, "reason": "ingest.table.unknown", "errors": 1})
        return 422, out
    suffix = Path(name).suffix.lower()
    safe_suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ".bin"
    from reforge.ingest import import_files
    with tempfile.TemporaryDirectory(prefix="reforge-upload-") as d:
        path = Path(d) / f"upload{safe_suffix}"  # the client's name is never a server path
        size = 0
        with path.open("wb") as fh:
            while chunk := upload.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    return 413, {"detail": text("ingest.upload.too_large",
                                                {"file": name, "limit_mb": MAX_BYTES // (1 << 20)}),
                                 "code": "ingest.upload.too_large"}
                fh.write(chunk)
        with db.writer() as e:
            try:
                # the importer writes its own audit row, for a success and for a rejection
                res = import_files(e, table, [path], mode=mode, actor=username, names=[name], cascade=cascade)
            except ReforgeError as exc:
                msg = str(exc).replace(str(path), name).replace(d, "")
                code = getattr(exc, "code", None)
                code = code if isinstance(code, str) and code.startswith("ingest.") else "ingest.failed"
                params = {"file": name, "detail": msg}
                audit.record(e, username, "import.rejected", table, 0,
                             {"file": name, "mode": mode, "reason": code, "errors": 1})
                return 422, _rejected(name, code, params, msg)
            except Exception as exc:  # noqa: BLE001 - hostile input must never end as a 500
                log.exception("import of %s into %s failed", name, table)
                params = {"file": name, "detail": type(exc).__name__}
                audit.record(e, username, "import.rejected", table, 0,
                             {"file": name, "mode": mode, "reason": "ingest.failed", "errors": 1})
                return 422, _rejected(name, "ingest.failed", params, text("ingest.failed", params),
                                      text("ingest.failed", params, "zh"))
            out = jsonable(res.to_dict())
    if not res.ok:  # the errors again as a validation-error list: every problem is in the uploaded file
        out["detail"] = [{"loc": ["body", "file"], "type": "value_error", "msg": _located(err),
                          "code": err.get("code"), "params": err.get("params")} for err in out["errors"]]
    return (200 if res.ok else 422), out


def _located(err: dict) -> str:
    where = [err.get("file") or ""]
    if err.get("sheet_row") is not None:
        where.append(f"row {err['sheet_row']} (data row {err['row']})")
    elif err.get("row") is not None:
        where.append(f"row {err['row']}")
    if err.get("column"):
        where.append(f"column {err['column']}")
    return ", ".join(w for w in where if w) + ": " + str(err.get("reason"))


@router.post("/imports", response_model=None, responses={200: {"model": ImportModel}})
def upload(user: Admin, db: DB,
           table: Annotated[str, Form(min_length=1, max_length=60)],
           file: Annotated[UploadFile, File(description="CSV, Parquet or Excel file")],
           mode: Annotated[Literal["append", "upsert", "replace"], Form()] = "append",
           cascade: Annotated[bool, Form(description="with replace: delete (or un-link) rows of other tables "
                                                     "that would point at nothing")] = False) -> JSONResponse:
    """Import a file all-or-nothing; 200 with the result, or 422 with row/column errors (nothing written).

    Each error has ``file`` (the uploaded name), ``row`` (data row, 1 = first row after the header),
    ``sheet_row`` (the row a spreadsheet shows, header = 1), ``column``, ``value``, ``reason`` (English),
    ``reason_zh``, a stable ``code`` and its ``params``."""
    code, out = run_import(db, user.username, table, mode, file, cascade=cascade)
    if code == 413:
        raise HTTPException(413, out["detail"])
    return JSONResponse(out, status_code=code)


_FILES = {200: {"description": "the template file", "content": FILES}}


@router.get("/imports/templates", response_class=Response, responses=_FILES)
def template_by_query(user: Admin, table: Annotated[str, Query(max_length=60)],
                      format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx or csv")] = "xlsx") -> Response:
    """The same as ``/imports/templates/{table}``, with the table as a query parameter (a plain HTML form)."""
    return template(user, table, format)


@router.get("/imports/templates/{table}", response_class=Response, responses=_FILES)
def template(user: Admin, table: str,
             format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx or csv")] = "xlsx") -> Response:
    """An import template for ``table``: the header and one example row (from ``examples/``)."""
    from reforge.ingest.templates import template_bytes
    if table not in DATA_TABLES:
        raise HTTPException(404, f"unknown table {table!r}; known: {', '.join(DATA_TABLES)}")
    content, media, fname = template_bytes(table, format)
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{fname}"'})
