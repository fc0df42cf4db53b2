"""Import: read files, validate every row, write all-or-nothing."""

from reforge.ingest.load import MODES, dependency_order, import_files, import_tables
from reforge.ingest.problems import ImportResult

__all__ = ["MODES", "ImportResult", "dependency_order", "import_files", "import_tables"]
