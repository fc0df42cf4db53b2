"""Hostile and broken files are rejected with a clear, coded file-level problem (issue 19 findings 2
and 9): XLSX memory and zip bombs, a zip without a sheet, out-of-range integers, odd Parquet types,
files that are not tables. Nothing is written, and every rejection is audited."""

import json
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reforge.ingest import import_files, import_tables
from reforge.ingest.limits import ReadLimits
from tests.ingest.bombs import far_cell_xlsx, many_rows_xlsx, ratio_bomb_xlsx, write_xlsx
from tests.synth import enterprise_years, enterprises

ENT_COLS = ["uscc", "name", "province_code", "industry_code"]


def _only_error(res) -> dict:
    assert not res.ok
    assert res.error_count == 1, res.errors
    return res.errors[0]


def _last_audit(duck) -> dict:
    a = duck.fetch_df("SELECT action, target, rows, detail FROM audit_log ORDER BY id DESC LIMIT 1").iloc[0]
    return {"action": a.action, "target": a.target, "rows": int(a.rows), "detail": json.loads(a.detail)}


@pytest.mark.parametrize("declared", [True, False])
def test_cell_at_xfd1048576_is_rejected_without_reading_the_sheet(tmp_path, duck, declared):
    ent = enterprises(2)
    f = far_cell_xlsx(tmp_path / "far.xlsx", ENT_COLS, ent[ENT_COLS].values.tolist(), dimension=declared)
    assert f.stat().st_size < 5000
    err = _only_error(import_files(duck, "enterprises", [f], names=["far.xlsx"]))
    assert err["code"] == "ingest.xlsx.too_many_columns" and err["file"] == "far.xlsx"
    assert err["params"]["cell"] == "XFD1048576" and err["params"]["limit"] == 200
    assert "far.xlsx" in err["reason"] and "XFD1048576" in err["reason"] and err["reason_zh"] != err["reason"]
    assert duck.count("enterprises") == 0
    a = _last_audit(duck)
    assert a["action"] == "import.rejected" and a["rows"] == 0
    assert a["detail"]["reason"] == "ingest.xlsx.too_many_columns" and a["detail"]["errors"] == 1


def test_declared_rows_over_the_limit_are_rejected_before_reading(tmp_path, duck):
    f = many_rows_xlsx(tmp_path / "rows.xlsx", ENT_COLS[:2], 5_000)
    res = import_files(duck, "enterprises", [f], limits=ReadLimits(max_rows=1_000))
    err = _only_error(res)
    assert err["code"] == "ingest.xlsx.too_many_rows" and err["params"]["rows"] == 5_000
    assert err["params"]["limit"] == 1_000 and res.rows_read == {}


def test_undeclared_rows_over_the_limit_stop_the_stream(tmp_path, duck):
    # header right for the table, no <dimension>: the row counter stops the read at the limit
    f2 = many_rows_xlsx(tmp_path / "rows2.xlsx", ["uscc", "year", "defaulted"], 5_000, dimension=False)
    err = _only_error(import_files(duck, "defaults", [f2], limits=ReadLimits(max_rows=1_000)))
    assert err["code"] == "ingest.xlsx.too_many_rows" and err["params"]["limit"] == 1_000


def test_compression_bomb_with_the_wrong_header_is_rejected_at_the_header(tmp_path, duck):
    # 50,000 rows, no <dimension>: the header is checked first, so no row is read
    f = many_rows_xlsx(tmp_path / "bomb.xlsx", ["a", "b"], 50_000, dimension=False)
    res = import_files(duck, "enterprises", [f], names=["bomb.xlsx"])
    err = _only_error(res)
    assert err["code"] == "ingest.table.mismatch" and res.rows_read == {}
    assert err["params"]["table"] == "enterprises" and "uscc" in err["params"]["expected"]


def test_zip_ratio_bomb_is_rejected(tmp_path, duck):
    f = ratio_bomb_xlsx(tmp_path / "ratio.xlsx", ENT_COLS, pad_mb=32)
    err = _only_error(import_files(duck, "enterprises", [f]))
    assert err["code"] == "ingest.xlsx.zip_ratio" and err["params"]["ratio"] > 200


def test_zip_without_a_sheet_and_zip_without_a_workbook(tmp_path, duck):
    f = write_xlsx(tmp_path / "nosheet.xlsx", [], with_sheet=False)
    assert _only_error(import_files(duck, "enterprises", [f]))["code"] == "ingest.xlsx.no_sheet"
    g = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(g, "w") as z:
        z.writestr("hello.txt", "hi")
    assert _only_error(import_files(duck, "enterprises", [g]))["code"] == "ingest.xlsx.not_workbook"
    h = tmp_path / "text.xlsx"
    h.write_text("uscc,name\n")
    assert _only_error(import_files(duck, "enterprises", [h]))["code"] == "ingest.file.not_tabular"


def test_png_is_not_a_table(tmp_path, duck):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    for name in ("logo.png", "logo.csv"):
        (tmp_path / name).write_bytes(png)
        err = _only_error(import_files(duck, "enterprises", [tmp_path / name], names=[name]))
        assert err["code"] == "ingest.file.not_tabular" and err["column"] is None
        assert err["reason"] == f"{name} is not a CSV, XLSX or Parquet file"


def test_integers_are_checked_against_their_sql_type(duck):
    ent = enterprises(1)
    assert import_tables(duck, {"enterprises": [("e", ent)]}).ok
    ey = enterprise_years(ent, range(2020, 2023)).astype(object)
    ey["employees"] = ["3e9", "2147483647", "-2147483649"]  # INTEGER is 32-bit
    res = import_tables(duck, {"enterprise_years": [("ey.csv", ey.astype(str))]})
    errs = [e for e in res.errors if e["column"] == "employees"]
    assert [(e["row"], e["code"]) for e in errs] == [(1, "ingest.value.range"), (3, "ingest.value.range")]
    assert errs[0]["params"]["high"] == 2**31 - 1 and "INTEGER" in errs[0]["reason"]
    assert duck.count("enterprise_years") == 0
    ey["employees"] = ["1", "2147483647", "3"]
    assert import_tables(duck, {"enterprise_years": [("ey.csv", ey.astype(str))]}).ok
    assert duck.fetch_scalar("SELECT MAX(employees) FROM enterprise_years") == 2**31 - 1


def test_parquet_huge_unsigned_and_binary_columns(tmp_path, duck):
    ent = enterprises(2)
    assert import_tables(duck, {"enterprises": [("e", ent)]}).ok
    ey = enterprise_years(ent, range(2020, 2021))
    t = pa.Table.from_pandas(ey.drop(columns=["employees"]), preserve_index=False)
    big = t.append_column("employees", pa.array(np.array([2**64 - 1, 5], dtype=np.uint64)))
    pq.write_table(big, tmp_path / "u64.parquet")
    err = _only_error(import_files(duck, "enterprise_years", [tmp_path / "u64.parquet"], names=["u64.parquet"]))
    assert (err["row"], err["column"], err["code"]) == (1, "employees", "ingest.value.range")
    huge = t.append_column("employees", pa.array([1e23, 7.0]))
    pq.write_table(huge, tmp_path / "f.parquet")
    err = _only_error(import_files(duck, "enterprise_years", [tmp_path / "f.parquet"]))
    assert (err["row"], err["column"], err["code"]) == (1, "employees", "ingest.value.range")
    binary = t.append_column("employees", pa.array([b"\x00\x01", b"\x02"], type=pa.binary()))
    pq.write_table(binary, tmp_path / "b.parquet")
    err = _only_error(import_files(duck, "enterprise_years", [tmp_path / "b.parquet"], names=["b.parquet"]))
    assert err["code"] == "ingest.parquet.type" and err["column"] == "employees" and err["file"] == "b.parquet"
    assert duck.count("enterprise_years") == 0
    ok = t.append_column("employees", pa.array(np.array([10, 5], dtype=np.uint64)))
    pq.write_table(ok, tmp_path / "ok.parquet")
    assert import_files(duck, "enterprise_years", [tmp_path / "ok.parquet"]).ok
    assert sorted(duck.fetch_df("SELECT employees FROM enterprise_years").employees) == [5, 10]


def test_a_row_column_in_the_file_is_not_trusted(tmp_path, duck):
    ent = enterprises(3).assign(_row=[-7, -8, -9])
    ent.loc[1, "province_code"] = "999999"
    f = tmp_path / "e.csv"
    ent.to_csv(f, index=False)
    res = import_files(duck, "enterprises", [f])
    assert not res.ok
    assert all(e["row"] is None or e["row"] > 0 for e in res.errors)
    assert any(e["column"] == "_row" and e["code"] == "ingest.column.unknown" for e in res.errors)
    f2 = tmp_path / "e2.csv"
    ent.drop(columns=["_row"]).to_csv(f2, index=False)
    (err,) = import_files(duck, "enterprises", [f2]).errors
    assert (err["row"], err["sheet_row"], err["column"]) == (2, 3, "province_code")


def test_sheet_rows_count_blank_lines_and_the_header(tmp_path, duck):
    ent = enterprises(3)
    ent.loc[2, "industry_code"] = "0000"
    lines = ent.to_csv(index=False).splitlines()
    f = tmp_path / "gaps.csv"
    f.write_text("\n".join([lines[0], lines[1], "", lines[2], lines[3]]) + "\n", encoding="utf-8")
    (err,) = import_files(duck, "enterprises", [f]).errors
    assert (err["row"], err["sheet_row"], err["column"]) == (4, 5, "industry_code")
    # an XLSX whose header is on row 3: sheet row 6 is data row 3
    x = tmp_path / "gaps.xlsx"
    pd.DataFrame([[None] * 4, [None] * 4, ENT_COLS, *ent[ENT_COLS].values.tolist()]).to_excel(
        x, index=False, header=False)
    (err,) = import_files(duck, "enterprises", [x]).errors
    assert (err["row"], err["sheet_row"], err["column"]) == (3, 6, "industry_code")
