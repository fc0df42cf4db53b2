"""Dashboard tables: server-side sorting and paging of result rows, and their Excel/CSV export.

A table is a list of columns ``(key, label_key)``; the page shows one page of the sorted rows,
the download holds every row (the table's true total) with headers in the reader's language and
names instead of codes. Files are written by :mod:`reforge.report.export` (formula cells
neutralised).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from fastapi import Response

from reforge import messages
from reforge.report.export import csv_text, write_xlsx
from reforge.web import names
from reforge.web.i18n import name_of, t, t_or

PAGE_SIZE = 25
MAX_EXPORT_ROWS = 200_000

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "enterprises": [("uscc", "col.uscc"), ("name", "col.name"), ("province_code", "ent.province"),
                    ("industry_code", "ent.industry"), ("size_class", "ent.size"), ("latest_year", "common.year"),
                    ("revenue", "ent.revenue"), ("employees", "ent.employees"), ("tiers", "ent.tier")],
    "candidates": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("outcome", "col.outcome"), ("score", "col.score")],
    "near": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("outcome", "col.outcome"), ("score", "col.score"),
             ("failed", "col.failed")],
    "screen": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("outcome", "col.outcome"), ("score", "col.score"),
               ("failed", "col.failed")],
    "credit": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("grade", "col.grade"), ("score", "col.score"),
               ("pd", "col.pd"), ("reasons", "col.reasons"), ("overlays", "col.overlays")],
    "review": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("kind", "col.kind"), ("expires_on", "col.expires_on"),
               ("outcome", "col.outcome"), ("score", "col.score"), ("failed", "col.failed")],
    "warnings": [("uscc", "col.uscc"), ("firm", "ent.firm"), ("tier", "ent.tier"), ("cohort", "col.cohort"),
                 ("level", "col.level"), ("reasons", "col.reasons")],
    # the research page's consortium proposals (rows made by web.research_pages.proposal_rows)
    "proposals": [("item", "research.page.item"), ("demand_id", "research.page.demand"),
                  ("lead", "research.page.lead"), ("score", "research.page.score"),
                  ("institutions", "research.page.institutions"), ("platform", "research.page.platform"),
                  ("adopters", "research.page.adopters"), ("parts", "research.page.parts"),
                  ("excluded", "research.page.excluded")],
    # the matching page's demands (rows made by web.match_pages.demand_rows)
    "match_demands": [("demand_id", "match.page.demand"), ("buyer", "match.page.buyer"), ("item", "match.page.item"),
                      ("demand_kind", "match.page.kind"), ("value", "match.page.value"),
                      ("status", "match.page.status"), ("best", "match.page.best"), ("score", "match.page.score"),
                      ("n_qualified", "match.page.n_qualified"), ("n_excluded", "match.page.n_excluded")],
}
SORTABLE: dict[str, tuple[str, ...]] = {
    "candidates": ("uscc", "firm", "score"),
    "near": ("uscc", "firm", "score"),
    "credit": ("uscc", "firm", "grade", "score", "pd"),
    "review": ("uscc", "firm", "expires_on", "score"),
    "warnings": ("uscc", "firm", "cohort", "level"),
    "proposals": ("order", "item", "lead", "score", "excluded"),
    "match_demands": ("demand_id", "buyer", "item", "value", "score", "n_qualified", "n_excluded"),
}
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
LEVELS = {"green": 0, "amber": 1, "red": 2}  # warning levels, by severity


def _key(r: dict, col: str, lang: str) -> Any:
    if col == "firm":
        return name_of(r, lang) or ""
    if col == "grade":
        g = str(r.get("grade"))
        return GRADES.index(g) if g in GRADES else len(GRADES)
    if col == "level":  # red first when sorted descending
        return LEVELS.get(str(r.get("level")))
    if col == "expires_on":
        v = r.get(col)
        return None if v is None else str(v)
    return r.get(col)


def sort_rows(rows: Sequence[dict], col: str, desc: bool, lang: str = "en") -> list[dict]:
    """Rows sorted by ``col`` (missing values last in both directions), ties by USCC."""
    def missing(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))
    have = [r for r in rows if not missing(_key(r, col, lang))]
    rest = [r for r in rows if missing(_key(r, col, lang))]
    have.sort(key=lambda r: str(r.get("uscc") or ""))
    have.sort(key=lambda r: _key(r, col, lang), reverse=desc)
    return have + rest


def page_of(rows: Sequence[dict], table: str, qp: Any, lang: str, prefix: str = "",
            default_sort: str = "score", default_desc: bool = True, size: int = PAGE_SIZE) -> dict:
    """One page of ``rows`` from query parameters ``{prefix}sort``, ``{prefix}dir`` (asc/desc),
    ``{prefix}page``: ``{rows, total, page, pages, sort, dir, prefix, table}``. Unknown sort
    columns fall back to the default; the page is clamped to the last page."""
    sort = qp.get(prefix + "sort") or default_sort
    if sort not in SORTABLE.get(table, ()):
        sort = default_sort
    d = qp.get(prefix + "dir")
    desc = default_desc if d not in ("asc", "desc") else d == "desc"
    raw = str(qp.get(prefix + "page") or "1")
    total = len(rows)
    pages = max(1, -(-total // size))
    page = min(int(raw), pages) if raw.isdigit() and int(raw) >= 1 else 1
    ordered = sort_rows(rows, sort, desc, lang)
    return {"rows": ordered[(page - 1) * size: page * size], "all": ordered, "total": total, "page": page,
            "pages": pages, "sort": sort, "dir": "desc" if desc else "asc", "prefix": prefix, "table": table,
            "sortable": SORTABLE.get(table, ())}


def cell(r: dict, col: str, lang: str) -> Any:
    """The exported value of one cell: names instead of codes, lists joined, numbers as numbers."""
    v = r.get(col)
    if col == "firm":
        return name_of(r, lang) or None
    if col == "name":
        return name_of(r, lang) or None
    if col in ("province_code", "city_code", "region_code"):
        return names.region_name(v, lang) if v else None
    if col == "industry_code":
        return names.industry_name(v, lang) if v else None
    if col == "country":
        return names.country(v, lang) if v else None
    if col == "failed":
        return "; ".join(names.condition_text(x, lang) if isinstance(x, dict) else str(x) for x in v or []) or None
    if col in ("reasons", "overlays") and r.get(col[:-1] + "_codes"):
        # coded reasons (credit, warnings) in the reader's language, as on the page
        return "; ".join(messages.render_coded(c, lang) for c in r[col[:-1] + "_codes"]) or None
    if col == "level" and v is not None:
        return t_or(f"level.{v}", lang, str(v))
    if col in ("outcome", "size_class", "tiers", "tier", "kind"):
        prefix = {"outcome": "outcome.", "size_class": "size.", "tiers": "tier.", "tier": "tier.", "kind": "tier."}[col]
        if isinstance(v, list):
            return "; ".join(t_or(prefix + str(x), lang, str(x)) for x in v) or None
        return t_or(prefix + str(v), lang, str(v)) if v is not None else None
    if isinstance(v, list):
        return "; ".join(str(x) for x in v) or None
    if isinstance(v, dict):
        return "; ".join(f"{k}={x}" for k, x in v.items())
    return v


def frame(table: str, rows: Sequence[dict], lang: str):  # -> pandas.DataFrame
    """The export frame of ``rows``: the table's columns, headers in ``lang``."""
    import pandas as pd
    cols = COLUMNS[table]
    data = [[cell(r, c, lang) for c, _ in cols] for r in rows[:MAX_EXPORT_ROWS]]
    return pd.DataFrame(data, columns=[t(label, lang) for _, label in cols])


def export_lang(lang: str | None) -> str:
    """``en`` or ``zh`` from an API ``lang`` parameter (locale spellings accepted; else English)."""
    base = str(lang or "en").replace("_", "-").split("-")[0].lower()
    return base if base in ("en", "zh") else "en"


def download(table: str, rows: Sequence[dict], lang: str, fmt: str, filename: str) -> Response:
    """An Excel (``xlsx``) or CSV (``csv``, UTF-8 with BOM so Excel reads Chinese) download."""
    df = frame(table, rows, lang)
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx({t(f"export.sheet.{table}", lang): df}, buf)
        body, media = buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = ("\ufeff" + csv_text(df)).encode("utf-8"), "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
        "X-Total-Count": str(len(rows))})
