"""Response models of enterprise search and profile, screening, warnings, tiers and credit scores."""

from __future__ import annotations

from typing import Any

from reforge.api.models.base import Coded, Num, Open, Row


class EnterpriseRow(Open):
    """A search hit: the firm, its latest year's revenue (CNY) and employees, gradient tiers held."""

    uscc: str
    name: str | None = None
    name_en: str | None = None
    province_code: str | None = None
    city_code: str | None = None
    industry_code: str | None = None
    size_class: str | None = None
    ownership: str | None = None
    main_item_id: str | None = None
    latest_year: int | None = None
    revenue: Num | None = None
    employees: Num | None = None
    tiers: list[str] | None = None


class SearchModel(Open):
    """One page of enterprises: ``total`` matches, ``page`` (1-based) of ``page_size``."""

    total: int
    page: int
    page_size: int
    items: list[EnterpriseRow]


class ProfileModel(Open):
    """Everything the tables say about one enterprise (rows as in the schema tables)."""

    enterprise: Row
    years: list[Row]
    designations: list[Row]
    tier_history: list[Row]
    credit_records: list[Row]
    chain_position: dict[str, Any]
    support_events: list[Row]


class ScreenedFirm(Open):
    """One firm's screening for a tier: outcome, score, points per criterion, failed conditions,
    missing figures, reasons (texts in the request's language, ``reason_codes`` beside them)."""

    uscc: str | None = None
    year: int | None = None
    rules: str | None = None
    outcome: str | None = None
    score: Num | None = None
    points: dict[str, Any] | None = None
    reasons: list[str] | None = None
    failed: list[Row] | None = None
    missing: list[str] | None = None
    reason_codes: list[Coded] | None = None


class FirmScreeningModel(Open):
    """``{"uscc", "screening": {tier: screening}}``."""

    uscc: str
    screening: dict[str, ScreenedFirm]


class ScreenModel(Open):
    """Candidates and near-misses of a tier in ``year`` under rule set ``rules``."""

    tier: str | None = None
    rules: str | None = None
    year: int | None = None
    firms: list[ScreenedFirm]


class ReviewModel(Open):
    """Designated firms due for review in ``year``."""

    year: int | None = None
    rules: str | None = None
    firms: list[Row]


class WarnedFirm(Open):
    """A designated firm's warning level (green | amber | red), signals and reasons."""

    uscc: str | None = None
    tier: str | None = None
    level: str | None = None
    signals: dict[str, Any] | None = None
    reasons: list[str] | None = None
    missing: list[str] | None = None
    reason_codes: list[Coded] | None = None


class WarningsModel(Open):
    """Early warnings of designated firms in ``year`` and counts per tier, cohort and province."""

    year: int | None = None
    firms: list[WarnedFirm] | None = None
    summary: list[Row] | None = None


class FirmWarningsModel(Open):
    """``{"uscc", "warnings": {year, tier, level, signals} | null}`` (null: not designated)."""

    uscc: str
    warnings: WarnedFirm | None = None


class CohortsModel(Open):
    """Per tier and cohort (batch year): firms, passing share, warning levels, medians."""

    cohorts: list[Row] | None = None


class ScoredFirm(Open):
    """A firm's credit score (points), PD (0-1), grade, reasons and overlays with their codes."""

    uscc: str
    score: Num | None = None
    pd: Num | None = None
    grade: str | None = None
    reasons: list[str] | None = None
    overlays: list[str] | None = None
    reason_codes: list[Coded] | None = None
    overlay_codes: list[Coded] | None = None


class ScoresModel(Open):
    """Credit scores of the firms of ``year``."""

    year: int | None = None
    firms: list[ScoredFirm]


__all__ = ["CohortsModel", "FirmScreeningModel", "FirmWarningsModel", "ProfileModel", "ReviewModel",
           "ScoresModel", "ScreenModel", "SearchModel", "WarningsModel"]
