"""Imports: upload a file and run the all-or-nothing importer (admin)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from reforge.api import audit
from reforge.api.capabilities import jsonable, need
from reforge.api.deps import DB, Admin
from reforge.schema.tables import DATA_TABLES

router = APIRouter(tags=["imports"])
SUFFIXES = (".csv", ".parquet", ".xlsx", ".tsv", ".json")
MAX_BYTES = 200 * 1024 * 1024


def run_import(db: DB, username: str, table: str, mode: str, upload: UploadFile) -> tuple[int, dict]:
    """Save the upload to a temp file with its suffix, import it, audit; (HTTP status, result dict)."""
    if table not in DATA_TABLES:
        return 422, {"detail": [{"loc": ["body", "table"], "type": "value_error",
                                 "msg": f"unknown table {table!r}; known: {', '.join(DATA_TABLES)}"}]}
    name = Path(upload.filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return 422, {"detail": [{"loc": ["body", "file"], "type": "value_error",
                                 "msg": f"file type {suffix or '(none)'} not supported; use "
                                        f"{', '.join(SUFFIXES)}"}]}
    import_files = need("reforge.ingest", "import_files")
    with tempfile.TemporaryDirectory(prefix="reforge-upload-") as d:
        path = Path(d) / name
        size = 0
        with path.open("wb") as fh:
            while chunk := upload.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    return 413, {"detail": f"file larger than {MAX_BYTES // (1 << 20)} MB"}
                fh.write(chunk)
        with db.writer() as e:
            # the importer writes its own audit row (actor = username) in the import transaction;
            # a rejected import writes nothing, so it is audited here
            res = import_files(e, table, [path], mode=mode, actor=username)
            out = jsonable(res.to_dict())
            for err in out.get("errors") or []:  # name the uploaded file, not the temp copy
                if isinstance(err, dict) and err.get("file") == str(path):
                    err["file"] = name
            if not res.ok:
                audit.record(e, username, "import.rejected", table, 0,
                             {"file": name, "mode": mode, "errors": int(res.error_count)})
    return (200 if res.ok else 422), out


@router.post("/imports")
def upload(user: Admin, db: DB,
           table: Annotated[str, Form(min_length=1, max_length=60)],
           file: Annotated[UploadFile, File(description="CSV, Parquet or Excel file")],
           mode: Annotated[Literal["append", "upsert", "replace"], Form()] = "append") -> JSONResponse:
    """Import a file all-or-nothing; 200 with the result, or 422 with row/column errors (nothing written)."""
    code, out = run_import(db, user.username, table, mode, file)
    if code == 413:
        raise HTTPException(413, out["detail"])
    return JSONResponse(out, status_code=code)
