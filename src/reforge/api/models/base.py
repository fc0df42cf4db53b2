"""Building blocks of the response models: an open base model, numbers, coded messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Num = int | float
"""A JSON number as the library wrote it (an int stays an int, a float a float)."""


class Open(BaseModel):
    """A JSON object with the declared fields and any others (kept as they are)."""

    model_config = ConfigDict(extra="allow")


class Coded(Open):
    """A message as data: ``{"code", "params"}`` (``code`` None for a plain text in ``params.text``)."""

    code: str | None = None
    params: dict[str, Any] | None = None


class Row(Open):
    """A table row (columns as in the schema tables; see docs/data-contract.md)."""


FILES = {"text/csv": {"schema": {"type": "string", "format": "binary"}},
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
             {"schema": {"type": "string", "format": "binary"}}}
"""OpenAPI content of a download (``format=csv|xlsx``) beside the JSON body of the same route."""


def with_downloads(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route whose 200 is ``model`` as JSON or a CSV/XLSX file with ``format``."""
    return {200: {"description": "JSON, or the file when `format` is given", "content": FILES}}





def plain(value: Any) -> Any:
    """``value`` as the JSON data FastAPI made of it before routes declared models (dates ISO
    with ``+00:00``, numpy values as Python): what the response model then validates."""
    from fastapi.encoders import jsonable_encoder
    return jsonable_encoder(value)
__all__ = ["FILES", "Coded", "Num", "Open", "Row", "plain", "with_downloads"]
