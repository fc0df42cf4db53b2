"""Firm features for screening: one wide row per firm and screening year, in SQL.

Conventions (see docs/firms.md):

* The **screening year** ``Y`` is the year of application or review. "Last year"
  in the criteria is the **data year** ``Y - 1``; "last 2 years" are ``Y-1`` and
  ``Y-2``; "last 3 years" are ``Y-3 .. Y-1``.
* Designations and credit records are taken as of the end of the data year
  (``as_of = (Y-1)-12-31``).
* Money in CNY, shares and ratios as fractions 0-1.
* A ratio whose denominator is zero is 0 (revenue 0 → R&D intensity 0); a ratio whose
  inputs are missing is NULL, and NULL makes the condition undecided, never passed or failed.
* New equity financing is a flow recorded when it happens: an absent value counts as 0.

The feature query is built once (``feature_sql``) and shared by every tier; metric
expressions (``METRICS``) are evaluated on top of it by ``reforge.firms.screen``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.schema.tables import CREDIT_KINDS

SIX_FOUNDATIONS = ("component", "electronic_component", "material", "process",
                   "technology_foundation", "software")

# enterprise_years columns read, and how many lags of each are needed
YEAR_FIELDS: dict[str, tuple[str, int]] = {
    "revenue": ("DOUBLE", 2), "main_business_revenue": ("DOUBLE", 2), "net_profit": ("DOUBLE", 0),
    "total_assets": ("DOUBLE", 1), "total_liabilities": ("DOUBLE", 1), "employees": ("DOUBLE", 0),
    "rd_expense": ("DOUBLE", 2), "rd_staff": ("DOUBLE", 0), "class1_ip": ("DOUBLE", 1),
    "class1_ip_self": ("DOUBLE", 0), "class1_ip_high_value": ("DOUBLE", 0), "class2_ip": ("DOUBLE", 0),
    "niche_years": ("DOUBLE", 0), "niche_market_share": ("DOUBLE", 1), "global_rank": ("DOUBLE", 0),
    "new_equity": ("DOUBLE", 2), "digital_level": ("DOUBLE", 0), "rd_institution_level": ("VARCHAR", 0),
    "info_system": ("BOOLEAN", 0), "mgmt_certified": ("BOOLEAN", 0), "own_brand": ("BOOLEAN", 0),
    "quality_award": ("BOOLEAN", 0), "drafted_standards": ("BOOLEAN", 0),
}
FIRM_FIELDS: dict[str, str] = {
    "province_code": "VARCHAR", "industry_code": "VARCHAR", "main_item_id": "VARCHAR",
    "strategic_emerging": "BOOLEAN", "key_chain_link": "BOOLEAN", "fills_gap": "BOOLEAN",
}
DESIGNATION_FLAGS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion", "high_tech")
# every designation kind a ``des_*`` feature reads (other kinds are skipped before the per-year expansion)
DES_KINDS = (*DESIGNATION_FLAGS, "rd_institution_national", "rd_institution_provincial", "st_award_national",
             "st_award_provincial", "chuangke_top500", "chuangke_top50")


@dataclass(frozen=True)
class Metric:
    """A derived quantity: SQL over the feature row, the raw inputs it reads, its unit."""

    sql: str
    inputs: tuple[str, ...]  # feature columns ("revenue", "revenue_p1" = one year earlier)
    unit: str = ""
    label: str = ""


def _ratio(num: str, den: str) -> str:
    return f"(CASE WHEN {den} > 0 THEN CAST({num} AS DOUBLE) / {den} WHEN {den} = 0 AND {num} IS NOT NULL THEN 0.0 END)"


def _bool(col: str) -> str:
    return f"(CASE WHEN {col} THEN 1 WHEN NOT {col} THEN 0 END)"


def _min2(a: str, b: str) -> str:
    return f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL WHEN {a} < {b} THEN {a} ELSE {b} END)"


def _growth(cur: str, prev: str) -> str:
    return f"(CASE WHEN {prev} > 0 THEN {cur} / {prev} - 1 END)"


_RD_INT = _ratio("rd_expense", "revenue")
_RD_INT_P1 = _ratio("rd_expense_p1", "revenue_p1")
_RD_INT_P2 = _ratio("rd_expense_p2", "revenue_p2")
_G1 = _growth("main_business_revenue", "main_business_revenue_p1")
_G2 = _growth("main_business_revenue_p1", "main_business_revenue_p2")
_EQ = "COALESCE(new_equity, 0)"
_EQ1 = "COALESCE(new_equity_p1, 0)"
_EQ2 = "COALESCE(new_equity_p2, 0)"
_RD_LEVEL = ("(CASE rd_institution_level WHEN 'national' THEN 4 WHEN 'provincial' THEN 3 "
             "WHEN 'city' THEN 2 WHEN 'lower' THEN 1 WHEN 'none' THEN 0 END)")

METRICS: dict[str, Metric] = {
    "revenue": Metric("revenue", ("revenue",), "CNY", "revenue"),
    "main_share": Metric(_ratio("main_business_revenue", "revenue"), ("main_business_revenue", "revenue"),
                         "fraction", "main-business share of revenue"),
    "rd_expense": Metric("rd_expense", ("rd_expense",), "CNY", "R&D expense"),
    "rd_intensity": Metric(_RD_INT, ("rd_expense", "revenue"), "fraction", "R&D expense / revenue"),
    "rd_intensity_p1": Metric(_RD_INT_P1, ("rd_expense_p1", "revenue_p1"), "fraction",
                              "R&D expense / revenue, year before"),
    "rd_intensity_min2": Metric(_min2(_RD_INT, _RD_INT_P1), ("rd_expense", "revenue", "rd_expense_p1", "revenue_p1"),
                                "fraction", "R&D intensity, lower of the last 2 years"),
    "rd_intensity_falling2": Metric(
        f"(CASE WHEN {_RD_INT} IS NULL OR {_RD_INT_P1} IS NULL OR {_RD_INT_P2} IS NULL THEN NULL "
        f"WHEN {_RD_INT} < {_RD_INT_P1} AND {_RD_INT_P1} < {_RD_INT_P2} THEN 1 ELSE 0 END)",
        ("rd_expense", "revenue", "rd_expense_p1", "revenue_p1", "rd_expense_p2", "revenue_p2"),
        "flag", "R&D intensity fell two years running"),
    "rd_expense_min2": Metric(_min2("rd_expense", "rd_expense_p1"), ("rd_expense", "rd_expense_p1"), "CNY",
                              "R&D expense, lower of the last 2 years"),
    "rd_expense_sum2": Metric("(rd_expense + rd_expense_p1)", ("rd_expense", "rd_expense_p1"), "CNY",
                              "R&D expense, total of the last 2 years"),
    "rd_expense_avg2": Metric("((rd_expense + rd_expense_p1) / 2)", ("rd_expense", "rd_expense_p1"), "CNY",
                              "R&D expense, average of the last 2 years"),
    "debt_ratio": Metric(_ratio("total_liabilities", "total_assets"), ("total_liabilities", "total_assets"),
                         "fraction", "liabilities / assets"),
    "net_margin": Metric(_ratio("net_profit", "revenue"), ("net_profit", "revenue"), "fraction",
                         "net profit / revenue"),
    "mb_growth_1y": Metric(_G1, ("main_business_revenue", "main_business_revenue_p1"), "fraction",
                           "main-business revenue growth, last year"),
    "mb_growth_avg2": Metric(f"(({_G1} + {_G2}) / 2)",
                             ("main_business_revenue", "main_business_revenue_p1", "main_business_revenue_p2"),
                             "fraction", "average main-business revenue growth over 2 years"),
    "revenue_growth_1y": Metric(_growth("revenue", "revenue_p1"), ("revenue", "revenue_p1"), "fraction",
                                "revenue growth, last year"),
    "revenue_cagr2": Metric("(CASE WHEN revenue_p2 > 0 AND revenue >= 0 THEN SQRT(revenue / revenue_p2) - 1 END)",
                            ("revenue", "revenue_p2"), "fraction", "2-year compound revenue growth"),
    "mbr_avg3": Metric("((main_business_revenue + main_business_revenue_p1 + main_business_revenue_p2) / 3)",
                       ("main_business_revenue", "main_business_revenue_p1", "main_business_revenue_p2"), "CNY",
                       "main-business revenue, 3-year average"),
    "new_equity_2y": Metric(f"({_EQ} + {_EQ1})", (), "CNY", "new qualified equity, last 2 years"),
    "new_equity_3y": Metric(f"({_EQ} + {_EQ1} + {_EQ2})", (), "CNY", "new qualified equity, last 3 years"),
    "rd_staff_share": Metric(_ratio("rd_staff", "employees"), ("rd_staff", "employees"), "fraction",
                             "R&D staff / employees"),
    "niche_years": Metric("niche_years", ("niche_years",), "years", "years in the niche market"),
    "niche_share": Metric("niche_market_share", ("niche_market_share",), "fraction", "national niche market share"),
    "niche_share_change": Metric("(niche_market_share - niche_market_share_p1)",
                                 ("niche_market_share", "niche_market_share_p1"), "fraction",
                                 "change of niche market share"),
    "global_rank": Metric("global_rank", ("global_rank",), "rank", "global market rank"),
    "class1_ip": Metric("class1_ip", ("class1_ip",), "count", "Class I IP"),
    "class1_ip_change": Metric("(class1_ip - class1_ip_p1)", ("class1_ip", "class1_ip_p1"), "count",
                               "change of Class I IP"),
    "class1_ip_self": Metric("class1_ip_self", ("class1_ip_self",), "count", "self-developed Class I IP"),
    "ip_level": Metric(
        "(CASE WHEN class1_ip_high_value >= 1 THEN 4 WHEN class1_ip_high_value IS NULL THEN NULL "
        "WHEN class1_ip_self >= 1 THEN 3 WHEN class1_ip_self IS NULL THEN NULL "
        "WHEN class1_ip >= 1 THEN 2 WHEN class1_ip IS NULL THEN NULL "
        "WHEN class2_ip >= 1 THEN 1 WHEN class2_ip IS NULL THEN NULL ELSE 0 END)",
        ("class1_ip_high_value", "class1_ip_self", "class1_ip", "class2_ip"), "level",
        "IP level (4 high-value Class I, 3 self-developed Class I, 2 Class I, 1 Class II, 0 none)"),
    "digital_level": Metric("digital_level", ("digital_level",), "level", "digitalisation level"),
    "rd_inst_level": Metric(
        f"(CASE WHEN des_rd_institution_national = 1 THEN 4 WHEN des_rd_institution_provincial = 1 "
        f"AND COALESCE({_RD_LEVEL}, 0) <= 3 THEN 3 ELSE {_RD_LEVEL} END)",
        ("rd_institution_level",), "level",
        "R&D institution level (4 national, 3 provincial, 2 city, 1 lower, 0 none)"),
    "info_system": Metric(_bool("info_system"), ("info_system",), "flag", "information system on a core process"),
    "mgmt_certified": Metric(_bool("mgmt_certified"), ("mgmt_certified",), "flag", "management-system certification"),
    "own_brand": Metric(_bool("own_brand"), ("own_brand",), "flag", "own brand"),
    "quality_items": Metric(
        f"({_bool('quality_award')} + {_bool('mgmt_certified')} + {_bool('own_brand')} + {_bool('drafted_standards')})",
        ("quality_award", "mgmt_certified", "own_brand", "drafted_standards"), "count",
        "quality items (award, certification, own brand, standards)"),
    "strategic_emerging": Metric(_bool("strategic_emerging"), ("strategic_emerging",), "flag",
                                 "main product in the Strategic Emerging Industries classification"),
    "key_chain_link": Metric(_bool("key_chain_link"), ("key_chain_link",), "flag", "at a key chain link"),
    "fills_gap": Metric(_bool("fills_gap"), ("fills_gap",), "flag", "main product fills a gap"),
    "six_foundation": Metric(
        "(CASE WHEN foundation IS NULL THEN NULL WHEN foundation IN ("
        + ", ".join(literal(f) for f in SIX_FOUNDATIONS) + ") THEN 1 ELSE 0 END)",
        ("main_item_id",), "flag", "main product in the six foundations"),
    "foundation_or_emerging": Metric(
        "(CASE WHEN foundation IN (" + ", ".join(literal(f) for f in SIX_FOUNDATIONS) + ") THEN 1 "
        "WHEN strategic_emerging THEN 1 WHEN foundation IS NULL OR strategic_emerging IS NULL THEN NULL ELSE 0 END)",
        ("main_item_id", "strategic_emerging"), "flag",
        "main product in the six foundations or a strategic emerging field"),
    "field_level": Metric(
        "(CASE WHEN key_chain_link THEN 2 WHEN foundation IN ("
        + ", ".join(literal(f) for f in SIX_FOUNDATIONS) + ") THEN 1 "
        "WHEN key_chain_link IS NULL OR foundation IS NULL THEN NULL ELSE 0 END)",
        ("key_chain_link", "main_item_id"), "level",
        "main-product field (2 key chain link, 1 six foundations, 0 other)"),
    "new_serious_credit": Metric(
        "(cr_abnormal_operation_new + cr_serious_dishonesty_new + cr_major_incident_new + cr_tax_evasion_new "
        "+ cr_data_fraud_new + cr_dishonest_debtor_new)", (), "count",
        "new serious credit records in the data year"),
    "first_product": Metric("first_product", (), "flag", "first set / batch / version product"),
    "srdi_valid": Metric("des_srdi_sme", (), "flag", "valid SRDI SME status"),
    "innovative_valid": Metric("des_innovative_sme", (), "flag", "valid innovative SME status"),
    "little_giant_valid": Metric("des_little_giant", (), "flag", "valid Little Giant status"),
    "single_champion_valid": Metric("des_single_champion", (), "flag", "valid Single Champion status"),
    "high_tech_valid": Metric("des_high_tech", (), "flag", "valid high-tech enterprise status"),
    "srdi_or_lg_valid": Metric("(CASE WHEN des_srdi_sme = 1 OR des_little_giant = 1 THEN 1 ELSE 0 END)", (),
                               "flag", "valid SRDI SME or Little Giant status"),
    "st_award_3y": Metric("des_st_award_3y", (), "flag", "national or provincial S&T award in the last 3 years"),
    "st_award_national_3y": Metric("des_st_award_national_3y", (), "flag", "national S&T award in the last 3 years"),
    "chuangke500_3y": Metric("des_chuangke500_3y", (), "flag", "national top 500 of Chuangke China in 3 years"),
    "chuangke50_3y": Metric("des_chuangke50_3y", (), "flag", "national top 50 of Chuangke China in 3 years"),
}


def _has(engine: Engine, table: str) -> bool:
    return engine.table_exists(table)


def _cols(engine: Engine, table: str) -> set[str]:
    return set(engine.columns(table)) if _has(engine, table) else set()


def _col(name: str, have: set[str], typ: str, alias: str = "") -> str:
    """A column, NULL when absent; for numbers NaN becomes NULL (missing, on both engines)."""
    if name not in have:
        return f"CAST(NULL AS {typ}) AS {name}"
    if typ == "DOUBLE":
        return f"NULLIF(CAST({alias}{name} AS DOUBLE), CAST('NaN' AS DOUBLE)) AS {name}"
    return f"{alias}{name} AS {name}"


def as_of_sql(years: list[int]) -> str:
    """A CTE body listing screening years with their as-of date (end of the data year)."""
    parts = [f"SELECT {int(y)} AS year, CAST({literal(str(int(y) - 1) + '-12-31')} AS DATE) AS as_of" for y in years]
    return " UNION ALL ".join(parts)


def feature_sql(engine: Engine, years: list[int], uscc: str | None = None, among: str | None = None) -> str:
    """SQL of the feature table: one row per firm with figures for data year ``Y-1`` (only
    firm ``uscc``, or the firms whose ``uscc`` the query ``among`` returns, when given: every
    feature is the firm's own, so a firm's rows are the same as in the whole table). ``among``
    is SQL written by the caller (a fixed query, never user input).

    Columns: ``uscc``, ``year`` (screening year), ``data_year``, the raw fields of
    ``YEAR_FIELDS`` (``<field>_p1`` / ``_p2`` one and two years earlier), firm
    attributes, ``foundation``, designation flags ``des_*`` (0/1), credit flags
    ``cr_<kind>_active`` (0/1) and ``cr_<kind>_last`` (year of the latest record, or NULL),
    ``cr_<kind>_new`` (records in the data year) and ``first_product`` (0/1).
    """
    if not _has(engine, "enterprise_years"):
        from reforge.errors import ReforgeError
        raise ReforgeError("table enterprise_years is missing; import the firm panel first")
    years = sorted({int(y) for y in years})
    lo, hi = years[0] - 1 - 2, years[-1] - 1
    firm = None if uscc is None else f"uscc = {literal(str(uscc))}"  # a quoted literal, not an identifier
    if among is not None:
        firm = f"uscc IN ({among})" if firm is None else f"{firm} AND uscc IN ({among})"
    one = "" if firm is None else f" AND {firm}"
    ycols = _cols(engine, "enterprise_years")
    sel = ", ".join(_col(f, ycols, t) for f, (t, _) in YEAR_FIELDS.items())
    # lags in one pass with window functions; a lag counts only when it is the right calendar year
    # (rows without a uscc have no history, as with the former self-join on uscc)
    w = "OVER (PARTITION BY uscc ORDER BY year)"
    wins = [f"LAG(year, 1) {w} AS y_l1", f"LAG(year, 2) {w} AS y_l2"]
    lags = []
    for f, (_t, n) in YEAR_FIELDS.items():
        if n >= 1:
            wins.append(f"LAG({f}, 1) {w} AS {f}_l1")
            lags.append(f"CASE WHEN uscc IS NULL THEN NULL WHEN y_l1 = year - 1 THEN {f}_l1 END AS {f}_p1")
        if n >= 2:
            wins.append(f"LAG({f}, 2) {w} AS {f}_l2")
            lags.append(f"CASE WHEN uscc IS NULL THEN NULL WHEN y_l1 = year - 2 THEN {f}_l1 "
                        f"WHEN y_l2 = year - 2 THEN {f}_l2 END AS {f}_p2")
    ecols = _cols(engine, "enterprises")
    if ecols:
        ent = ("SELECT uscc, " + ", ".join(_col(f, ecols, t) for f, t in FIRM_FIELDS.items())
               + " FROM enterprises" + (f" WHERE {firm}" if firm else ""))
    else:
        ent = ("SELECT CAST(NULL AS VARCHAR) AS uscc, "
               + ", ".join(f"CAST(NULL AS {t}) AS {f}" for f, t in FIRM_FIELDS.items()) + " WHERE 1 = 0")
    if "foundation" in _cols(engine, "items"):
        items = "SELECT item_id, foundation FROM items"
    else:
        items = "SELECT CAST(NULL AS VARCHAR) AS item_id, CAST(NULL AS VARCHAR) AS foundation WHERE 1 = 0"

    valid = "d.granted_on <= y.as_of AND (d.expires_on IS NULL OR d.expires_on >= y.as_of)"
    in3 = "d.granted_on <= y.as_of AND YEAR(d.granted_on) > YEAR(y.as_of) - 3"
    des_exprs = [f"MAX(CASE WHEN d.kind = {literal(k)} AND {valid} THEN 1 ELSE 0 END) AS des_{k}" for k in DESIGNATION_FLAGS]
    des_exprs += [
        f"MAX(CASE WHEN d.kind = 'rd_institution_national' AND {valid} THEN 1 ELSE 0 END) AS des_rd_institution_national",
        f"MAX(CASE WHEN d.kind = 'rd_institution_provincial' AND {valid} THEN 1 ELSE 0 END) "
        "AS des_rd_institution_provincial",
        f"MAX(CASE WHEN d.kind IN ('st_award_national', 'st_award_provincial') AND {in3} THEN 1 ELSE 0 END) "
        "AS des_st_award_3y",
        f"MAX(CASE WHEN d.kind = 'st_award_national' AND {in3} THEN 1 ELSE 0 END) AS des_st_award_national_3y",
        f"MAX(CASE WHEN d.kind IN ('chuangke_top500', 'chuangke_top50') AND {in3} THEN 1 ELSE 0 END) "
        "AS des_chuangke500_3y",
        f"MAX(CASE WHEN d.kind = 'chuangke_top50' AND {in3} THEN 1 ELSE 0 END) AS des_chuangke50_3y",
    ]
    des_names = [e.rsplit(" AS ", 1)[1] for e in des_exprs]
    if _has(engine, "designations"):
        dcols = _cols(engine, "designations")
        status = "COALESCE(d.status, '') <> 'revoked'" if "status" in dcols else "1 = 1"
        from reforge.firms.validity import expiry_sql  # validity reads rule sets, which read METRICS
        exp = "CAST(expires_on AS DATE)" if "expires_on" in dcols else "CAST(NULL AS DATE)"
        # expires_on, or granted_on + the kind's default validity (reforge.firms.validity)
        eff = expiry_sql("kind", "CAST(granted_on AS DATE)", exp)
        des = (f"SELECT y.year, d.uscc, {', '.join(des_exprs)} FROM "
               f"(SELECT uscc, kind, CAST(granted_on AS DATE) AS granted_on, {eff} "
               f"AS expires_on{', status' if 'status' in dcols else ''} FROM designations "
               f"WHERE kind IN ({', '.join(repr(k) for k in DES_KINDS)}){one}) d "  # only kinds a flag reads
               f"CROSS JOIN yrs y WHERE {status} GROUP BY y.year, d.uscc")
    else:
        des = ("SELECT CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR) AS uscc, "
               + ", ".join(f"0 AS {n}" for n in des_names) + " WHERE 1 = 0")

    cr_exprs, cr_names = [], []
    for k in CREDIT_KINDS:
        cr_exprs.append(f"MAX(CASE WHEN c.kind = {literal(k)} AND c.recorded_on <= y.as_of AND (c.expires_on IS NULL "
                        f"OR c.expires_on >= y.as_of) THEN 1 ELSE 0 END) AS cr_{k}_active")
        cr_exprs.append(f"MAX(CASE WHEN c.kind = {literal(k)} AND c.recorded_on <= y.as_of THEN YEAR(c.recorded_on) END) "
                        f"AS cr_{k}_last")
        # a 4-byte INTEGER count, not DuckDB's 16-byte HUGEINT sum (keeps the feature table narrow)
        cr_exprs.append(f"CAST(SUM(CASE WHEN c.kind = {literal(k)} AND YEAR(c.recorded_on) = YEAR(y.as_of) "
                        f"THEN 1 ELSE 0 END) AS INTEGER) AS cr_{k}_new")
        cr_names += [f"cr_{k}_active", f"cr_{k}_last", f"cr_{k}_new"]
    if _has(engine, "credit_records"):
        ccols = _cols(engine, "credit_records")
        exp = "expires_on" if "expires_on" in ccols else "CAST(NULL AS DATE)"
        cr = (f"SELECT y.year, c.uscc, {', '.join(cr_exprs)} FROM (SELECT uscc, kind, CAST(recorded_on AS DATE) "
              f"AS recorded_on, CAST({exp} AS DATE) AS expires_on FROM credit_records WHERE 1 = 1{one}) c "
              "CROSS JOIN yrs y GROUP BY y.year, c.uscc")
    else:
        cr = ("SELECT CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR) AS uscc, "
              + ", ".join(f"CAST(NULL AS INTEGER) AS {n}" for n in cr_names) + " WHERE 1 = 0")
    cr_sel = []
    for n in cr_names:
        cr_sel.append(f"cr.{n} AS {n}" if n.endswith("_last") else f"COALESCE(cr.{n}, 0) AS {n}")

    if {"uscc", "kind", "year"} <= _cols(engine, "appraisals"):
        apr = ("SELECT y.year, a.uscc, 1 AS first_product FROM appraisals a CROSS JOIN yrs y "
               "WHERE a.kind IN ('first_set', 'first_batch', 'first_version') AND a.uscc IS NOT NULL "
               "AND a.year <= y.year - 1 GROUP BY y.year, a.uscc")
    else:
        apr = "SELECT CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR) AS uscc, 1 AS first_product WHERE 1 = 0"

    raw_names = list(YEAR_FIELDS) + [f"{f}_p{k}" for f, (_t, n) in YEAR_FIELDS.items() for k in range(1, n + 1)]
    return f"""
WITH yrs AS ({as_of_sql(years)}),
ey AS (SELECT uscc, CAST(year AS INTEGER) AS year, {sel} FROM enterprise_years
       WHERE year BETWEEN {lo} AND {hi}{one}),
lagged AS (SELECT uscc, year, {', '.join(YEAR_FIELDS)}, {', '.join(lags)}
  FROM (SELECT ey.*, {', '.join(wins)} FROM ey) z
  WHERE year IN ({', '.join(str(y - 1) for y in years)})),
ent AS ({ent}),
itm AS ({items}),
des AS ({des}),
cr AS ({cr}),
apr AS ({apr})
SELECT l.uscc AS uscc, CAST(l.year + 1 AS INTEGER) AS year, l.year AS data_year,
  {', '.join(f'l.{n} AS {n}' for n in raw_names)},
  {', '.join(f'e.{f} AS {f}' for f in FIRM_FIELDS)},
  i.foundation AS foundation,
  {', '.join(f'COALESCE(d.{n}, 0) AS {n}' for n in des_names)},
  {', '.join(cr_sel)},
  COALESCE(a.first_product, 0) AS first_product
FROM lagged l
LEFT JOIN ent e ON e.uscc = l.uscc
LEFT JOIN itm i ON i.item_id = e.main_item_id
LEFT JOIN des d ON d.uscc = l.uscc AND d.year = l.year + 1
LEFT JOIN cr ON cr.uscc = l.uscc AND cr.year = l.year + 1
LEFT JOIN apr a ON a.uscc = l.uscc AND a.year = l.year + 1
"""


def input_label(col: str, data_year: int) -> str:
    """A person-readable name of a feature input: ``revenue`` or ``revenue (2021)`` for lags."""
    if col == "main_item_id":
        return "main_item_id"
    for k in (1, 2):
        if col.endswith(f"_p{k}"):
            return f"{col[:-3]} ({data_year - k})"
    return col
