"""Errors with codes, message catalogs (en/zh via Babel) and locale formatting."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from reforge import errors
from reforge.messages import LANGS, Message, catalog, render, resolve_lang
from reforge.messages.numbers import big_number, country_name, decimal, percent

SRC = Path(__file__).resolve().parents[1] / "src" / "reforge"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_catalogs_hold_the_same_codes_with_the_same_placeholders():
    en, zh = catalog("en"), catalog("zh")
    assert len(en) > 50
    assert set(en) == set(zh)
    for code in en:
        assert _fields(en[code]) == _fields(zh[code]), code
        # same in both languages on purpose: acronyms, and the switch that names the other language
        assert re.search(r"[\u4e00-\u9fff]", zh[code]) or code.startswith("policy.col.") or \
            code in {"col.auc", "col.ks", "col.pd", "nav.language"}, f"{code} has no Chinese text"


@pytest.mark.parametrize("lang", LANGS)
def test_no_code_is_defined_twice_in_a_catalog(lang):
    """A duplicate msgid silently keeps one of two texts (two pages once shared 'loop.page.none'
    with different meanings: the projects tables said "no buyers of this chain's items")."""
    ids = [i for domain in ("reforge", "web") for i in re.findall(
        r'^msgid "(.+)"$', (SRC / "messages" / "locale" / lang / "LC_MESSAGES" / f"{domain}.po")
        .read_text(encoding="utf-8"), re.M)]  # across both files: one catalog
    assert not sorted({i for i in ids if ids.count(i) > 1})


def test_every_code_the_source_uses_is_in_the_catalogs():
    used: set[str] = set()
    pat = re.compile(r"""(?:\bMessage|\brender|\bt|\bhas|code=)\(?\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
    for p in SRC.rglob("*.py"):
        used |= set(pat.findall(p.read_text(encoding="utf-8")))
    for cls in (errors.ReforgeError, errors.InvalidInput, errors.DataMissing, errors.NotFound,
                errors.Forbidden, errors.EngineFailure):
        used.add(cls.default_code)
    used.add("engine.query_failed")
    assert {"policy.report.title", "policy.note.not_estimable", "sql.bad_identifier"} <= used
    for lang in LANGS:
        missing = sorted(c for c in used if c not in catalog(lang) and not c.startswith(("reforge.", "web.")))
        assert missing == [], f"{lang} lacks {missing}"


def test_render_formats_numbers_by_locale():
    assert big_number(123_456_789, "zh") == "1.23亿"
    assert big_number(56_789, "zh") == "5.68万"
    assert big_number(-250_000_000, "zh") == "-2.50亿"
    assert big_number(9_999, "zh") == "9,999"
    assert big_number(123_456_789, "en") == "123,456,789"
    assert percent(0.1234, 1, "zh") == "12.3%" and percent(0.5, 0, "en") == "50%"
    assert decimal(-1234.5, 2, "en") == "-1,234.50"
    assert render("policy.report.pretest.result", {"stat": 7.3281, "df": 3, "p": 0.06214}, "zh") == \
        "统计量 7.328，自由度 3，p = 0.0621。"
    assert render("policy.note.dropped_missing", {"n": 1234567}, "en") == "dropped 1,234,567 rows with missing values"
    assert render("policy.report.notes", {"notes": ["a", "b"]}, "zh") == "说明：a、b"
    assert render("policy.report.title", {"programme": None}, "zh") == "政策项目评估：无"


def test_numbers_equal_babels_own_formatting():
    """``decimal`` / ``percent`` / ``integer`` parse Babel's pattern and locale once; the text is
    Babel's ``format_decimal`` / ``format_percent`` for the same pattern, in both languages."""
    import random

    from babel.numbers import format_decimal, format_percent

    from reforge.messages.numbers import BABEL_LOCALE, integer
    rnd = random.Random(5)
    values = [0, -0.0, 1, -1, 0.5, 2.675, 1.005, -98765.4321, 123456789.987, 1e12, 10**20, float("nan"),
              float("inf"), *(rnd.uniform(-1e9, 1e9) for _ in range(300))]
    for lang, loc in BABEL_LOCALE.items():
        for v in values:
            for d in (0, 1, 2, 4):
                assert decimal(v, d, lang) == format_decimal(v, format="#,##0" + ("." + "0" * d if d else ""), locale=loc)
                assert decimal(v, d, lang, group=False) == format_decimal(v, format="0" + ("." + "0" * d if d else ""),
                                                                          locale=loc)
                assert percent(v, d, lang) == format_percent(v, format="#,##0" + ("." + "0" * d if d else "") + "%",
                                                             locale=loc)
            if abs(v) < float("inf"):
                assert integer(int(v), lang) == format_decimal(int(v), format="#,##0", locale=loc)


def test_country_names_come_from_cldr_in_both_languages():
    assert country_name("JP", "en") == "Japan" and country_name("JP", "zh") == "日本"
    assert country_name("de", "zh") == "德国" and country_name("US", "en") == "United States"
    assert country_name("XX", "zh") == "XX"


def test_language_resolution(monkeypatch):
    monkeypatch.delenv("REFORGE_LANG", raising=False)
    assert resolve_lang() == "en"
    assert resolve_lang("zh-CN") == "zh" and resolve_lang("zh_Hans") == "zh" and resolve_lang("EN-gb") == "en"
    monkeypatch.setenv("REFORGE_LANG", "zh")
    assert resolve_lang() == "zh"
    assert render("common.yes") == "是"
    with pytest.raises(errors.InvalidInput) as ei:
        resolve_lang("fr")
    assert ei.value.code == "lang.unknown" and ei.value.params["lang"] == "fr"
    assert render(ei.value.code, ei.value.params, "zh") == "未知语言 fr；可用：en、zh"


def test_unknown_codes_and_missing_params_never_raise():
    assert render("no.such.code", {}, "zh") == "no.such.code"
    assert render("policy.report.outcome", {}, "zh") == "结果指标：{outcome}"


def test_message_is_a_string_with_a_code():
    m = Message("policy.note.dropped_unbalanced", {"n": 3}, "dropped 3 units not observed in every period "
                "(balanced panel)")
    assert m == "dropped 3 units not observed in every period (balanced panel)"
    assert json.dumps({"notes": [m]}) == json.dumps({"notes": [str(m)]})
    assert m.render("zh") == "已删除 3 个并非每期都有观测的单位（平衡面板）"
    assert m.to_dict() == {"code": "policy.note.dropped_unbalanced", "params": {"n": 3}, "text": str(m)}
    assert Message("policy.note.too_few_firms") == "too few firms"  # English from the catalog


def test_error_hierarchy_keeps_messages_and_adds_codes():
    e = errors.ReforgeError("plain text")
    assert str(e) == "plain text" and e.code == "error" and e.params == {}
    nf = errors.NotFound("firm 123 not found", code="firm.not_found", params={"uscc": "123"})
    assert isinstance(nf, errors.ReforgeError) and str(nf) == "firm 123 not found"
    assert nf.to_dict() == {"code": "firm.not_found", "params": {"uscc": "123"}, "message": "firm 123 not found"}
    assert errors.InvalidInput("x").code == "input.invalid"
    assert errors.DataMissing("x").code == "data.missing"
    assert errors.Forbidden("x").code == "forbidden"
    from reforge.engine.base import EngineError, QueryError
    assert issubclass(EngineError, errors.EngineFailure) and issubclass(EngineError, RuntimeError)
    assert EngineError("locked").code == "engine.failure" and QueryError("x").code == "engine.query_failed"
    for cls in (errors.ReforgeError, errors.InvalidInput, errors.DataMissing, errors.NotFound, errors.Forbidden,
                errors.EngineFailure):
        assert render(cls.default_code, {}, "zh") != cls.default_code
