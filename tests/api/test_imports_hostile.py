"""Imports through the real server (issue 19 findings 2, 7, 9; issue 13 finding 10): hostile files
get a clear 422 naming the uploaded file (never a server path, never a 500) and an audit row;
GBK spreadsheets import with the right Chinese text; templates download; ``replace`` refuses
to orphan rows unless ``cascade`` is asked."""

import io
import json
import zipfile

import httpx
import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.api import smalldb
from tests.api.conftest import login
from tests.ingest.bombs import far_cell_xlsx, write_xlsx

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
E1 = smalldb.E1


def _post(base_url, headers, name, content, table="enterprises", **data):
    return httpx.post(f"{base_url}{API}/imports", headers=headers, timeout=120,
                      data={"table": table, **data}, files={"file": (name, content, "application/octet-stream")})


def _audit(base_url, admin) -> list[dict]:
    return httpx.get(f"{base_url}{API}/audit", headers=admin, timeout=60).json()


def _parquet(employees: pa.Array) -> bytes:
    t = pa.table({"uscc": [E1], "year": [2019], "employees": employees})
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue()


def _xlsx(builder, tmp_path, *args, **kw) -> bytes:
    return builder(tmp_path / "f.xlsx", *args, **kw).read_bytes()


def _nosheet(tmp_path) -> bytes:
    return write_xlsx(tmp_path / "n.xlsx", [], with_sheet=False).read_bytes()


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


CASES = {
    "png": ("logo.png", lambda tp: PNG, "enterprises", "ingest.file.not_tabular"),
    "png_as_csv": ("logo.csv", lambda tp: PNG, "enterprises", "ingest.file.not_tabular"),
    "zip_without_sheet": ("book.xlsx", _nosheet, "enterprises", "ingest.xlsx.no_sheet"),
    "zip_not_workbook": ("book.xlsx", lambda tp: _plain_zip(), "enterprises", "ingest.xlsx.not_workbook"),
    "far_cell": ("far.xlsx", lambda tp: _xlsx(far_cell_xlsx, tp, ["uscc", "name"], [[E1, "x"]]),
                 "enterprises", "ingest.xlsx.too_many_columns"),
    "employees_3e9": ("years.csv", lambda tp: f"uscc,year,employees\n{E1},2019,3e9\n".encode(),
                      "enterprise_years", "ingest.value.range"),
    "parquet_1e23": ("y.parquet", lambda tp: _parquet(pa.array([1e23])), "enterprise_years", "ingest.value.range"),
    "parquet_uint64": ("y.parquet", lambda tp: _parquet(pa.array(np.array([2**64 - 1], dtype=np.uint64))),
                       "enterprise_years", "ingest.value.range"),
    "parquet_binary": ("y.parquet", lambda tp: _parquet(pa.array([b"\x00\x01"], type=pa.binary())),
                       "enterprise_years", "ingest.parquet.type"),
    "long_name": ("n" * 300 + ".csv", lambda tp: f"uscc,year,employees\n{E1},2019,-1\n".encode(),
                  "enterprise_years", "ingest.value.rule"),
    "wrong_table": ("years.csv", lambda tp: f"uscc,year,employees,revenue\n{E1},2019,5,1\n".encode(),
                    "chains", "ingest.table.mismatch"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_upload_is_a_clear_audited_422(base_url, admin, tmp_path, case):
    name, make, table, code = CASES[case]
    before = len(_audit(base_url, admin))
    r = _post(base_url, admin, name, make(tmp_path), table=table)
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["ok"] is False and d["errors"][0]["code"] == code, d["errors"]
    shown = d["errors"][0]["file"]
    assert len(shown) <= 120 and shown.endswith(name[-4:]) and shown[:5] == name[:5]
    assert "reforge-upload" not in r.text and "/tmp" not in r.text and "body.file" not in json.dumps(d["errors"])
    assert all(e["column"] != "body.file" for e in d["errors"])
    assert d["detail"] and d["detail"][0]["loc"] == ["body", "file"]
    log = _audit(base_url, admin)
    assert len(log) == before + 1
    assert log[0]["action"] == "import.rejected" and log[0]["username"] == "admin" and log[0]["rows"] == 0
    assert json.loads(log[0]["detail"])["reason"] == code


def test_png_message_is_short_and_names_the_file(base_url, admin):
    d = _post(base_url, admin, "logo.png", PNG).json()
    (err,) = d["errors"]
    assert err["reason"] == "logo.png is not a CSV, XLSX or Parquet file"
    assert err["reason_zh"] == "logo.png 不是 CSV、XLSX 或 Parquet 文件"


def test_unknown_table_is_a_422_and_audited(base_url, admin):
    before = len(_audit(base_url, admin))
    r = _post(base_url, admin, "x.csv", b"a\n1\n", table="nope")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "ingest.table.unknown"
    assert len(_audit(base_url, admin)) == before + 1


def test_errors_give_the_sheet_row_and_the_data_row(base_url, admin):
    csv = f"uscc,year,employees\n{E1},2018,1\n{E1},2017,-5\n".encode()
    (err,) = _post(base_url, admin, "y.csv", csv, table="enterprise_years").json()["errors"]
    assert (err["row"], err["sheet_row"], err["column"]) == (2, 3, "employees")


def test_gbk_csv_imports_with_the_right_chinese_text(base_url, admin):
    u = smalldb.uscc("320500", "MA1GBK000")
    name = "苏州恒创精密机械有限公司"
    csv = f"uscc,name,province_code,industry_code\n{u},{name},320000,3491\n".encode("gbk")
    r = _post(base_url, admin, "企业.csv", csv)
    assert r.status_code == 200, r.text
    got = httpx.get(f"{base_url}{API}/enterprises/{u}", headers=admin, timeout=60)
    assert got.status_code == 200 and name in json.dumps(got.json(), ensure_ascii=False)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_download(base_url, admin, fmt):
    r = httpx.get(f"{base_url}{API}/imports/templates/enterprise_years", headers=admin,
                  params={"format": fmt}, timeout=60)
    assert r.status_code == 200
    assert f'filename="enterprise_years_template.{fmt}"' in r.headers["content-disposition"]
    from reforge.schema.tables import get_table
    names = get_table("enterprise_years").names
    if fmt == "xlsx":
        rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        assert list(rows[0]) == names and len(rows) == 2
    else:
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines[0].split(",") == names and len(lines) == 2


def test_template_errors_and_roles(base_url, admin, analyst):
    assert httpx.get(f"{base_url}{API}/imports/templates/users", headers=admin, timeout=60).status_code == 404
    assert httpx.get(f"{base_url}{API}/imports/templates/items", headers=admin, params={"format": "png"},
                     timeout=60).status_code == 422
    assert httpx.get(f"{base_url}{API}/imports/templates/items", headers=analyst, timeout=60).status_code == 403


def _health(base_url) -> int:
    return httpx.get(f"{base_url}{API}/health", timeout=60).json()["enterprises"]


def test_replace_refuses_to_orphan_then_cascades_when_asked(base_url, admin):
    # keep the firm the demo enterprise account is bound to, so only data rows are at stake
    f = smalldb.frames()
    lg = f["designations"].loc[f["designations"].kind == "little_giant", "uscc"]
    keep = min(lg) if len(lg) else min(f["enterprises"].uscc)
    ent = f["enterprises"][f["enterprises"].uscc == keep]
    csv = ent.to_csv(index=False).encode()
    n_before = _health(base_url)
    assert n_before > 1
    r = _post(base_url, admin, "one.csv", csv, mode="replace")
    assert r.status_code == 422, r.text
    errs = r.json()["errors"]
    assert errs and all(e["code"] == "ingest.replace.orphans" for e in errs)
    assert {e["params"]["table"] for e in errs} >= {"enterprise_years"}
    years = next(e for e in errs if e["params"]["table"] == "enterprise_years")["params"]["rows"]
    assert years == int((f["enterprise_years"].uscc != keep).sum())
    assert _health(base_url) == n_before
    r = _post(base_url, admin, "one.csv", csv, mode="replace", cascade="true")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["rows_written"] == {"enterprises": 1} and d["rows_removed"]["enterprises"] == n_before
    assert d["rows_removed"]["enterprise_years"] == years
    assert _health(base_url) == 1
    entry = _audit(base_url, admin)[0]
    assert entry["action"] == "import:replace"
    assert entry["rows"] == 1 + sum(d["rows_removed"].values()) + sum(d["rows_nulled"].values())
    # the account still logs in and sees its firm
    assert login(base_url, "enterprise")
