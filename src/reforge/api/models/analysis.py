"""Response models of policy evaluation, credit scorecard, sectors, indicators and imports."""

from __future__ import annotations

from typing import Any

from reforge.api.models.base import Num, Open, Row


class ProgrammeModel(Open):
    """An evaluable programme: ``source`` support_events | designations, counts, first/last grant."""

    programme: str | None = None
    source: str | None = None
    firms: int | None = None
    events: int | None = None
    first: str | None = None
    last: str | None = None


class RunModel(Open):
    """A stored evaluation (listing row): ``id``, ``created_at`` (UTC ISO), parameters, report flag."""

    id: str
    created_at: str | None = None
    username: str | None = None
    programme: str | None = None
    outcomes: list[str] | None = None
    by: str | None = None
    params: dict[str, Any] | None = None
    has_report: bool | None = None


class RunResultModel(RunModel):
    """A stored evaluation with its ``result``: per outcome ATT(g,t) cells, aggregates (ATT, SE,
    95 % CI), pre-trend test, firms used; ``report`` the link to the HTML report."""

    result: dict[str, Any] | None = None


class ScorecardRow(Open):
    """One bin of a scorecard feature: its points; ``best`` marks the reference bin."""

    feature: str | None = None
    name: str | None = None
    bin: str | None = None
    points: Num | None = None
    best: bool | None = None


class ScorecardModel(Open):
    """The stored credit model's scorecard (names in the request's language)."""

    model_id: str | None = None
    base_points: Num | None = None
    rows: list[ScorecardRow]


class IOTableModel(Open):
    """An input-output table: ``cells`` stored, ``sectors`` (rows of kind sector)."""

    table_id: str
    cells: int | None = None
    sectors: int | None = None


class SectorModel(Open):
    """A sector's multiplier, Rasmussen-Hirschman linkages (mean 1), class and extraction loss."""

    code: str
    output_multiplier: Num | None = None
    backward_linkage: Num | None = None
    forward_linkage: Num | None = None
    extraction_loss: Num | None = None


class KeySectorsModel(Open):
    """``{"sectors": [...], "n": n}`` in table order."""

    sectors: list[SectorModel]
    n: int | None = None


class IndicatorModel(Open):
    """A macro indicator value (long format)."""

    region_code: str | None = None
    indicator: str | None = None
    year: int | None = None
    value: Num | None = None
    unit: str | None = None
    source: str | None = None


class ImportModel(Open):
    """An import's result: rows read/written per table, or (``ok`` false) the first errors with
    their ``code``/``params`` (then nothing was written)."""

    ok: bool
    tables: Any = None
    mode: str | None = None
    rows_read: Any = None
    rows_written: dict[str, Any] | None = None
    error_count: int | None = None
    error_codes: dict[str, int] | None = None
    errors: list[Row] | None = None
    errors_not_shown: int | None = None


__all__ = ["ImportModel", "IndicatorModel", "IOTableModel", "KeySectorsModel", "ProgrammeModel",
           "RunModel", "RunResultModel", "ScorecardModel"]
