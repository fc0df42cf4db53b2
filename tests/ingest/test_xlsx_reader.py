"""The streaming XLSX reader reads what Excel writes: shared strings (with rich-text runs and
phonetic guides), dates by number format (1900 and 1904 systems), booleans, numbers, inline strings."""

import zipfile

import pandas as pd

from reforge.ingest import import_files
from reforge.ingest.readers import open_source
from tests.ingest.bombs import _CT, _RELS
from tests.synth import enterprises

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
WB = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
      'openxmlformats.org/officeDocument/2006/relationships"><workbookPr{date1904}/><sheets>'
      '<sheet name="说明" sheetId="1" r:id="rId9"/></sheets></workbook>')
WB_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'worksheet" Target="/xl/worksheets/data.xml"/>'
           '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'sharedStrings" Target="sharedStrings.xml"/>'
           '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'styles" Target="styles.xml"/></Relationships>')
STYLES = (f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="170" formatCode="yyyy&quot;年&quot;m&quot;月'
          '&quot;d&quot;日&quot;"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/>'
          '<xf numFmtId="170"/></cellXfs></styleSheet>')


def _book(path, uscc: list[str], date1904: bool = False):
    strings = ["uscc", "name", "province_code", "industry_code", "founded_on", "listed", *uscc]
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    # a rich-text name with a phonetic guide that must not leak into the value
    sst += "<si><r><t>江苏</t></r><r><t>恒立</t></r><rPh sb=\"0\" eb=\"2\"><t>コウソ</t></rPh></si>"
    rich = len(strings)
    serial = 43832 - (1462 if date1904 else 0)  # 2020-01-02 in either date system
    rows = ['<row r="1">' + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCDEF")) + "</row>"]
    for k in range(len(uscc)):
        r = k + 2
        rows.append(f'<row r="{r}"><c r="A{r}" t="s"><v>{6 + k}</v></c><c r="B{r}" t="s"><v>{rich}</v></c>'
                    f'<c r="C{r}"><v>320000</v></c><c r="D{r}" t="inlineStr"><is><t>3491</t></is></c>'
                    f'<c r="E{r}" s="{1 + k % 2}"><v>{serial}</v></c><c r="F{r}" t="b"><v>{k % 2}</v></c></row>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", WB.format(date1904=' date1904="1"' if date1904 else ""))
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        z.writestr("xl/sharedStrings.xml", f'<sst {NS}>{sst}</sst>')
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/worksheets/data.xml", f'<worksheet {NS}><dimension ref="A1:F3"/><sheetData>'
                                             + "".join(rows) + "</sheetData></worksheet>")
    return path


def test_shared_strings_dates_and_booleans(tmp_path):
    u = list(enterprises(2).uscc)
    for date1904 in (False, True):
        src = open_source(_book(tmp_path / f"b{date1904}.xlsx", u, date1904), "b.xlsx")
        assert src.columns == ["uscc", "name", "province_code", "industry_code", "founded_on", "listed"]
        df, rows, probs = src.read()
        assert list(rows) == [1, 2] and probs == []
        assert df.to_dict("list") == {"uscc": u, "name": ["江苏恒立"] * 2, "province_code": ["320000"] * 2,
                                      "industry_code": ["3491"] * 2, "founded_on": ["2020-01-02"] * 2,
                                      "listed": ["false", "true"]}


def test_an_excel_style_book_imports(tmp_path, duck):
    u = list(enterprises(2).uscc)
    res = import_files(duck, "enterprises", [_book(tmp_path / "b.xlsx", u)])
    assert res.ok, res.errors
    got = duck.fetch_df("SELECT uscc, name, founded_on, listed FROM enterprises ORDER BY uscc")
    assert list(got.name) == ["江苏恒立"] * 2
    assert set(got.founded_on) == {pd.Timestamp("2020-01-02")}
    assert dict(zip(got.uscc, got.listed, strict=True)) == {u[0]: False, u[1]: True}
