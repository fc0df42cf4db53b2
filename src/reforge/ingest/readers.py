"""Open CSV, XLSX and Parquet files for import: header first, body on demand, within limits.

``open_source(path, name)`` checks the file's kind from its content (a PNG named
``.csv`` is "not a CSV, XLSX or Parquet file"), its size limits and its header, and
returns a ``SourceFile`` whose ``columns`` the importer checks against the table
before ``read()`` loads the body. Problems with the whole file raise ``FileProblem``
(a code and params); messages name the file by ``name`` (what the user called it),
never by a server path. CSV/XLSX values come back as text (empty -> missing);
Parquet keeps its types. Row numbers come from the reader: data row 1 is the first
row after the header; ``header_row`` is the header's row in a spreadsheet (1 for CSV).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reforge.ingest.limits import ReadLimits
from reforge.ingest.problems import FileProblem, problem_frame

SUFFIXES = (".csv", ".parquet", ".pq", ".xlsx")
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"\xd0\xcf\x11\xe0", b"BM", b"\x1f\x8b",
                 b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"MZ", b"II*\x00", b"MM\x00*", b"RIFF", b"OggS",
                 b"\x00\x00\x01\x00", b"ID3", b"fLaC")
_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_ALLOWED_ARROW = ("int", "uint", "float", "double", "halffloat", "string", "large_string", "bool",
                  "date32", "date64", "timestamp", "decimal", "null", "dictionary")


@dataclass
class SourceFile:
    """An opened import file: ``columns`` (header names, in order) known, body not read yet."""

    name: str
    kind: str  # csv | xlsx | parquet
    columns: list[str]
    header_row: int | None  # the header's row in a spreadsheet; None for Parquet
    _read: Callable[[], tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]] = field(repr=False)
    _close: Callable[[], None] = field(repr=False, default=lambda: None)

    def read(self) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
        """(frame with ``columns``, 1-based data row of each frame row, problems found while reading)."""
        try:
            return self._read()
        finally:
            self.close()

    def close(self) -> None:
        self._close()


def _head(path: Path, n: int = 8192) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def open_source(path: str | Path, name: str | None = None, limits: ReadLimits | None = None) -> SourceFile:
    """Open one file for import (see the module doc); raises FileProblem for whole-file problems."""
    p = Path(path)
    name = name or str(p)
    limits = limits or ReadLimits.from_env()
    suf = p.suffix.lower()
    if suf not in SUFFIXES:
        if suf in (".png", ".jpg", ".jpeg", ".gif", ".pdf", ".doc", ".docx", ".zip", ".exe", ".txt", ""):
            raise FileProblem("ingest.file.not_tabular", file=name)
        raise FileProblem("ingest.file.unsupported_type", file=name, suffix=suf or "(none)")
    try:
        head = _head(p)
    except OSError as e:
        raise FileProblem("ingest.file.unreadable", file=name, kind=suf[1:], detail=e.strerror or str(e)) from None
    if suf == ".xlsx":
        if not head.startswith(_ZIP_MAGIC):
            raise FileProblem("ingest.file.not_tabular", file=name)
        return _open_xlsx(p, name, limits)
    if suf in (".parquet", ".pq"):
        if not head.startswith(_PARQUET_MAGIC):
            raise FileProblem("ingest.file.not_tabular", file=name)
        return _open_parquet(p, name, limits)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_PARQUET_MAGIC) or head.startswith(_BINARY_MAGIC) \
            or _looks_binary(head):
        raise FileProblem("ingest.file.not_tabular", file=name)
    return _open_csv(p, name, limits)


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


# ---- CSV -----------------------------------------------------------------------------------------

def detect_encoding(path: Path, name: str) -> str:
    """The text encoding of a CSV: UTF-16 by BOM, else UTF-8 (with or without BOM) if the whole
    file decodes strictly, else GB18030 (a superset of GBK, what Excel writes on Chinese Windows)
    if it decodes strictly, else charset-normalizer's guess when installed; FileProblem otherwise.

    The strict chain comes first because short GBK texts are often mis-guessed by statistical
    detectors; UTF-8 first because a GBK file almost never decodes as UTF-8 by accident."""
    head = _head(path, 4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8-sig", "gb18030"):
        if _decodes(path, enc):
            return enc
    try:
        from charset_normalizer import from_path
    except ImportError:  # pragma: no cover - optional
        from_path = None
    if from_path is not None:
        best = from_path(path).best()
        if best is not None and best.encoding and _decodes(path, best.encoding):
            return best.encoding
    raise FileProblem("ingest.csv.encoding", file=name)


def _decodes(path: Path, enc: str) -> bool:
    dec = codecs.getincrementaldecoder(enc)(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _open_csv(p: Path, name: str, limits: ReadLimits) -> SourceFile:
    enc = detect_encoding(p, name)
    with p.open("r", encoding=enc, newline="") as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as e:
            raise FileProblem("ingest.csv.parse", file=name, detail=str(e)) from None
    if not header or not any(h.strip() for h in header):
        raise FileProblem("ingest.file.empty", file=name)
    if len(header) > limits.max_columns:
        raise FileProblem("ingest.file.too_many_columns", file=name, columns=len(header), limit=limits.max_columns)
    columns = [h.strip() for h in header]

    def read() -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding=enc,
                             skip_blank_lines=False, index_col=False, nrows=limits.max_rows + 1,
                             header=0, names=None)
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
            raise FileProblem("ingest.csv.parse", file=name, detail=str(e).splitlines()[0][:300]) from None
        if len(df) > limits.max_rows:
            raise FileProblem("ingest.file.too_many_rows", file=name, rows=len(df), limit=limits.max_rows)
        df.columns = columns
        rows = np.arange(1, len(df) + 1)
        keep = df.notna().any(axis=1).to_numpy()  # blank lines keep their numbers but are not data
        return df[keep].reset_index(drop=True), rows[keep], []

    return SourceFile(name, "csv", columns, 1, read)


# ---- XLSX ----------------------------------------------------------------------------------------

def _open_xlsx(p: Path, name: str, limits: ReadLimits) -> SourceFile:
    from reforge.ingest.xlsx import XlsxSheet
    sheet = XlsxSheet(p, name, limits)
    cols = sorted(sheet.header)
    columns = [sheet.header[c] for c in cols]
    pos = {c: i for i, c in enumerate(cols)}

    def read() -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
        data: list[list[str | None]] = []
        rows: list[int] = []
        stray: list[tuple[int, str]] = []
        width = len(cols)
        for r, cells in sheet.rows():
            line: list[str | None] = [None] * width
            for c, v in cells.items():
                i = pos.get(c)
                if i is None:
                    stray.append((r - sheet.header_row, v))
                else:
                    line[i] = v
            data.append(line)
            rows.append(r - sheet.header_row)
        df = pd.DataFrame(data, columns=columns, dtype=object)
        probs = []
        if stray:
            from reforge.ingest.messages import text
            probs.append(problem_frame(name, [s[0] for s in stray[:1000]], None, [s[1] for s in stray[:1000]],
                                       text("ingest.xlsx.value_outside_header"), "ingest.xlsx.value_outside_header"))
        return df, np.asarray(rows, dtype=np.int64), probs

    return SourceFile(name, "xlsx", columns, sheet.header_row, read, sheet.close)


# ---- Parquet -------------------------------------------------------------------------------------

def _open_parquet(p: Path, name: str, limits: ReadLimits) -> SourceFile:
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        pf = pq.ParquetFile(p)
        schema = pf.schema_arrow
        n = pf.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as e:
        raise FileProblem("ingest.file.unreadable", file=name, kind="Parquet",
                          detail=str(e).splitlines()[0][:300].replace(str(p), name)) from None
    if len(schema) > limits.max_columns:
        raise FileProblem("ingest.file.too_many_columns", file=name, columns=len(schema), limit=limits.max_columns)
    if n > limits.max_rows:
        raise FileProblem("ingest.file.too_many_rows", file=name, rows=int(n), limit=limits.max_rows)
    bad = [(f.name, str(f.type)) for f in schema if not str(f.type).startswith(_ALLOWED_ARROW)
           or (pa.types.is_dictionary(f.type) and not pa.types.is_string(f.type.value_type))]
    if bad:
        f, ty = bad[0]
        raise FileProblem("ingest.parquet.type", column=f, type=ty)
    columns = [str(f.name).strip() for f in schema]

    def read() -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
        try:
            t = pf.read()
        except (pa.ArrowException, OSError, ValueError) as e:
            raise FileProblem("ingest.file.unreadable", file=name, kind="Parquet",
                              detail=str(e).splitlines()[0][:300].replace(str(p), name)) from None
        try:
            for i, f in enumerate(t.schema):
                if pa.types.is_decimal(f.type) or pa.types.is_unsigned_integer(f.type) and f.type.bit_width == 64:
                    t = t.set_column(i, f.name, t.column(i).cast(pa.float64(), safe=False))
                elif pa.types.is_dictionary(f.type):
                    t = t.set_column(i, f.name, t.column(i).cast(pa.string()))
            df = t.to_pandas()
        except (pa.ArrowException, ValueError, OverflowError) as e:
            raise FileProblem("ingest.file.unreadable", file=name, kind="Parquet",
                              detail=str(e).splitlines()[0][:300]) from None
        df.columns = columns
        return df, np.arange(1, len(df) + 1), []

    return SourceFile(name, "parquet", columns, None, read)


def open_frame(df: pd.DataFrame, name: str) -> SourceFile:
    """A DataFrame given by a program, as a SourceFile (rows numbered from 1, no spreadsheet row)."""
    columns = [str(c).strip() for c in df.columns]

    def read() -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
        out = df.copy(deep=False)
        out.columns = columns
        return out.reset_index(drop=True), np.arange(1, len(df) + 1), []

    return SourceFile(name, "frame", columns, None, read)


__all__ = ["SUFFIXES", "SourceFile", "detect_encoding", "open_frame", "open_source"]
