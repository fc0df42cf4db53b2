"""Names of the screening conditions in English and Chinese, and which of them are shares or
money (for formatting). Pure data, shared by the screening reasons (``firms.screen``) and the
dashboard (``web.names``)."""

from __future__ import annotations

# condition id -> (English, Chinese) name of the measured quantity
CONDITIONS: dict[str, tuple[str, str]] = {
    "main_share": ("main-business share", "主营业务收入占比"),
    "debt_ratio": ("debt ratio", "资产负债率"),
    "revenue": ("revenue", "营业收入"),
    "revenue_growth": ("2-year revenue growth", "近2年营业收入复合增长率"),
    "mb_growth": ("main-business growth", "主营业务收入增长率"),
    "rd_sum": ("R&D expense over 2 years", "近2年研发费用总额"),
    "rd_amount": ("R&D expense (each of 2 years)", "近2年每年研发费用"),
    "rd_intensity": ("R&D intensity (each of 2 years)", "近2年研发费用占营业收入比重"),
    "rd_small": ("R&D (small firms)", "研发投入（小型企业）"),
    "rd_mid": ("R&D (medium firms)", "研发投入（中型企业）"),
    "rd_large": ("R&D (large firms)", "研发投入（大型企业）"),
    "new_equity_2y": ("new equity in 2 years", "近2年新增股权融资"),
    "mbr_avg3": ("main-business revenue, 3-year average", "近3年主营业务收入平均值"),
    "class1_ip": ("Class I IP", "I类知识产权"),
    "ip": ("IP", "知识产权"),
    "niche_years": ("years in the niche", "从事细分领域年限"),
    "score": ("platform score", "评价得分"),
    "score.innovation": ("innovation score", "创新能力得分"),
    "score.growth": ("growth score", "成长性得分"),
    "score.specialisation": ("specialisation score", "专业化程度得分"),
    "market_position": ("market position", "市场地位"),
    "niche_share": ("national niche market share", "细分市场全国占有率"),
    "own_brand": ("own brand", "自主品牌"),
    "field": ("main-product field", "主导产品所属领域"),
    "product": ("main product in the six foundations or a key field", "主导产品属于“六基”或重点领域"),
    "chain": ("at a key chain link", "位于产业链关键环节"),
    "provincial": ("provincial indicators", "省级特色指标"),
    "digital_level": ("digitalisation level", "数字化水平"),
    "info_system": ("information system on a core process", "核心业务采用信息系统"),
    "mgmt_certified": ("management-system or product certification", "管理体系或产品认证"),
    "quality": ("quality management", "质量管理"),
    "net_margin": ("net profit margin", "净利润率"),
    "rd_input": ("R&D input, last year", "上年度研发投入"),
    "rd_staff": ("R&D staff share", "研发人员占比"),
    "rd_institution": ("R&D institution", "研发机构"),
    "global_rank": ("global market rank", "全球市场占有率排名"),
    "strategic_emerging": ("strategic emerging industry", "战略性新兴产业"),
    "srdi_status": ("valid SRDI SME status", "有效的专精特新中小企业资格"),
    "prior_status": ("valid innovative SME status", "有效的创新型中小企业资格"),
    "not_single_champion": ("not a current Single Champion", "非现有制造业单项冠军"),
    "veto": ("veto", "否决项"),
    "veto.abnormal_operation": ("on the abnormal-operations list", "列入经营异常名录"),
    "veto.serious_dishonesty": ("on the serious-dishonesty list", "列入严重失信主体名单"),
    "veto.major_incident": ("major incident in the last 3 years", "近3年发生重大安全、质量或环境事故"),
    "veto.tax_evasion": ("tax evasion in the last 3 years", "近3年有偷漏税行为"),
    "veto.data_fraud": ("data fraud", "数据造假"),
}
PERCENT = {"main_share", "debt_ratio", "revenue_growth", "mb_growth", "rd_intensity", "niche_share"}
MONEY = {"revenue", "rd_sum", "rd_amount", "new_equity_2y", "rd_small", "rd_mid", "rd_large", "mbr_avg3"}
NOT_MET = ("not met", "不满足")


def condition_name(condition: str, lang: str = "en") -> str:
    """The name of a condition id (``veto.x``, ``block.metric`` and plain ids) in ``lang``;
    an unknown id reads as its words."""
    i = 1 if lang == "zh" else 0
    if condition in CONDITIONS:
        return CONDITIONS[condition][i]
    base, _, metric = condition.partition(".")
    if metric in CONDITIONS:
        return CONDITIONS[metric][i]
    if base in CONDITIONS:
        return CONDITIONS[base][i]
    return condition.replace("_", " ").replace(".", ": ")
