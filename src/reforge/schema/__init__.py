"""Data model: table definitions, DDL and migrations."""

from reforge.schema.ddl import SCHEMA_VERSION, ensure_schema, schema_version
from reforge.schema.tables import DATA_TABLES, TABLES, Column, Table, get_table

__all__ = ["SCHEMA_VERSION", "ensure_schema", "schema_version", "DATA_TABLES", "TABLES",
           "Column", "Table", "get_table"]
