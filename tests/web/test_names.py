"""Names instead of codes (``reforge.web.names``) and server-side table order (``reforge.web.tables``).

Expected values are written out by hand or read from the shipped code lists with ``csv``.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import openpyxl
import pytest

from reforge.web import names, tables


def test_failed_conditions_in_words_both_languages():
    f = {"condition": "main_share", "value": 0.8612, "threshold": 0.9, "gap": 0.0388}
    assert names.condition_text(f, "en") == "main-business share 86.1% < 90%"
    assert names.condition_text(f, "zh") == "主营业务收入占比 86.1% < 90%"
    d = {"condition": "debt_ratio", "value": 0.8012, "threshold": 0.75}
    assert names.condition_text(d, "en") == "debt ratio 80.1% > 75%"  # a failed "at most"
    m = {"condition": "rd_small.new_equity_2y", "value": 0, "threshold": 80_000_000}
    assert names.condition_text(m, "zh") == "近2年新增股权融资 0元 < 8,000万元"
    assert names.condition_text(m, "en") == "new equity in 2 years 0 CNY < 80,000,000 CNY"
    b = {"condition": "not_single_champion", "value": 1.0, "threshold": False}
    assert names.condition_text(b, "en") == "not a current Single Champion: not met"
    assert names.condition_text({"condition": "veto.serious_dishonesty", "value": "listed",
                                 "threshold": "not listed"}, "zh") == "列入严重失信主体名单"
    n = {"condition": "niche_share", "value": 0.0607, "threshold": 0.1}   # the 2022 review standard
    assert names.condition_text(n, "zh") == "细分市场全国占有率 6.1% < 10%"
    assert names.condition_text(n, "en") == "national niche market share 6.1% < 10%"


def test_every_condition_of_the_rule_files_has_a_chinese_name():
    """Each condition id of ``firms/rules/*.yaml`` (a failed one is listed on the tiers and profile
    pages) has a Chinese name, not its id's words."""
    import yaml

    from reforge.firms.condition_names import condition_name
    ids: set[str] = set()

    def walk(o: object) -> None:
        if isinstance(o, dict):
            if "id" in o and "label" in o:
                ids.add(str(o["id"]))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    for f in resources.files("reforge.firms").joinpath("rules").iterdir():
        if f.name.endswith(".yaml"):
            walk(yaml.safe_load(f.read_text(encoding="utf-8")))
    assert len(ids) > 30
    vetoes = {"abnormal_operation", "serious_dishonesty", "major_incident", "tax_evasion", "data_fraud"}
    names_zh = {i: condition_name(f"veto.{i}" if i in vetoes else i, "zh") for i in ids}
    assert not {i: n for i, n in names_zh.items() if n.isascii()}


@pytest.mark.parametrize("text", ["江苏", "江苏省", "Jiangsu", "jiangsu", " JIANGSU ", "320000"])
def test_province_by_name_or_code(text):
    assert names.resolve_province(text) == "320000"


def test_province_names_resolve_for_every_province_in_the_code_list():
    with resources.files("reforge.ingest").joinpath("codes", "gbt2260_divisions_2024.csv").open(encoding="utf-8") as f:
        provs = {r["code"]: r["name"] for r in csv.DictReader(f) if r["level"] == "province"}
    assert len(provs) == 34
    for code, name in provs.items():
        assert names.resolve_province(name) == code
        assert names.region_name(code, "zh") == name
        assert names.resolve_province(names.region_name(code, "en")) == code
    assert names.resolve_province("广西") == "450000" and names.resolve_province("Inner Mongolia") == "150000"
    assert names.resolve_province("Atlantis") is None and names.resolve_province("") is None


def test_industry_and_country_names():
    assert names.industry_name("3974", "zh") == "显示器件制造"
    assert names.industry_name("3974", "en") == "Manufacturing: 显示器件制造"
    assert names.country("JP", "zh") == "日本" and names.country("DE", "en") == "Germany"


def test_sort_and_page_keep_missing_last_and_true_total():
    rows = [{"uscc": f"U{i:02d}", "score": (None if i % 7 == 0 else i % 5)} for i in range(60)]
    tp = tables.page_of(rows, "candidates", {"sort": "score", "dir": "asc", "page": "3"}, "en")
    assert tp["total"] == 60 and tp["pages"] == 3 and len(tp["rows"]) == 10
    got = [r["score"] for r in tp["all"]]
    have = [s for s in got if s is not None]
    assert have == sorted(have) and got[len(have):] == [None] * (60 - len(have))
    # ties broken by USCC, so paging is stable
    zeros = [r["uscc"] for r in tp["all"] if r["score"] == 0]
    assert zeros == sorted(zeros)
    assert tables.page_of(rows, "candidates", {"page": "999"}, "en")["page"] == 3  # clamped
    assert tables.page_of(rows, "candidates", {"page": "-1", "sort": "evil;drop"}, "en")["sort"] == "score"


def test_download_headers_in_language_and_formula_cells_neutralised():
    rows = [{"uscc": "91320000000000000X", "name": "=HYPERLINK(\"x\")", "grade": "A", "score": 600, "pd": 0.01,
             "reasons": ["r"], "overlays": []}]
    resp = tables.download("credit", rows, "zh", "xlsx", "credit")
    ws = openpyxl.load_workbook(io.BytesIO(resp.body)).active
    vals = list(ws.iter_rows(values_only=True))
    assert vals[0][:3] == ("统一社会信用代码", "企业", "等级")
    assert vals[1][1] == "'=HYPERLINK(\"x\")" and vals[1][3] == 600
    csv_resp = tables.download("credit", rows, "en", "csv", "credit")
    lines = list(csv.reader(io.StringIO(csv_resp.body.decode("utf-8-sig"))))
    assert lines[0][:3] == ["USCC", "Enterprise", "Grade"] and len(lines) == 2


def test_industry_by_name_or_code():
    with resources.files("reforge.ingest").joinpath("codes", "gbt4754_2017_industry.csv").open(encoding="utf-8") as f:
        table = {r["code"]: r["name"] for r in csv.DictReader(f)}
    assert names.resolve_industry("3974") == "3974" and names.resolve_industry("39") == "39"
    assert names.resolve_industry(table["3974"]) == "3974"  # 显示器件制造
    # a name used at several levels resolves to the highest level (division before group/class)
    div = next(c for c, n in table.items() if len(c) == 2 and n == "计算机、通信和其他电子设备制造业")
    assert names.resolve_industry("计算机、通信和其他电子设备制造业") == div == "39"
    assert names.resolve_industry("制造") == "C"  # 制造业, the one section containing the text
    assert names.resolve_industry("没有这种行业") is None and names.resolve_industry("设备制造") is None  # none / several


def test_unknown_and_large_values_never_in_exponent_notation():
    f = {"condition": "mbr_avg3", "value": 28_175_236.0, "threshold": 400_000_000}
    assert names.condition_text(f, "zh") == "近3年主营业务收入平均值 2,817.52万元 < 4亿元"
    g = {"condition": "some_new_rule", "value": 28_175_236.4, "threshold": 4e8}
    assert names.condition_text(g, "en") == "some new rule 28,175,236 < 400,000,000"
