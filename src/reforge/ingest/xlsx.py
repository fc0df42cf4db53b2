"""A streaming XLSX reader with limits, for imports.

The first worksheet is parsed incrementally from the zip (``iterparse``), so a
file is never unpacked or materialised as a whole. Before any cell is read it
checks the zip directory (uncompressed size and compression ratio of the parts
it reads) and the sheet's declared ``<dimension>``; then the header row is
returned so the caller can reject a wrong table before the body is read. Cells
are kept sparse: empty cells and empty rows cost nothing, and a cell far to the
right (e.g. ``XFD1048576``) is never padded out. Every value comes back as text
(dates as ``YYYY-MM-DD``), like the CSV reader.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from reforge.ingest.limits import EXCEL_MAX_ROWS, ReadLimits
from reforge.ingest.problems import FileProblem

_REL_DOC = "officeDocument"
_CELL_RE = re.compile(r"^([A-Z]{1,3})(\d+)$")
# built-in number formats that show dates (incl. the CJK locale ones 27-36 and 50-58)
_DATE_FMT_IDS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_MB = 1 << 20


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def column_index(letters: str) -> int:
    """1-based column number of ``A``..``XFD``."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _split_ref(ref: str) -> tuple[int, int] | None:
    m = _CELL_RE.match(ref.upper())
    return (column_index(m[1]), int(m[2])) if m else None


def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code).lower()
    return bool(re.search(r"[ydhms]", code)) and "general" not in code


class XlsxSheet:
    """The first worksheet of a workbook: ``header`` (names by column number, and the
    header's sheet row) is read on open; ``rows()`` streams the body afterwards."""

    def __init__(self, path: str | Path, name: str, limits: ReadLimits) -> None:
        self.name = name
        self.limits = limits
        self.max_rows = min(limits.max_rows + 1, EXCEL_MAX_ROWS)  # rows including the header
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise FileProblem("ingest.xlsx.not_workbook", file=name, detail=str(e) or "not a zip file") from None
        try:
            self._open()
        except Exception:
            self.close()
            raise

    # ---- opening ---------------------------------------------------------------------------
    def _open(self) -> None:
        z = self._zip
        names = set(z.namelist())
        wb_path = self._office_document(names)
        if wb_path not in names:
            raise FileProblem("ingest.xlsx.not_workbook", file=self.name, detail="no workbook part")
        sheet_path = self._first_sheet(wb_path, names)
        parts = [wb_path, sheet_path] + [p for p in (self._rel_path(wb_path, "sharedStrings"),
                                                     self._rel_path(wb_path, "styles")) if p in names]
        self._check_sizes(parts)
        self._date1904 = self._is_1904(wb_path)
        ss = self._rel_path(wb_path, "sharedStrings")
        self._strings = self._shared_strings(ss) if ss in names else []
        st = self._rel_path(wb_path, "styles")
        self._date_styles = self._date_style_ids(st) if st in names else set()
        self._fh: IO[bytes] = z.open(sheet_path)
        self._events = ET.iterparse(self._fh, events=("start", "end"))
        self._sheet_data: ET.Element | None = None
        self._row_no = self._count = 0  # last row number seen, row elements seen
        self._tags: dict[str, str] = {}  # qualified tag -> local name
        self.header_row, cells = self._read_header()
        self.header: dict[int, str] = {c: str(v).strip() for c, v in cells.items() if str(v).strip()}

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationships of ``part``: id -> (type suffix, target path inside the zip)."""
        base = posixpath.dirname(part)
        rels = posixpath.join(base, "_rels", posixpath.basename(part) + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if rels not in self._zip.namelist():
            return out
        root = ET.fromstring(self._read_small(rels))
        for r in root:
            tgt = r.get("Target", "")
            path = tgt.lstrip("/") if tgt.startswith("/") else posixpath.normpath(posixpath.join(base, tgt))
            out[r.get("Id", "")] = (r.get("Type", "").rsplit("/", 1)[-1], path)
        return out

    def _read_small(self, part: str, limit: int = 16 * _MB) -> bytes:
        if self._zip.getinfo(part).file_size > limit:
            raise FileProblem("ingest.xlsx.too_large", file=self.name,
                              size_mb=self._zip.getinfo(part).file_size // _MB, limit_mb=limit // _MB)
        return self._zip.read(part)

    def _office_document(self, names: set[str]) -> str:
        if "_rels/.rels" in names:
            for typ, path in self._rels("").values():
                if typ == _REL_DOC:
                    return path
        return "xl/workbook.xml"

    def _rel_path(self, wb_path: str, typ: str) -> str:
        for t, path in self._rels(wb_path).values():
            if t == typ:
                return path
        return ""

    def _first_sheet(self, wb_path: str, names: set[str]) -> str:
        root = ET.fromstring(self._read_small(wb_path))
        rels = self._rels(wb_path)
        sheets = [el for el in root.iter() if _local(el.tag) == "sheet"]
        for el in sheets:
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            typ, path = rels.get(rid or "", ("", ""))
            if typ == "worksheet" and path in names:
                return path
        raise FileProblem("ingest.xlsx.no_sheet", file=self.name)

    def _check_sizes(self, parts: list[str]) -> None:
        total = 0
        for p in parts:
            info = self._zip.getinfo(p)
            total += info.file_size
            if info.file_size > _MB:
                ratio = info.file_size // max(info.compress_size, 1)
                if ratio > self.limits.max_zip_ratio:
                    raise FileProblem("ingest.xlsx.zip_ratio", file=self.name, ratio=int(ratio),
                                      limit=self.limits.max_zip_ratio)
        if total > self.limits.max_unzipped_mb * _MB:
            raise FileProblem("ingest.xlsx.too_large", file=self.name, size_mb=total // _MB,
                              limit_mb=self.limits.max_unzipped_mb)

    def _is_1904(self, wb_path: str) -> bool:
        root = ET.fromstring(self._read_small(wb_path))
        for el in root.iter():
            if _local(el.tag) == "workbookPr":
                return el.get("date1904", "0").lower() in ("1", "true")
        return False

    def _shared_strings(self, part: str) -> list[str]:
        out: list[str] = []
        with self._zip.open(part) as fh:
            for _ev, el in ET.iterparse(fh, events=("end",)):
                if _local(el.tag) == "si":
                    out.append(_rich_text(el))
                    el.clear()
        return out

    def _date_style_ids(self, part: str) -> set[int]:
        root = ET.fromstring(self._read_small(part, limit=64 * _MB))
        custom = {int(el.get("numFmtId", "-1")): el.get("formatCode", "")
                  for el in root.iter() if _local(el.tag) == "numFmt"}
        xfs = next((el for el in root.iter() if _local(el.tag) == "cellXfs"), None)
        out: set[int] = set()
        for i, xf in enumerate(list(xfs) if xfs is not None else []):
            fid = int(xf.get("numFmtId", "0") or 0)
            if fid in _DATE_FMT_IDS or (fid in custom and _is_date_format(custom[fid])):
                out.add(i)
        return out

    # ---- reading ---------------------------------------------------------------------------
    def _read_header(self) -> tuple[int, dict[int, str]]:
        for r, cells in self._raw_rows():
            if cells:
                return r, cells
        raise FileProblem("ingest.file.empty", file=self.name)

    def _raw_rows(self) -> Iterator[tuple[int, dict[int, str]]]:
        """(sheet row, {column: text}) for every row element, values only."""
        cells: dict[int, str] = {}
        col_no = 0
        local = self._tags
        max_cols = self.limits.max_columns
        for ev, el in self._events:
            tag = local.get(el.tag)
            if tag is None:
                tag = local.setdefault(el.tag, _local(el.tag))
            if ev == "start":
                if tag == "row":
                    r = el.get("r")
                    self._row_no = int(r) if r and r.isdigit() else self._row_no + 1
                    self._count += 1
                    if self._row_no > self.max_rows or self._count > self.max_rows:
                        self._too_many_rows(max(self._row_no, self._count))
                    cells = {}
                    col_no = 0
                elif tag == "dimension":
                    self._check_dimension(el.get("ref", ""))
                elif tag == "sheetData":
                    self._sheet_data = el
            elif tag == "c":
                ref = el.get("r")
                pos = _split_ref(ref) if ref else None
                col_no = pos[0] if pos else col_no + 1
                val = self._value(el)
                if val is not None and val != "":
                    if col_no > max_cols:
                        raise FileProblem("ingest.xlsx.too_many_columns", file=self.name, cell=ref or str(col_no),
                                          columns=col_no, limit=max_cols)
                    cells[col_no] = val
            elif tag == "row":
                yield self._row_no, cells
                if self._sheet_data is not None:
                    self._sheet_data.clear()
                else:
                    el.clear()
            elif tag == "sheetData":
                return

    def _too_many_rows(self, rows: int) -> None:
        limit = self.max_rows - 1
        raise FileProblem("ingest.xlsx.too_many_rows", file=self.name, rows=rows - 1, limit=limit)

    def _check_dimension(self, ref: str) -> None:
        last = ref.split(":")[-1] if ref else ""
        pos = _split_ref(last)
        if not pos:
            return
        col, row = pos
        if col > self.limits.max_columns:
            raise FileProblem("ingest.xlsx.too_many_columns", file=self.name, cell=last,
                              columns=col, limit=self.limits.max_columns)
        if row > self.max_rows:
            self._too_many_rows(row)

    def _value(self, c: ET.Element) -> str | None:
        t = c.get("t", "n")
        if t == "inlineStr":
            node = next((x for x in c if _local(x.tag) == "is"), None)
            return _rich_text(node) if node is not None else None
        v = next((x.text for x in c if _local(x.tag) == "v"), None)
        if v is None:
            return None
        if t == "s":
            try:
                return self._strings[int(v)]
            except (ValueError, IndexError):
                raise FileProblem("ingest.xlsx.not_workbook", file=self.name,
                                  detail=f"cell {c.get('r')} refers to a missing shared string") from None
        if t == "b":
            return "true" if v.strip() in ("1", "true") else "false"
        if t in ("n", "") and self._date_styles and c.get("s") and int(c.get("s", "0")) in self._date_styles:
            return self._date_text(v)
        return v

    def _date_text(self, v: str) -> str:
        try:
            serial = float(v)
        except ValueError:
            return v
        if not (0 <= serial < 2_958_466):  # Excel's last date is 9999-12-31
            return v
        base = datetime(1904, 1, 1) if self._date1904 else datetime(1899, 12, 30)
        d = base + timedelta(days=serial)
        d = d.replace(microsecond=0) + (timedelta(seconds=1) if d.microsecond >= 500_000 else timedelta())
        return d.strftime("%Y-%m-%d") if d.time() == datetime.min.time() else d.strftime("%Y-%m-%d %H:%M:%S")

    def rows(self) -> Iterator[tuple[int, dict[int, str]]]:
        """The body: (sheet row, {column: text}) of every non-empty row after the header."""
        for r, cells in self._raw_rows():
            if cells:
                yield r, cells

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()
        self._zip.close()


def _rich_text(node: ET.Element) -> str:
    """Text of a shared or inline string: its ``t`` and run ``r/t`` children (not phonetic ``rPh``)."""
    parts = []
    for ch in node:
        tag = _local(ch.tag)
        if tag == "t":
            parts.append(ch.text or "")
        elif tag == "r":
            parts.extend(x.text or "" for x in ch if _local(x.tag) == "t")
    return "".join(parts)
