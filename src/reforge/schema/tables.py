"""The core tables: columns, types, keys, value rules and references.

This is the single source of truth for the data model. The DDL, the import
validator and ``docs/data-contract.md`` are all derived from it. Money is in
CNY (yuan); shares and ratios are fractions 0-1; years are calendar years.
"""

from __future__ import annotations

from dataclasses import dataclass

FOUNDATIONS = ("component", "electronic_component", "material", "process",
               "technology_foundation", "software", "equipment", "end_product")
DESIGNATION_KINDS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion",
                     "high_tech", "st_award_national", "st_award_provincial",
                     "rd_institution_national", "rd_institution_provincial",
                     "chuangke_top500", "chuangke_top50")
CREDIT_KINDS = ("tax_rating", "admin_penalty", "dishonest_debtor", "abnormal_operation",
                "serious_dishonesty", "overdue_loan", "major_incident", "data_fraud",
                "tax_evasion")


@dataclass(frozen=True)
class Column:
    """One column. ``rule`` names a value check applied on import (see ingest.validate)."""

    name: str
    type: str  # DuckDB type: VARCHAR, BIGINT, INTEGER, DOUBLE, DATE, BOOLEAN, TIMESTAMP
    required: bool = False
    rule: str | None = None  # uscc, division, industry, country, share, nonneg, year, level5, enum
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Reference:
    """Values of ``column`` must exist in ``table.target`` (any of several targets)."""

    column: str
    targets: tuple[tuple[str, str], ...]  # (table, column) pairs, any may match
    when: tuple[str, str] | None = None   # (column, value): only check rows where column == value


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    references: tuple[Reference, ...] = ()
    service: bool = False  # service tables (users, tokens, audit) are not imported by users
    enforce_key: bool = True  # False: the key is documented, not a PRIMARY KEY (tens of millions of
    # derived rows, written only by their one writer: an index over them would cost more than it guards)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column
_money = "CNY (yuan)"

TABLES: tuple[Table, ...] = (
    Table("enterprises", (
        C("uscc", "VARCHAR", True, "uscc", doc="18-character unified social credit code (GB 32100-2015), check digit verified"),
        C("name", "VARCHAR", True, doc="registered name (Chinese)"),
        C("name_en", "VARCHAR", doc="English name, optional"),
        C("province_code", "VARCHAR", True, "division", doc="GB/T 2260 province code, e.g. 320000"),
        C("city_code", "VARCHAR", False, "division", doc="GB/T 2260 prefecture code"),
        C("county_code", "VARCHAR", False, "division", doc="GB/T 2260 county code"),
        C("industry_code", "VARCHAR", True, "industry", doc="GB/T 4754-2017 code (class, 4 digits, or any level)"),
        C("founded_on", "DATE", doc="date of establishment"),
        C("size_class", "VARCHAR", False, "enum", ("large", "medium", "small", "micro")),
        C("ownership", "VARCHAR", False, "enum", ("state", "private", "foreign", "mixed")),
        C("listed", "BOOLEAN", doc="listed on a stock exchange"),
        C("main_product", "VARCHAR", doc="main product, free text"),
        C("main_item_id", "VARCHAR", doc="chain item of the main product (items.item_id), optional"),
        C("strategic_emerging", "BOOLEAN", doc="main product in the Strategic Emerging Industries classification"),
        C("key_chain_link", "BOOLEAN", doc="main product fills a gap / strengthens a key chain link"),
        C("fills_gap", "BOOLEAN", doc="main product fills a domestic blank or key shortfall (补短板/填空白); "
          "allows 2 years in the niche for Little Giants (2022 rules)"),
    ), ("uscc",), "One row per enterprise.",
        (Reference("main_item_id", (("items", "item_id"),)),)),
    Table("foreign_suppliers", (
        C("supplier_id", "VARCHAR", True, doc="identifier, e.g. F-JP-NABTESCO"),
        C("name", "VARCHAR", True),
        C("country", "VARCHAR", True, "country", doc="ISO 3166-1 alpha-2"),
    ), ("supplier_id",), "Producers outside the country (or outside the database's scope)."),
    Table("enterprise_years", (
        C("uscc", "VARCHAR", True, "uscc"),
        C("year", "INTEGER", True, "year"),
        C("revenue", "DOUBLE", False, "nonneg", doc=f"operating revenue, {_money}"),
        C("main_business_revenue", "DOUBLE", False, "nonneg", doc=f"main-business revenue, {_money}"),
        C("net_profit", "DOUBLE", doc=_money),
        C("total_assets", "DOUBLE", False, "nonneg", doc=_money),
        C("total_liabilities", "DOUBLE", False, "nonneg", doc=_money),
        C("current_assets", "DOUBLE", False, "nonneg", doc=_money),
        C("current_liabilities", "DOUBLE", False, "nonneg", doc=_money),
        C("employees", "INTEGER", False, "nonneg", doc="headcount at year end"),
        C("rd_expense", "DOUBLE", False, "nonneg", doc=f"R&D expense, {_money}"),
        C("rd_staff", "INTEGER", False, "nonneg", doc="R&D staff headcount"),
        C("class1_ip", "INTEGER", False, "nonneg", doc="valid Class I IP tied to the main product (invention patents etc.)"),
        C("class1_ip_self", "INTEGER", False, "nonneg", doc="of which self-developed"),
        C("class1_ip_high_value", "INTEGER", False, "nonneg", doc="of which high-value"),
        C("class2_ip", "INTEGER", False, "nonneg", doc="valid Class II IP (software copyrights, utility models...)"),
        C("niche_years", "DOUBLE", False, "nonneg", doc="years in the niche market"),
        C("niche_market_share", "DOUBLE", False, "share", doc="national niche market share, fraction 0-1"),
        C("global_rank", "INTEGER", False, "nonneg", doc="global market rank of the main product (1 = first)"),
        C("new_equity", "DOUBLE", False, "nonneg", doc=f"new qualified equity financing in the year, {_money}"),
        C("digital_level", "INTEGER", False, "nonneg", doc="digitalisation level 1-4 (SME digital maturity)"),
        C("exports", "DOUBLE", False, "nonneg", doc=_money),
        C("rd_institution_level", "VARCHAR", False, "enum", ("none", "lower", "city", "provincial", "national"),
          doc="highest level of own or joint R&D institution"),
        C("info_system", "BOOLEAN", doc="information system on at least one core process"),
        C("mgmt_certified", "BOOLEAN", doc="management-system (ISO 9001-type) or developed-market product certification"),
        C("own_brand", "BOOLEAN", doc="own brand"),
        C("quality_award", "BOOLEAN", doc="provincial or higher quality award"),
        C("drafted_standards", "BOOLEAN", doc="led or took part in drafting standards"),
    ), ("uscc", "year"), "Yearly figures per enterprise (the firm panel).",
        (Reference("uscc", (("enterprises", "uscc"),)),)),
    Table("designations", (
        C("uscc", "VARCHAR", True, "uscc"),
        C("kind", "VARCHAR", True, "enum", DESIGNATION_KINDS),
        C("batch", "INTEGER", doc="batch number or year of the list"),
        C("level", "VARCHAR", False, "enum", ("national", "provincial", "city")),
        C("granted_on", "DATE", True),
        C("expires_on", "DATE", doc="end of validity (3 years for gradient tiers)"),
        C("status", "VARCHAR", False, "enum", ("active", "expired", "revoked", "under_review", "renewed")),
        C("rule_set", "VARCHAR", doc="rule set applied, e.g. 2022"),
    ), ("uscc", "kind", "granted_on"), "Tiers, honours and awards granted to enterprises.",
        (Reference("uscc", (("enterprises", "uscc"),)),)),
    Table("support_events", (
        C("event_id", "VARCHAR", True),
        C("uscc", "VARCHAR", True, "uscc"),
        C("programme", "VARCHAR", True, doc="programme id, e.g. little_giant_fund"),
        C("granted_on", "DATE", True),
        C("amount", "DOUBLE", False, "nonneg", doc=_money),
    ), ("event_id",), "Support received (grants, subsidies, loans): the policy treatment.",
        (Reference("uscc", (("enterprises", "uscc"),)),)),
    Table("credit_records", (
        C("record_id", "VARCHAR", True),
        C("uscc", "VARCHAR", True, "uscc"),
        C("kind", "VARCHAR", True, "enum", CREDIT_KINDS),
        C("value", "VARCHAR", doc="e.g. tax rating A/B/M/C/D, penalty amount"),
        C("recorded_on", "DATE", True),
        C("expires_on", "DATE"),
        C("source", "VARCHAR"),
    ), ("record_id",), "Public credit records.",
        (Reference("uscc", (("enterprises", "uscc"),)),)),
    Table("defaults", (
        C("uscc", "VARCHAR", True, "uscc"),
        C("year", "INTEGER", True, "year"),
        C("defaulted", "BOOLEAN", True, doc="a default (90+ days overdue, restructuring or bankruptcy) occurred in the year"),
    ), ("uscc", "year"), "Observed credit outcomes per firm and year.",
        (Reference("uscc", (("enterprises", "uscc"),)),)),
    Table("chains", (
        C("chain_id", "VARCHAR", True),
        C("name", "VARCHAR", True),
        C("name_zh", "VARCHAR", True),
        C("description", "VARCHAR"),
    ), ("chain_id",), "Key industrial chains."),
    Table("items", (
        C("item_id", "VARCHAR", True),
        C("name", "VARCHAR", True),
        C("name_zh", "VARCHAR", True),
        C("foundation", "VARCHAR", True, "enum", FOUNDATIONS),
        C("hs_code", "VARCHAR"),
        C("frontier_level", "INTEGER", False, "level5", doc="technology level of the world frontier (1-5, default 5)"),
    ), ("item_id",), "Products, parts, materials, processes, software... that chains are built from."),
    Table("chain_items", (
        C("chain_id", "VARCHAR", True),
        C("item_id", "VARCHAR", True),
        C("segment", "VARCHAR", False, "enum", ("upstream", "midstream", "downstream")),
        C("is_end_product", "BOOLEAN", doc="an end product of the chain"),
        C("end_value", "DOUBLE", False, "nonneg", doc=f"yearly value of the end product, {_money} (end products only)"),
        C("status_note", "VARCHAR", doc="public knowledge of China's position"),
    ), ("chain_id", "item_id"), "Which items belong to which chain template.",
        (Reference("chain_id", (("chains", "chain_id"),)), Reference("item_id", (("items", "item_id"),)))),
    Table("chain_links", (
        C("chain_id", "VARCHAR", True),
        C("input_item", "VARCHAR", True),
        C("output_item", "VARCHAR", True),
        C("share", "DOUBLE", False, "share", doc="share of the output's cost that this input accounts for"),
        C("criticality", "DOUBLE", False, "share", doc="1 = the output cannot be made without it"),
    ), ("chain_id", "input_item", "output_item"), "Input -> output links of a chain template.",
        (Reference("chain_id", (("chains", "chain_id"),)), Reference("input_item", (("items", "item_id"),)),
         Reference("output_item", (("items", "item_id"),)))),
    Table("capabilities", (
        C("producer_id", "VARCHAR", True, doc="uscc or foreign supplier_id"),
        C("producer_type", "VARCHAR", True, "enum", ("enterprise", "foreign")),
        C("item_id", "VARCHAR", True),
        C("tech_level", "INTEGER", False, "level5", doc="technology level 1-5 (5 = world frontier)"),
        C("capacity", "DOUBLE", False, "nonneg", doc=f"yearly capacity, {_money}"),
        C("since_year", "INTEGER", False, "year"),
        C("spare_capacity", "DOUBLE", False, "nonneg", doc=f"yearly capacity not yet committed, {_money}; "
          "when missing, matching takes capacity minus the producer's sales of the item in its latest supply_links year"),
        C("lead_time_days", "INTEGER", False, "nonneg", doc="usual delivery lead time, days"),
        C("price_band", "VARCHAR", False, "enum", ("low", "mid", "high"), doc="price level against the market"),
    ), ("producer_id", "item_id"), "Who can make what, at what level.",
        (Reference("item_id", (("items", "item_id"),)),
         Reference("producer_id", (("enterprises", "uscc"),), ("producer_type", "enterprise")),
         Reference("producer_id", (("foreign_suppliers", "supplier_id"),), ("producer_type", "foreign")))),
    Table("supply_links", (
        C("supplier_id", "VARCHAR", True, doc="uscc or foreign supplier_id"),
        C("supplier_type", "VARCHAR", True, "enum", ("enterprise", "foreign")),
        C("buyer_uscc", "VARCHAR", True, "uscc"),
        C("item_id", "VARCHAR", True),
        C("year", "INTEGER", True, "year"),
        C("value", "DOUBLE", True, "nonneg", doc=f"purchase value in the year, {_money}"),
        C("basis", "VARCHAR", True, "enum", ("observed", "inferred")),
        C("confidence", "DOUBLE", False, "share", doc="1 for observed links"),
        C("source", "VARCHAR"),
    ), ("supplier_id", "buyer_uscc", "item_id", "year"), "Who buys what from whom.",
        (Reference("buyer_uscc", (("enterprises", "uscc"),)), Reference("item_id", (("items", "item_id"),)),
         Reference("supplier_id", (("enterprises", "uscc"),), ("supplier_type", "enterprise")),
         Reference("supplier_id", (("foreign_suppliers", "supplier_id"),), ("supplier_type", "foreign")))),
    Table("institutions", (
        C("institution_id", "VARCHAR", True),
        C("name", "VARCHAR", True),
        C("name_en", "VARCHAR"),
        C("kind", "VARCHAR", True, "enum", ("university", "institute", "lab", "platform")),
        C("province_code", "VARCHAR", False, "division"),
        C("level", "VARCHAR", False, "enum", ("national", "provincial", "city")),
    ), ("institution_id",), "Universities, research institutes, labs and platforms."),
    Table("institution_fields", (
        C("institution_id", "VARCHAR", True),
        C("field", "VARCHAR", True, doc="item_id or technology keyword"),
        C("strength", "DOUBLE", False, "share"),
    ), ("institution_id", "field"), "Research fields of institutions.",
        (Reference("institution_id", (("institutions", "institution_id"),)),)),
    Table("collaborations", (
        C("collab_id", "VARCHAR", True, doc="identifier of the joint project, co-authored patent/paper or contract"),
        C("uscc", "VARCHAR", True, "uscc", doc="the enterprise partner"),
        C("institution_id", "VARCHAR", True, doc="the university, institute, lab or platform partner"),
        C("kind", "VARCHAR", True, "enum", ("joint_project", "patent", "paper", "contract")),
        C("item_id", "VARCHAR", doc="chain item worked on (items.item_id), optional"),
        C("field", "VARCHAR", doc="research field: an item_id or a technology keyword (as institution_fields)"),
        C("year", "INTEGER", True, "year", doc="year the collaboration started (patents/papers: filing/publication)"),
        C("value", "DOUBLE", False, "nonneg", doc=f"contract or project value, {_money}"),
        C("led_by", "VARCHAR", False, "enum", ("enterprise", "institution"), doc="which partner leads"),
    ), ("collab_id",), "Enterprise-institution collaborations: one row per enterprise-institution pair.",
        (Reference("uscc", (("enterprises", "uscc"),)),
         Reference("institution_id", (("institutions", "institution_id"),)),
         Reference("item_id", (("items", "item_id"),)))),
    Table("personnel_moves", (
        C("move_id", "VARCHAR", True),
        C("person_key", "VARCHAR", True, "sha256", doc="SHA-256 of the person's identifier, 64 lowercase hex "
          "characters (never a name or ID number)"),
        C("from_type", "VARCHAR", True, "enum", ("university", "institute", "state_enterprise", "private_enterprise", "platform"), doc="organisation type left (or lent from)"),
        C("from_id", "VARCHAR", doc="uscc or institution_id/platform_id of the organisation left, optional"),
        C("to_type", "VARCHAR", True, "enum", ("university", "institute", "state_enterprise", "private_enterprise", "platform"), doc="organisation type joined"),
        C("to_id", "VARCHAR", doc="uscc or institution_id/platform_id joined, optional"),
        C("field", "VARCHAR", doc="research field: an item_id or a technology keyword"),
        C("year", "INTEGER", True, "year"),
        C("kind", "VARCHAR", True, "enum", ("full_move", "secondment", "part_time", "dual_appointment")),
    ), ("move_id",), "Moves of R&D people between organisations (inside the system: university, institute, "
       "state_enterprise, platform; outside: private_enterprise)."),
    Table("platforms", (
        C("platform_id", "VARCHAR", True),
        C("name", "VARCHAR", True),
        C("name_en", "VARCHAR"),
        C("kind", "VARCHAR", True, "enum", ("generic_technology", "pilot_scale", "testing", "innovation_center",
                                           "shared_facility")),
        C("level", "VARCHAR", False, "enum", ("national", "provincial", "city")),
        C("host_id", "VARCHAR", doc="institution_id or uscc of the host"),
        C("host_type", "VARCHAR", False, "enum", ("institution", "enterprise")),
        C("province_code", "VARCHAR", False, "division"),
        C("open_services", "BOOLEAN", doc="services open to outside enterprises"),
        C("founded_year", "INTEGER", False, "year"),
    ), ("platform_id",), "Public R&D platforms.",
        (Reference("host_id", (("institutions", "institution_id"),), ("host_type", "institution")),
         Reference("host_id", (("enterprises", "uscc"),), ("host_type", "enterprise")))),
    Table("platform_fields", (
        C("platform_id", "VARCHAR", True),
        C("field", "VARCHAR", True, doc="an item_id or a technology keyword"),
        C("service", "VARCHAR", True, "enum", ("rd", "testing", "pilot", "data", "training"), doc="service offered in the field"),
    ), ("platform_id", "field", "service"), "Fields and services of platforms (one row per field and service).",
        (Reference("platform_id", (("platforms", "platform_id"),)),)),
    Table("platform_usage", (
        C("platform_id", "VARCHAR", True),
        C("uscc", "VARCHAR", True, "uscc", doc="the enterprise served"),
        C("year", "INTEGER", True, "year"),
        C("field", "VARCHAR", doc="field of the service used, optional"),
        C("uses", "INTEGER", False, "nonneg", doc="service orders in the year"),
        C("value", "DOUBLE", False, "nonneg", doc=f"fees paid, {_money}"),
    ), ("platform_id", "uscc", "year"), "Enterprises served by platforms per year.",
        (Reference("platform_id", (("platforms", "platform_id"),)), Reference("uscc", (("enterprises", "uscc"),)))),
    Table("demands", (
        C("demand_id", "VARCHAR", True),
        C("uscc", "VARCHAR", True, "uscc"),
        C("item_id", "VARCHAR"),
        C("kind", "VARCHAR", False, "enum", ("purchase", "rd", "pre_research"),
          doc="pre_research: a product that does not exist yet, to be developed with suppliers"),
        C("text", "VARCHAR", True),
        C("quantity", "DOUBLE", False, "nonneg"),
        C("year", "INTEGER", False, "year"),
        C("unit", "VARCHAR", doc="unit of quantity, e.g. pcs, set, t, m2"),
        C("value", "DOUBLE", False, "nonneg", doc=f"yearly value of the need, {_money}"),
        C("required_level", "INTEGER", False, "level5", doc="lowest acceptable technology level 1-5"),
        C("deadline", "DATE", doc="date by which supply must start"),
        C("region_code", "VARCHAR", False, "division", doc="preferred supplier province (GB/T 2260)"),
        C("region_only", "BOOLEAN", doc="only suppliers in region_code are acceptable"),
    ), ("demand_id",), "Needs of (mostly downstream) enterprises: parts to buy, problems to solve.",
        (Reference("uscc", (("enterprises", "uscc"),)), Reference("item_id", (("items", "item_id"),)))),
    Table("offers", (
        C("offer_id", "VARCHAR", True),
        C("provider_id", "VARCHAR", True),
        C("provider_type", "VARCHAR", True, "enum", ("enterprise", "institution")),
        C("item_id", "VARCHAR"),
        C("text", "VARCHAR", True),
        C("year", "INTEGER", False, "year"),
        C("capacity", "DOUBLE", False, "nonneg", doc=f"yearly capacity offered, {_money}"),
        C("tech_level", "INTEGER", False, "level5", doc="technology level 1-5 of the offered product"),
        C("lead_time_days", "INTEGER", False, "nonneg", doc="delivery lead time, days"),
        C("price_band", "VARCHAR", False, "enum", ("low", "mid", "high"), doc="price level against the market"),
    ), ("offer_id",), "Offers of products, capacity or research.",
        (Reference("item_id", (("items", "item_id"),)),
         Reference("provider_id", (("enterprises", "uscc"),), ("provider_type", "enterprise")),
         Reference("provider_id", (("institutions", "institution_id"),), ("provider_type", "institution")))),
    Table("experts", (
        C("expert_id", "VARCHAR", True),
        C("name", "VARCHAR", True),
        C("field", "VARCHAR"),
        C("institution_id", "VARCHAR"),
        C("weight", "DOUBLE", False, "nonneg", doc="panel weight (seniority / competence)"),
        C("role", "VARCHAR", False, "enum", ("downstream_user", "key_part_expert", "academic", "government", "finance"),
          doc="panel role; downstream users and key-part/material experts weigh more (appraise/roles.yaml)"),
        C("uscc", "VARCHAR", False, "uscc", doc="the enterprise the expert works for (conflicts of interest)"),
    ), ("expert_id",), "Experts for appraisal panels.",
        (Reference("institution_id", (("institutions", "institution_id"),)),
         Reference("uscc", (("enterprises", "uscc"),)))),
    Table("appraisals", (
        C("appraisal_id", "VARCHAR", True),
        C("uscc", "VARCHAR", False, "uscc"),
        C("kind", "VARCHAR", True, "enum", ("first_set", "first_batch", "first_version", "achievement", "new_product")),
        C("title", "VARCHAR", True),
        C("item_id", "VARCHAR"),
        C("year", "INTEGER", False, "year"),
    ), ("appraisal_id",), "New products and technological achievements under appraisal.",
        (Reference("uscc", (("enterprises", "uscc"),)), Reference("item_id", (("items", "item_id"),)))),
    Table("appraisal_scores", (
        C("appraisal_id", "VARCHAR", True),
        C("expert_id", "VARCHAR", True),
        C("criterion", "VARCHAR", True),
        C("score", "DOUBLE", True, "nonneg", doc="0-100"),
    ), ("appraisal_id", "expert_id", "criterion"), "Expert scores per criterion.",
        (Reference("appraisal_id", (("appraisals", "appraisal_id"),)), Reference("expert_id", (("experts", "expert_id"),)))),
    Table("indicators", (
        C("region_code", "VARCHAR", True, doc="GB/T 2260 code, or CN for the country"),
        C("indicator", "VARCHAR", True, doc="e.g. manufacturing_va_share_gdp, manufacturing_fai_growth"),
        C("year", "INTEGER", True, "year"),
        C("value", "DOUBLE", True),
        C("unit", "VARCHAR", doc="e.g. fraction, percent"),
        C("source", "VARCHAR"),
        C("confidence", "VARCHAR"),
    ), ("region_code", "indicator", "year"), "Macro indicators."),
    Table("io_tables", (
        C("table_id", "VARCHAR", True),
        C("row_code", "VARCHAR", True),
        C("col_code", "VARCHAR", True),
        C("value", "DOUBLE", True),
    ), ("table_id", "row_code", "col_code"), "Input-output tables, long format (row sector -> column sector)."),
    Table("io_sectors", (
        C("table_id", "VARCHAR", True),
        C("code", "VARCHAR", True),
        C("position", "INTEGER", True),
        C("name", "VARCHAR"),
        C("name_zh", "VARCHAR"),
        C("kind", "VARCHAR", False, "enum", ("sector", "final_demand", "value_added", "imports", "total", "satellite", "taxes")),
    ), ("table_id", "code"), "Row/column labels of input-output tables."),
    Table("item_sectors", (
        C("item_id", "VARCHAR", True),
        C("table_id", "VARCHAR", True),
        C("sector_code", "VARCHAR", True),
        C("weight", "DOUBLE", False, "share"),
    ), ("item_id", "table_id", "sector_code"), "Concordance from chain items to IO sectors.",
        (Reference("item_id", (("items", "item_id"),)),)),
    # service tables
    Table("appraisal_judgments", (
        C("appraisal_id", "VARCHAR", True),
        C("expert_id", "VARCHAR", True),
        C("criterion_a", "VARCHAR", True),
        C("criterion_b", "VARCHAR", True),
        C("value", "DOUBLE", True, doc="how much more important a is than b, Saaty scale 1/9-9"),
        C("submitted_at", "TIMESTAMP", doc="UTC"),
    ), ("appraisal_id", "expert_id", "criterion_a", "criterion_b"),
        "AHP pairwise judgments of criteria, one row per expert and pair (submitted through reforge appraise).",
        (Reference("appraisal_id", (("appraisals", "appraisal_id"),)), Reference("expert_id", (("experts", "expert_id"),))),
        service=True),
    Table("projects", (
        C("project_id", "VARCHAR", True, doc="identifier, e.g. P-2021-001"),
        C("title", "VARCHAR", True, doc="title as filed (Chinese)"),
        C("title_en", "VARCHAR", doc="English title, optional"),
        C("lead_uscc", "VARCHAR", True, "uscc", doc="lead enterprise (牵头单位)"),
        C("department", "VARCHAR", doc="responsible department, e.g. 省工业和信息化厅"),
        C("programme", "VARCHAR", doc="programme the project belongs to, e.g. key_core_tech_2021"),
        C("start_on", "DATE", True, doc="start of the project"),
        C("end_on", "DATE", doc="planned end (acceptance); not before start_on"),
        C("status", "VARCHAR", False, "enum", ("planned", "active", "completed", "suspended", "cancelled")),
    ), ("project_id",), "Key-technology tackling projects (攻关项目): who leads, when, under which department.",
        (Reference("lead_uscc", (("enterprises", "uscc"),)),)),
    Table("project_items", (
        C("project_id", "VARCHAR", True),
        C("item_id", "VARCHAR", True, doc="chain item the project targets"),
        C("target_level", "INTEGER", False, "level5", doc="technology level 1-5 the project aims at"),
    ), ("project_id", "item_id"), "Target items of each project (one or more).",
        (Reference("project_id", (("projects", "project_id"),)), Reference("item_id", (("items", "item_id"),)))),
    Table("project_partners", (
        C("project_id", "VARCHAR", True),
        C("partner_id", "VARCHAR", True, doc="uscc of an enterprise or institution_id (universities, institutes, "
                                             "labs, platforms)"),
        C("partner_type", "VARCHAR", True, "enum", ("enterprise", "institution")),
        C("role", "VARCHAR", False, "enum", ("co_developer", "user", "research", "platform", "finance")),
    ), ("project_id", "partner_id"), "Partners of each project besides the lead.",
        (Reference("project_id", (("projects", "project_id"),)),
         Reference("partner_id", (("enterprises", "uscc"),), ("partner_type", "enterprise")),
         Reference("partner_id", (("institutions", "institution_id"),), ("partner_type", "institution")))),
    Table("project_budget", (
        C("project_id", "VARCHAR", True),
        C("source", "VARCHAR", True, "enum", ("central", "provincial", "local", "enterprise", "bank_loan", "other"),
          doc="central / provincial / local government funds, the enterprises' own funds, bank loans, other"),
        C("amount", "DOUBLE", True, "nonneg", doc=f"committed amount over the project, {_money}"),
    ), ("project_id", "source"), "Budget of each project by source of funds.",
        (Reference("project_id", (("projects", "project_id"),)),)),
    Table("project_milestones", (
        C("project_id", "VARCHAR", True),
        C("milestone_id", "VARCHAR", True, doc="e.g. M1"),
        C("title", "VARCHAR", True),
        C("due_on", "DATE", True),
        C("done_on", "DATE", doc="date reached; empty while open"),
        C("status", "VARCHAR", False, "enum", ("open", "done", "delayed", "cancelled"),
          doc="a milestone is overdue on a date when it is not done by then, not cancelled, and due before it"),
    ), ("project_id", "milestone_id"), "Milestones of each project with due dates and status.",
        (Reference("project_id", (("projects", "project_id"),)),)),
    Table("project_outputs", (
        C("project_id", "VARCHAR", True),
        C("output_id", "VARCHAR", True),
        C("kind", "VARCHAR", True, "enum", ("patent", "first_set", "standard", "software_copyright", "paper",
                                            "other")),
        C("title", "VARCHAR"),
        C("year", "INTEGER", False, "year"),
        C("quantity", "INTEGER", False, "nonneg", doc="number of patents, sets... (default 1)"),
        C("appraisal_id", "VARCHAR", doc="appraisal of the output (appraisals.appraisal_id), optional"),
    ), ("project_id", "output_id"), "Outputs of each project: patents, first-set products, standards...",
        (Reference("project_id", (("projects", "project_id"),)),
         Reference("appraisal_id", (("appraisals", "appraisal_id"),)))),
    Table("users", (
        C("username", "VARCHAR", True),
        C("password_hash", "VARCHAR", True),
        C("role", "VARCHAR", True, "enum", ("admin", "analyst", "enterprise")),
        C("uscc", "VARCHAR"),
        C("created_at", "TIMESTAMP", doc="UTC"),
        C("active", "BOOLEAN"),
        C("user_id", "VARCHAR", doc="random UUID; a re-created name gets a new one"),
        C("token_version", "INTEGER", doc="bumped by password/role/region/active changes and revocation; "
                                          "tokens carry the version they were issued under"),
        C("region", "VARCHAR", False, "division", doc="GB/T 2260 code the account is limited to (NULL: all)"),
        C("updated_at", "TIMESTAMP", doc="UTC"),
    ), ("username",), "Accounts.", (Reference("uscc", (("enterprises", "uscc"),)),), service=True),
    Table("api_tokens", (
        C("token_hash", "VARCHAR", True),
        C("username", "VARCHAR", True),
        C("created_at", "TIMESTAMP", doc="UTC"),
        C("expires_at", "TIMESTAMP", doc="UTC"),
        C("label", "VARCHAR"),
        C("user_id", "VARCHAR", doc="users.user_id of the owner when issued"),
        C("token_version", "INTEGER", doc="users.token_version when issued"),
    ), ("token_hash",), "API tokens for scripts (stored hashed).", service=True),
    Table("revoked_tokens", (
        C("jti", "VARCHAR", True, doc="id of a signed-out access token"),
        C("user_id", "VARCHAR"),
        C("expires_at", "TIMESTAMP", True, doc="UTC; the entry may be dropped after this"),
        C("revoked_at", "TIMESTAMP", doc="UTC"),
    ), ("jti",), "Access tokens ended by logout before their expiry.", service=True),
    Table("audit_log", (
        C("id", "BIGINT", True),
        C("logged_at", "TIMESTAMP", True, doc="UTC"),
        C("username", "VARCHAR"),
        C("action", "VARCHAR", True),
        C("target", "VARCHAR"),
        C("rows", "BIGINT"),
        C("detail", "VARCHAR"),
    ), ("id",), "Who did what, when (writes and imports).", service=True),
    Table("policy_runs", (
        C("run_id", "VARCHAR", True, doc="random identifier (12 hex digits)"),
        C("created_at", "TIMESTAMP", True, doc="UTC"),
        C("username", "VARCHAR", doc="who ran the evaluation"),
        C("programme", "VARCHAR", True, doc="designation kind or support_events programme"),
        C("params", "VARCHAR", True, doc="parameters as JSON: programme, outcomes, by, lag, control, bootstrap, seed"),
        C("result", "VARCHAR", True, doc="the evaluation result as JSON (reforge policy evaluate --format json)"),
        C("report", "VARCHAR", doc="the self-contained HTML report, when one was made"),
    ), ("run_id",), "Policy evaluations run on the dashboard or the API (reopened without recomputing).",
        service=True),
    Table("credit_models", (
        C("model_id", "VARCHAR", True, doc="identifier, e.g. credit-2024-20260101T120000"),
        C("created_at", "TIMESTAMP", True),
        C("year", "INTEGER", False, "year", doc="last feature year used for development (outcome year + 1)"),
        C("spec", "VARCHAR", True, doc="fitted scorecard as JSON (bins, points, calibration, grades, overlays)"),
    ), ("model_id",), "Fitted credit scorecards (reforge credit train).", service=True),
    Table("chain_impacts", (
        C("year", "INTEGER", True, "year", doc="year of the supply links"),
        C("firm_id", "VARCHAR", True, doc="supplier: uscc of an enterprise or supplier_id of a foreign supplier"),
        C("loss_threshold", "DOUBLE", True, doc="a buyer is disrupted when more than this share of its "
                                                "purchases of an item is lost (credit uses 0.5)"),
        C("disrupted_count", "BIGINT", True, doc="firms disrupted if this firm alone stopped supplying "
                                                 "(threshold cascade of reforge.chain); 0 when none"),
        C("lost_value", "DOUBLE", doc=f"value of the links out of the firm and the firms it disrupts, {_money}"),
        C("depth", "INTEGER", doc="cascade rounds to the last disrupted firm (0 when none)"),
        C("links_fingerprint", "VARCHAR", True, doc="the year's supply_links when computed: "
                                                    "'<links>:<sum of value in whole cents>'; "
                                                    "a different current value marks the year stale"),
        C("computed_at", "TIMESTAMP", True),
    ), ("year", "firm_id", "loss_threshold"), "Chain disruption impact of every supplier per link year, "
       "derived from supply_links (reforge credit train; the credit feature disruption_impact).", service=True),
    Table("label_history", (
        C("chain_id", "VARCHAR", True),
        C("year", "INTEGER", True, "year", doc="year of the supply links"),
        C("item_id", "VARCHAR", True),
        C("label", "VARCHAR", True, doc="bottleneck label of reforge chain bottlenecks --year (missing, blank, "
                                        "chokepoint, weak, insufficient_data, sound)"),
        C("priority", "DOUBLE", doc="priority 0-100"),
        C("domestic_share", "DOUBLE", doc="fraction 0-1 of purchase value from domestic suppliers"),
        C("import_dependence", "DOUBLE", doc="fraction 0-1"),
        C("top_country", "VARCHAR", doc="largest import country, ISO 3166-1 alpha-2"),
        C("top_country_share", "DOUBLE", doc="fraction 0-1 of imports"),
        C("downstream_reach", "DOUBLE", doc="fraction 0-1 of the chain's end-product value"),
        C("tech_gap", "DOUBLE", doc="frontier level minus best domestic level"),
        C("domestic_producers", "BIGINT"),
        C("reason_codes", "VARCHAR", doc="JSON list of {code, params}"),
        C("inputs_fingerprint", "VARCHAR", True, doc="the year's inputs when computed (supply links, "
                                                     "capabilities, template, thresholds); a different "
                                                     "current value marks the year stale"),
        C("computed_at", "TIMESTAMP", True),
    ), ("chain_id", "year", "item_id"), "Bottleneck labels of every chain item per link year, stored once per "
       "data change (reforge loop history).", service=True),
    Table("match_docs", (
        C("mode", "VARCHAR", True, doc="text mode of the tokens (words, ngrams, both, chars)"),
        C("kind", "VARCHAR", True, doc="demand (demands.text), offer (offers.text) or firm (enterprises.main_product)"),
        C("doc_id", "VARCHAR", True, doc="demand_id, offer_id or uscc"),
        C("digest", "VARCHAR", True, doc="md5 (hex) of the text the stored tokens come from; a different "
                                         "current text marks the document stale"),
    ), ("mode", "kind", "doc_id"), "Documents of the stored text index (reforge match index).", service=True),
    Table("match_terms", (
        C("mode", "VARCHAR", True),
        C("kind", "VARCHAR", True),
        C("doc_id", "VARCHAR", True),
        C("term", "VARCHAR", True, doc="a token of reforge.match.text (word, #bigram, Latin word)"),
        C("tf", "INTEGER", True, doc="occurrences of the term in the text"),
    ), ("mode", "kind", "doc_id", "term"), "Token counts of the stored text index, derived from the texts "
       "of demands, offers and main products (reforge match index).", service=True, enforce_key=False),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
DATA_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if not t.service)


def get_table(name: str) -> Table:
    """The table definition, or a ValueError naming the known tables."""
    try:
        return TABLE_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; known: {', '.join(DATA_TABLES)}") from None


