"""Credit features per firm and year, built in SQL on the engine (DuckDB or Spark).

One row per ``enterprise_years`` row (uscc, year); every feature is as of the end of that
year. Ratios are NULL when the denominator is missing or not positive. Money in CNY.

Financial: debt_ratio = liabilities / assets; roa = net profit / assets; net_margin =
net profit / revenue; current_ratio = current assets / current liabilities;
revenue_growth = revenue / previous year's revenue - 1; total_assets, revenue (size);
employees; firm_age (years since founding).
Innovation: rd_intensity = R&D expense / revenue; ip_count = Class I + Class II IP.
Chain position (supply_links of the year): n_buyers, n_suppliers (distinct partners),
top_buyer_share (largest buyer's share of the firm's recorded sales), single_source_share
(share of purchases, by value, of items the firm buys from exactly one supplier),
foreign_supply_share (share of purchases from foreign suppliers), disruption_impact
(firms disrupted if this firm alone stopped supplying: the chain cascade over the year's
supply links, loss threshold 0.5, read from the stored ``chain_impacts`` or computed by
``reforge.credit.chain_impact``; 0 for firms that disrupt nobody, NULL in years without
supply links, and NULL everywhere when ``feature_sql`` is given no impact relation).
Public credit (credit_records recorded up to the year end): admin_penalties_3y
(penalties recorded in the year or the two before), overdue_loans_3y, fraud_3y (tax
evasion or data fraud), major_incident_3y, and 0/1 flags of entries still active at the
year end (no expiry date = still active): dishonest_debtor, abnormal_operation,
serious_dishonesty; tax_rating = the latest tax credit rating (A/B/M/C/D) recorded.
Outcome: default_next_year = 1 when ``defaults`` records a default in year + 1, 0 when
year + 1 is covered by the defaults table and none is recorded, NULL otherwise;
defaulted_before = 1 when a default was recorded in the year or earlier.
"""

from __future__ import annotations

from reforge.engine import Engine
from reforge.errors import ReforgeError

FEATURES: dict[str, str] = {
    "debt_ratio": "debt ratio", "roa": "return on assets", "net_margin": "net margin",
    "current_ratio": "current ratio", "revenue_growth": "revenue growth",
    "total_assets": "total assets (CNY)", "revenue": "revenue (CNY)", "employees": "employees",
    "firm_age": "firm age (years)", "rd_intensity": "R&D intensity", "ip_count": "IP count",
    "n_buyers": "number of buyers", "n_suppliers": "number of suppliers",
    "top_buyer_share": "largest buyer's share", "single_source_share": "single-source purchase share",
    "foreign_supply_share": "share of purchases from abroad",
    "disruption_impact": "firms disrupted if it stopped supplying",
    "admin_penalties_3y": "administrative penalties (3 years)",
    "overdue_loans_3y": "overdue loans (3 years)", "dishonest_debtor": "dishonest-debtor entry",
    "abnormal_operation": "abnormal-operation entry", "tax_rating": "tax credit rating",
}
CATEGORICAL = ("tax_rating",)
OVERLAY_ONLY = ("serious_dishonesty", "fraud_3y", "major_incident_3y")
TARGETS = ("default_next_year",)
REQUIRED_TABLES = ("enterprises", "enterprise_years", "credit_records", "supply_links", "defaults")


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN CAST({num} AS DOUBLE) / CAST({den} AS DOUBLE) END"


def _impact_expr(impact: str | None, impact_years: list[int] | None) -> tuple[str, str]:
    """The disruption_impact column and its join (see ``chain_impact.impact_source``)."""
    if impact is None or not impact_years:
        return "CAST(NULL AS DOUBLE)", ""
    yrs = ", ".join(str(int(y)) for y in sorted(set(impact_years)))
    return (f"CASE WHEN e.year IN ({yrs}) THEN CAST(COALESCE(di.disruption_impact, 0) AS DOUBLE) END",
            f"LEFT JOIN {impact} di ON di.uscc = e.uscc AND di.year = e.year")


def feature_sql(year_from: int, year_to: int, impact: str | None = None,
                impact_years: list[int] | None = None, firms: str | None = None) -> str:
    """SELECT uscc, year, <features>, default_next_year, defaulted_before for the years.

    ``impact``/``impact_years``: the relation (uscc, year, disruption_impact) and the link
    years from ``chain_impact.impact_source``; without them disruption_impact is NULL.
    ``firms``: a relation with a column ``uscc`` (a table name chosen by the caller) to compute
    the features of those firms only. Every feature is the firm's own (its figures, its sales,
    purchases and records), so each firm's row is the same as in the whole population's table."""
    y0, y1 = int(year_from), int(year_to)
    imp_col, imp_join = _impact_expr(impact, impact_years)
    only = f" AND {{}} IN (SELECT uscc FROM {firms})" if firms else ""

    def mine(col: str) -> str:  # the restriction to ``firms`` on a firm column, if any
        return only.format(col)
    yr = "EXTRACT(YEAR FROM r.recorded_on)"
    active = "(r.expires_on IS NULL OR EXTRACT(YEAR FROM r.expires_on) > e.year)"
    return f"""
WITH ey AS (
  SELECT uscc, year, revenue, net_profit, total_assets, total_liabilities, current_assets,
         current_liabilities, employees, rd_expense, class1_ip, class2_ip
  FROM enterprise_years WHERE year BETWEEN {y0} AND {y1}{mine("uscc")}
), prev AS (
  SELECT uscc, year + 1 AS year, revenue AS prev_revenue
  FROM enterprise_years WHERE year BETWEEN {y0 - 1} AND {y1 - 1}{mine("uscc")}
), sb AS (
  SELECT supplier_id AS uscc, year, buyer_uscc, SUM(value) AS v
  FROM supply_links WHERE supplier_type = 'enterprise' AND year BETWEEN {y0} AND {y1}{mine("supplier_id")}
  GROUP BY supplier_id, year, buyer_uscc
), sales AS (
  SELECT uscc, year, COUNT(*) AS n_buyers, SUM(v) AS sales_value, MAX(v) AS top_value
  FROM sb GROUP BY uscc, year
), bi AS (
  SELECT buyer_uscc AS uscc, year, item_id, COUNT(DISTINCT supplier_id) AS ns, SUM(value) AS v,
         SUM(CASE WHEN supplier_type = 'foreign' THEN value ELSE 0 END) AS fv
  FROM supply_links WHERE year BETWEEN {y0} AND {y1}{mine("buyer_uscc")}
  GROUP BY buyer_uscc, year, item_id
), ns AS (
  SELECT buyer_uscc AS uscc, year, COUNT(DISTINCT supplier_id) AS n_suppliers
  FROM supply_links WHERE year BETWEEN {y0} AND {y1}{mine("buyer_uscc")}
  GROUP BY buyer_uscc, year
), buys AS (
  SELECT uscc, year, SUM(v) AS purchases, SUM(CASE WHEN ns = 1 THEN v ELSE 0 END) AS single_v,
         SUM(fv) AS foreign_v
  FROM bi GROUP BY uscc, year
), cr AS (
  SELECT e.uscc, e.year,
    SUM(CASE WHEN r.kind = 'admin_penalty' AND {yr} > e.year - 3 THEN 1 ELSE 0 END) AS admin_penalties_3y,
    SUM(CASE WHEN r.kind = 'overdue_loan' AND {yr} > e.year - 3 THEN 1 ELSE 0 END) AS overdue_loans_3y,
    SUM(CASE WHEN r.kind IN ('tax_evasion', 'data_fraud') AND {yr} > e.year - 3 THEN 1 ELSE 0 END)
      AS fraud_3y,
    SUM(CASE WHEN r.kind = 'major_incident' AND {yr} > e.year - 3 THEN 1 ELSE 0 END) AS major_incident_3y,
    MAX(CASE WHEN r.kind = 'dishonest_debtor' AND {active} THEN 1 ELSE 0 END) AS dishonest_debtor,
    MAX(CASE WHEN r.kind = 'abnormal_operation' AND {active} THEN 1 ELSE 0 END) AS abnormal_operation,
    MAX(CASE WHEN r.kind = 'serious_dishonesty' AND {active} THEN 1 ELSE 0 END) AS serious_dishonesty
  FROM ey e JOIN credit_records r ON r.uscc = e.uscc AND {yr} <= e.year
  GROUP BY e.uscc, e.year
), tx AS (
  SELECT uscc, year, tax_rating FROM (
    SELECT e.uscc, e.year, UPPER(TRIM(r.value)) AS tax_rating,
      ROW_NUMBER() OVER (PARTITION BY e.uscc, e.year ORDER BY r.recorded_on DESC, r.record_id DESC) AS rn
    FROM ey e JOIN credit_records r ON r.uscc = e.uscc AND r.kind = 'tax_rating' AND {yr} <= e.year
  ) z WHERE rn = 1
), dy AS (
  SELECT DISTINCT year FROM defaults
), dflt AS (
  SELECT uscc, year, MAX(CASE WHEN defaulted THEN 1 ELSE 0 END) AS d FROM defaults
  WHERE TRUE{mine("uscc")} GROUP BY uscc, year
), firstd AS (
  SELECT uscc, MIN(year) AS first_default FROM defaults WHERE defaulted{mine("uscc")} GROUP BY uscc
)
SELECT e.uscc, e.year,
  {_ratio('e.total_liabilities', 'e.total_assets')} AS debt_ratio,
  {_ratio('e.net_profit', 'e.total_assets')} AS roa,
  {_ratio('e.net_profit', 'e.revenue')} AS net_margin,
  {_ratio('e.current_assets', 'e.current_liabilities')} AS current_ratio,
  CASE WHEN p.prev_revenue > 0 THEN CAST(e.revenue AS DOUBLE) / CAST(p.prev_revenue AS DOUBLE) - 1.0 END
    AS revenue_growth,
  CAST(e.total_assets AS DOUBLE) AS total_assets,
  CAST(e.revenue AS DOUBLE) AS revenue,
  CAST(e.employees AS DOUBLE) AS employees,
  CASE WHEN en.founded_on IS NOT NULL THEN CAST(e.year - EXTRACT(YEAR FROM en.founded_on) AS DOUBLE) END
    AS firm_age,
  {_ratio('e.rd_expense', 'e.revenue')} AS rd_intensity,
  CAST(COALESCE(e.class1_ip, 0) + COALESCE(e.class2_ip, 0) AS DOUBLE) AS ip_count,
  CAST(COALESCE(s.n_buyers, 0) AS DOUBLE) AS n_buyers,
  CAST(COALESCE(n.n_suppliers, 0) AS DOUBLE) AS n_suppliers,
  {_ratio('s.top_value', 's.sales_value')} AS top_buyer_share,
  {_ratio('b.single_v', 'b.purchases')} AS single_source_share,
  {_ratio('b.foreign_v', 'b.purchases')} AS foreign_supply_share,
  {imp_col} AS disruption_impact,
  CAST(COALESCE(c.admin_penalties_3y, 0) AS DOUBLE) AS admin_penalties_3y,
  CAST(COALESCE(c.overdue_loans_3y, 0) AS DOUBLE) AS overdue_loans_3y,
  CAST(COALESCE(c.dishonest_debtor, 0) AS DOUBLE) AS dishonest_debtor,
  CAST(COALESCE(c.abnormal_operation, 0) AS DOUBLE) AS abnormal_operation,
  t.tax_rating,
  CAST(COALESCE(c.serious_dishonesty, 0) AS DOUBLE) AS serious_dishonesty,
  CAST(COALESCE(c.fraud_3y, 0) AS DOUBLE) AS fraud_3y,
  CAST(COALESCE(c.major_incident_3y, 0) AS DOUBLE) AS major_incident_3y,
  CASE WHEN d.d = 1 THEN 1 WHEN dy.year IS NOT NULL THEN 0 END AS default_next_year,
  CASE WHEN fd.first_default <= e.year THEN 1 ELSE 0 END AS defaulted_before
FROM ey e
LEFT JOIN enterprises en ON en.uscc = e.uscc
LEFT JOIN prev p ON p.uscc = e.uscc AND p.year = e.year
LEFT JOIN sales s ON s.uscc = e.uscc AND s.year = e.year
LEFT JOIN ns n ON n.uscc = e.uscc AND n.year = e.year
LEFT JOIN buys b ON b.uscc = e.uscc AND b.year = e.year
LEFT JOIN cr c ON c.uscc = e.uscc AND c.year = e.year
LEFT JOIN tx t ON t.uscc = e.uscc AND t.year = e.year
LEFT JOIN dy ON dy.year = e.year + 1
LEFT JOIN dflt d ON d.uscc = e.uscc AND d.year = e.year + 1
LEFT JOIN firstd fd ON fd.uscc = e.uscc
{imp_join}
"""


def check_tables(engine: Engine) -> None:
    """Raise a ReforgeError naming the tables the credit features need but the database lacks."""
    missing = [t for t in REQUIRED_TABLES if not engine.table_exists(t)]
    if missing:
        raise ReforgeError(f"the database lacks tables {', '.join(missing)}; "
                           "load data with `reforge import` or build `reforge demo`")


def year_range(engine: Engine, covered: bool = True) -> tuple[int, int]:
    """First and last year of ``enterprise_years``; the last is the latest well-covered year
    (``reforge.coverage.default_year``) unless ``covered=False`` (then the largest year)."""
    from reforge.coverage import covered_years, year_counts
    check_tables(engine)
    counts = year_counts(engine, "enterprise_years")
    if not counts:
        raise ReforgeError("enterprise_years is empty; nothing to score")
    lo = min(counts)
    return lo, (covered_years(counts)[-1] if covered else max(counts))


def materialize_features(engine: Engine, year_from: int, year_to: int, name: str | None = None) -> str:
    """Compute the feature table for the years on the engine (disruption impact from the stored
    ``chain_impacts`` where fresh, computed otherwise); return its (temporary) name."""
    from reforge.credit.chain_impact import impact_source
    check_tables(engine)
    name = name or engine.temp_name("credit_features")
    with engine.scratch() as tmp:
        imp, years = impact_source(engine, year_from, year_to, tmp)
        engine.materialize(name, feature_sql(year_from, year_to, imp, years))
    return name
