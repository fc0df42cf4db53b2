"""Errors meant for a person: the CLI prints them as one line and exits with code 2.

Every error carries a stable ``code`` (e.g. ``"input.invalid"``) and ``params`` (plain
JSON values) beside its English text, so a face can render it in the user's language
through the message catalogs (:mod:`reforge.messages`). ``str(err)`` stays the English
text given to the constructor, so ``raise ReforgeError("…")`` keeps working unchanged.

Hierarchy (the code is the class default unless one is given)::

    ReforgeError            error
    ├── InvalidInput        input.invalid      bad value, option or file content
    ├── DataMissing         data.missing       the database lacks what the analysis needs
    ├── NotFound            not_found          a named thing (firm, table, chain) does not exist
    ├── Forbidden           forbidden          the user may not do this
    └── EngineFailure       engine.failure     the database could not open or run a statement
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ReforgeError(Exception):
    """A user-facing error (bad input, missing data, wrong option) with a code and params."""

    default_code: str = "error"

    def __init__(self, message: str = "", *args: object, code: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, *args)
        self.code: str = code or type(self).default_code
        self.params: dict[str, Any] = dict(params or {})

    @property
    def message(self) -> str:
        """The English text (what ``str()`` gives)."""
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "params", "message"}`` for JSON outputs (message in English)."""
        return {"code": self.code, "params": self.params, "message": str(self)}


class InvalidInput(ReforgeError):
    """A value, option or file content the user gave is not acceptable."""

    default_code = "input.invalid"


class DataMissing(ReforgeError):
    """The database lacks the data an analysis needs (import or build it first)."""

    default_code = "data.missing"


class NotFound(ReforgeError):
    """A named thing (firm, table, chain, model, run) does not exist."""

    default_code = "not_found"


class Forbidden(ReforgeError):
    """The user is not allowed to do this."""

    default_code = "forbidden"


class EngineFailure(ReforgeError):
    """The database engine could not open a database or run a statement."""

    default_code = "engine.failure"


__all__ = ["ReforgeError", "InvalidInput", "DataMissing", "NotFound", "Forbidden", "EngineFailure"]
