"""The dashboard glossary: the terms an analyst meets on the pages, in English and Chinese.

``TERMS`` maps a term id to ``(term_en, term_zh, definition_en, definition_zh)``; ``TOOLTIPS``
says which table column or label a term explains (shown as a ``title`` tooltip and linked to the
glossary entry). Definitions follow the code they describe (``chain/thresholds.yaml``,
``chain/metrics.py``, ``credit``, ``policy``, the designation rules).
"""

from __future__ import annotations

TERMS: dict[str, tuple[str, str, str, str]] = {
    "hhi": ("HHI (Herfindahl-Hirschman index)", "HHI（赫芬达尔-赫希曼指数）",
            "Concentration of supply: the sum of squared shares (0-1) of the suppliers or supplier countries "
            "of an item. 1 means a single source; values near 0 mean many small sources.",
            "供应集中度：某产品各供应商（或来源国）份额（0-1）的平方和。1 表示唯一来源，接近 0 表示来源众多且分散。"),
    "reach": ("Downstream reach", "下游影响范围",
              "Share (0-1) of the chain's end-product value that needs the item, following the chain template's "
              "input-output links.",
              "沿产业链模板的投入产出关系，需要该产品的终端产品价值占全链终端产品价值的比例（0-1）。"),
    "priority": ("Priority", "优先级",
                 "0-100 ranking of bottleneck items: 100 × (0.25 + 0.75 × downstream reach) × (label weight + "
                 "0.1 × import dependence) / 1.1. Label weights: missing and blank 1.0, chokepoint 0.9, weak 0.6.",
                 "瓶颈产品排序分（0-100）：100 ×（0.25 + 0.75 × 下游影响范围）×（标签权重 + 0.1 × 进口依赖度）/ 1.1。"
                 "标签权重：缺失、空白 1.0，卡脖子 0.9，薄弱 0.6。"),
    "chokepoint": ("Chokepoint", "卡脖子环节",
                   "An item with import dependence ≥ 50 %, one foreign country supplying ≥ 50 % of the imports, and "
                   "downstream reach ≥ 0.2 (thresholds in chain/thresholds.yaml).",
                   "进口依赖度 ≥ 50%、单一来源国占进口 ≥ 50%、且下游影响范围 ≥ 0.2 的产品（阈值见 chain/thresholds.yaml）。"),
    "blank": ("Blank / weak / missing / insufficient data", "空白 / 薄弱 / 缺失 / 数据不足",
              "Blank: no domestic producer of an item the chain needs. Weak: domestic producers exist but their "
              "share is < 30 % or they are ≥ 2 technology levels behind the frontier. Missing: no producer at "
              "all in the data (neither domestic nor foreign). Insufficient data: would be sound, but an input "
              "(technology level, purchases) is unknown.",
              "空白：国内没有企业生产链上需要的产品。薄弱：有国内生产企业，但国内份额 < 30% 或技术水平落后前沿 ≥ 2 级。"
              "缺失：数据中既无国内也无国外生产企业。数据不足：本应为自主可控，但缺少技术水平或采购等输入。"),
    "pd": ("PD (probability of default)", "PD（违约概率）",
           "The credit model's estimated probability (0-1) that the firm defaults within the next year; grades "
           "AAA-C are bands of PD. Reason points are relative to the best bin of each scorecard variable.",
           "信用模型估计的企业未来一年违约概率（0-1）；AAA-C 等级按违约概率分档。原因中的分值是相对于该评分卡变量最优分箱的差距。"),
    "att": ("ATT (average treatment effect on the treated)", "ATT（处理组平均处理效应）",
            "The policy evaluation's estimate of how much a programme changed the outcome of the firms that "
            "received it, compared with similar firms that did not yet receive it (staggered difference-in-"
            "differences), in the outcome's unit, with a standard error.",
            "政策评估估计的项目效应：获得支持的企业的结果变量相对于尚未获得支持的相似企业的变化（交错双重差分）；"
            "以结果变量的单位给出，并附标准误。"),
    "srdi": ("SRDI SME (专精特新中小企业)", "专精特新中小企业",
             "Specialised, refined, distinctive and innovative SME: a provincial designation that requires a valid "
             "innovative SME status and thresholds on niche years, revenue, main-business share, debt ratio and R&D.",
             "专业化、精细化、特色化、新颖化的中小企业：省级认定，要求具备有效的创新型中小企业资格，并满足细分领域年限、"
             "营业收入、主营业务占比、资产负债率和研发等门槛。"),
    "little_giant": ("Little Giant (专精特新“小巨人”)", "专精特新“小巨人”企业",
                     "The national tier above SRDI SMEs (MIIT): a valid SRDI status plus higher thresholds (e.g. "
                     "main business ≥ 90 % of revenue, R&D over 2 years ≥ 12m CNY, revenue ≥ 50m CNY) and a "
                     "platform score. Counts use designations valid at the date shown.",
                     "工业和信息化部认定的专精特新中小企业的上一梯度：需有效的专精特新资格并满足更高门槛（如主营业务收入占比 ≥ 90%、"
                     "近 2 年研发费用 ≥ 1,200 万元、营业收入 ≥ 5,000 万元）和评价得分。统计按所示日期有效的认定计数。"),
    "innovative_sme": ("Innovative SME (创新型中小企业)", "创新型中小企业",
                       "The entry tier of the gradient: a points score on innovation, growth and specialisation "
                       "(≥ 60 with minimum block scores) or a direct route.",
                       "梯度培育的第一层：创新能力、成长性、专业化程度评分（≥ 60 分且各项不低于最低分）或直通条件。"),
    "near_miss": ("Near-miss", "接近达标",
                  "A firm that fails exactly one condition of a tier and no veto: the closest candidates for support.",
                  "某一梯度仅有一项条件未达标、且无否决项的企业：最接近认定条件、最值得培育的对象。"),
    "linkage": ("Backward / forward linkage", "后向 / 前向关联",
                "From the input-output table: how strongly a sector pulls its suppliers (backward) or feeds its "
                "users (forward), relative to the average sector (1). Key sectors have both above 1.",
                "基于投入产出表：某部门对上游供应部门的拉动（后向）或对下游使用部门的推动（前向）相对于平均水平（1）的强度。"
                "两者均大于 1 的为关键部门。"),
    "uscc": ("USCC", "统一社会信用代码",
             "The 18-character unified social credit code (GB 32100-2015) that identifies a firm.",
             "标识企业的 18 位统一社会信用代码（GB 32100-2015）。"),
}

# column key or label -> term id (tooltips on table headers and labels)
TOOLTIPS: dict[str, str] = {
    "supplier_hhi": "hhi", "foreign_country_hhi": "hhi", "downstream_reach": "reach", "mean_reach": "reach",
    "priority": "priority", "pd": "pd", "chokepoint": "chokepoint", "blank": "blank", "weak": "blank",
    "missing": "blank", "insufficient_data": "blank", "att": "att", "srdi_sme": "srdi", "little_giant": "little_giant",
    "innovative_sme": "innovative_sme", "near_misses": "near_miss", "backward_linkage": "linkage",
    "forward_linkage": "linkage", "uscc": "uscc",
}


def entries(lang: str) -> list[dict[str, str]]:
    """``[{id, term, definition}]`` in ``lang``, in the order above."""
    zh = lang == "zh"
    return [{"id": k, "term": v[1] if zh else v[0], "definition": v[3] if zh else v[2]} for k, v in TERMS.items()]


def tooltip(key: str, lang: str) -> str:
    """The definition a column or label ``key`` links to ("" when none)."""
    term = TOOLTIPS.get(key)
    if term is None:
        return ""
    v = TERMS[term]
    return v[3] if lang == "zh" else v[2]
