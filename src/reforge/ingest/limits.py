"""Size limits for files read by the importer, checked before (or while) a file is read.

Defaults (override with environment variables of the same name in upper case,
prefixed ``REFORGE_IMPORT_``, e.g. ``REFORGE_IMPORT_MAX_ROWS=5000000``):

- ``max_rows`` 2,000,000 data rows per file (any format). An Excel sheet holds at
  most 1,048,576 rows, so for XLSX the effective limit is the smaller of the two.
- ``max_columns`` 200 columns per file (the widest table has 28 columns; the rest
  leaves room for extra columns that are reported as unknown).
- ``max_unzipped_mb`` 2,048 MB: the total uncompressed size of the XLSX parts that
  are read (sheet, shared strings, styles, workbook), from the zip directory.
- ``max_zip_ratio`` 200: the largest compression ratio of an XLSX part bigger than
  1 MB (real workbooks compress 5-30:1; zip bombs 1,000:1 and more).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class ReadLimits:
    """Limits for one file; see the module doc for units and defaults."""

    max_rows: int = 2_000_000
    max_columns: int = 200
    max_unzipped_mb: int = 2048
    max_zip_ratio: int = 200

    @classmethod
    def from_env(cls) -> ReadLimits:
        """Defaults, overridden by ``REFORGE_IMPORT_<FIELD>`` environment variables (positive integers)."""
        from reforge.settings import get_settings
        conf = get_settings()
        return cls(**{f.name: getattr(conf, f"import_{f.name}") for f in fields(cls)})
