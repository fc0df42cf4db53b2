"""Hostile XLSX files, written with zipfile (no spreadsheet library), for tests and bench/import_bombs.py.

- ``far_cell_xlsx``: a few KB; a valid header, two rows, and one cell at XFD1048576
  (issue 19: this file drove the old importer to 10 GB).
- ``many_rows_xlsx``: a compression bomb, millions of small rows (issue 19: 15 MB, 3M rows),
  optionally with a header the target table does not have.
- ``ratio_bomb_xlsx``: a sheet padded with whitespace that compresses more than 1000:1.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
       '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
       'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
       'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _row(r: int, values: Iterable[str]) -> str:
    cells = "".join(f'<c r="{_col(i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values, 1) if v != "")
    return f'<row r="{r}">{cells}</row>'


def write_xlsx(path: Path, sheet_chunks: Iterable[str], with_sheet: bool = True) -> Path:
    """A minimal workbook whose sheet XML is the concatenation of ``sheet_chunks`` (streamed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB if with_sheet else _WB.replace(
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', ""))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        if with_sheet:
            with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                for chunk in sheet_chunks:
                    fh.write(chunk.encode("utf-8"))
    return path


def far_cell_xlsx(path: Path, header: list[str], rows: list[list[str]], dimension: bool = True) -> Path:
    """Header + rows, then one cell at XFD1048576 (declared in <dimension> when ``dimension``)."""
    dim = '<dimension ref="A1:XFD1048576"/>' if dimension else ""
    body = "".join(_row(i, r) for i, r in enumerate([header, *rows], 1))
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx(path, [f"<worksheet {_NS}>{dim}<sheetData>", body, far, "</sheetData></worksheet>"])


def many_rows_xlsx(path: Path, header: list[str], n_rows: int, dimension: bool = True) -> Path:
    """``n_rows`` rows of two small cells under ``header`` (a compression bomb at millions of rows)."""
    dim = f'<dimension ref="A1:B{n_rows + 1}"/>' if dimension else ""

    def chunks() -> Iterable[str]:
        yield f"<worksheet {_NS}>{dim}<sheetData>{_row(1, header)}"
        step = 20_000
        for start in range(2, n_rows + 2, step):
            yield "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><v>2</v></c></row>'
                          for r in range(start, min(start + step, n_rows + 2)))
        yield "</sheetData></worksheet>"

    return write_xlsx(path, chunks())


def ratio_bomb_xlsx(path: Path, header: list[str], pad_mb: int = 64) -> Path:
    """A sheet padded with ``pad_mb`` MB of spaces between rows (compresses about 1000:1)."""
    def chunks() -> Iterable[str]:
        yield f"<worksheet {_NS}><sheetData>{_row(1, header)}"
        for _ in range(pad_mb):
            yield " " * (1 << 20)
        yield "</sheetData></worksheet>"

    return write_xlsx(path, chunks())
