"""Chinese spreadsheets and helpful errors (issue 13 finding 10): CSV encodings (UTF-8 with or
without BOM, GBK/GB18030), a wrong table in one short message, templates per table."""

import io

import openpyxl
import pandas as pd
import pytest

from reforge.ingest import import_files
from reforge.ingest.readers import detect_encoding
from reforge.ingest.templates import example_row, template_bytes
from reforge.schema.tables import DATA_TABLES, get_table
from tests.synth import enterprise_years, enterprises

NAMES = ["江苏恒立液压股份有限公司", "南京埃斯顿自动化股份有限公司", "苏州绿的谐波传动科技股份有限公司"]


@pytest.mark.parametrize(("encoding", "detected"), [("gbk", "gb18030"), ("gb18030", "gb18030"),
                                                    ("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig")])
def test_chinese_csv_in_any_common_encoding_stores_the_right_text(tmp_path, duck, encoding, detected):
    ent = enterprises(3).assign(name=NAMES)
    if encoding == "gb18030":
        ent.loc[2, "name"] = "䶮𠀀科技有限公司"  # characters outside GBK
    f = tmp_path / f"firms_{encoding}.csv"
    f.write_bytes(ent.to_csv(index=False).encode(encoding))
    assert detect_encoding(f, f.name) == detected
    res = import_files(duck, "enterprises", [f])
    assert res.ok, res.errors
    stored = duck.fetch_df("SELECT uscc, name FROM enterprises ORDER BY uscc")
    assert dict(zip(stored.uscc, stored.name, strict=True)) == dict(zip(ent.uscc, ent.name, strict=True))


def test_a_gbk_error_names_the_file_not_a_codec(tmp_path, duck):
    ent = enterprises(2).assign(name=NAMES[:2])
    ent.loc[1, "province_code"] = "990000"
    f = tmp_path / "坏数据.csv"
    f.write_bytes(ent.to_csv(index=False).encode("gbk"))
    (err,) = import_files(duck, "enterprises", [f], names=["坏数据.csv"]).errors
    assert (err["file"], err["row"], err["sheet_row"], err["column"]) == ("坏数据.csv", 2, 3, "province_code")
    assert "codec" not in err["reason"] and err["reason_zh"] == "不是 GB/T 2260 行政区划代码"


def test_the_wrong_table_gives_one_short_message(tmp_path, duck):
    ent = enterprises(20)
    f = tmp_path / "years.csv"
    enterprise_years(ent, range(2020, 2024)).to_csv(f, index=False)
    res = import_files(duck, "chains", [f], names=["years.csv"])
    (err,) = res.errors
    assert err["code"] == "ingest.table.mismatch" and err["row"] is None
    assert err["params"]["table"] == "chains" and err["params"]["unknown"] == 6
    assert len(err["reason"]) < 300 and err["reason"].count("chain_id") == 1
    assert "years.csv" in err["reason_zh"] and "chains" in err["reason_zh"]


def test_one_unknown_column_is_named_without_the_full_column_list(tmp_path, duck):
    f = tmp_path / "e.csv"
    enterprises(2).assign(colour="red").to_csv(f, index=False)
    (err,) = import_files(duck, "enterprises", [f]).errors
    assert (err["column"], err["code"], err["reason"]) == ("colour", "ingest.column.unknown",
                                                           "unknown column for table enterprises")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_hold_the_header_and_one_example_row_and_import_back(tmp_path, duck, fmt):
    content, media, name = template_bytes("indicators", fmt)
    assert name == f"indicators_template.{fmt}" and ("csv" in media) == (fmt == "csv")
    ex = example_row("indicators")
    assert ex["region_code"] == "CN" and ex["year"] == "2020"
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    else:
        df = pd.read_csv(io.BytesIO(content), dtype=str, encoding="utf-8-sig", keep_default_na=False)
        rows = [list(df.columns), list(df.iloc[0])]
    assert rows[0] == get_table("indicators").names and len(rows) == 2
    assert str(rows[1][0]) == "CN" and float(rows[1][3]) == float(ex["value"])
    f = tmp_path / name
    f.write_bytes(content)
    res = import_files(duck, "indicators", [f])
    assert res.ok and res.rows_written == {"indicators": 1}
    assert duck.fetch_scalar("SELECT value FROM indicators") == float(ex["value"])


def test_every_data_table_has_a_template():
    for t in DATA_TABLES:
        ws = openpyxl.load_workbook(io.BytesIO(template_bytes(t, "xlsx")[0])).active
        assert [c.value for c in next(ws.iter_rows())] == get_table(t).names
