"""Every dashboard label exists in English and Chinese, and templates use only known keys."""

from __future__ import annotations

import re
from pathlib import Path

from reforge.web import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates"
CJK = re.compile(r"[\u4e00-\u9fff]")
# keys that are the same in both languages on purpose (acronyms, the language switch shows the other one)
SAME_OK = {"col.auc", "col.ks", "col.pd"}


def test_every_key_has_both_languages():
    for key, (en, zh) in i18n.MESSAGES.items():
        assert en.strip() and zh.strip(), key
        if key not in SAME_OK and key != "nav.language":
            assert CJK.search(zh), f"{key}: Chinese label {zh!r} has no Chinese characters"
            assert not CJK.search(en) or key.startswith("app."), f"{key}: English label {en!r} has Chinese"


def test_language_switch_names_the_other_language():
    assert i18n.t("nav.language", "en") == "中文"
    assert i18n.t("nav.language", "zh") == "English"


def test_templates_use_only_known_keys():
    used: set[str] = set()
    for f in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+\.[a-z_.-]+)['"]""", f.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.MESSAGES)
    assert not missing, missing
    assert len(used) > 100


def test_dynamic_prefixes_cover_the_data_model_enums():
    from reforge.schema.tables import CREDIT_KINDS, DESIGNATION_KINDS, FOUNDATIONS
    for kind in DESIGNATION_KINDS:
        assert f"tier.{kind}" in i18n.MESSAGES, kind
    for kind in CREDIT_KINDS:
        assert f"ck.{kind}" in i18n.MESSAGES, kind
    for f in FOUNDATIONS:
        assert f"foundation.{f}" in i18n.MESSAGES, f
    from reforge.schema.tables import DATA_TABLES
    for t in DATA_TABLES:
        assert f"tbl.{t}" in i18n.MESSAGES, t
    for s in ("upstream", "midstream", "downstream"):
        assert f"segment.{s}" in i18n.MESSAGES


def test_t_formats_and_falls_back():
    assert i18n.t("data.ok", "zh", rows=3) == "已导入 3 行。"
    assert i18n.t("data.ok", "en", rows=3) == "Imported 3 rows."
    assert i18n.t("no.such.key", "zh") == "no.such.key"
    assert i18n.t_or("label.nothing", "zh", "x") == "x"


def test_name_of_picks_the_language():
    chain = {"name": "Industrial robot", "name_zh": "工业机器人"}
    firm = {"name": "苏州机器人有限公司", "name_en": "Suzhou Robot Co."}
    assert i18n.name_of(chain, "zh") == "工业机器人" and i18n.name_of(chain, "en") == "Industrial robot"
    assert i18n.name_of(firm, "zh") == "苏州机器人有限公司" and i18n.name_of(firm, "en") == "Suzhou Robot Co."
    assert i18n.name_of({"name": "无英文名公司", "name_en": None}, "en") == "无英文名公司"
    assert i18n.name_of({"item_name": "Reducer", "item_name_zh": "减速器"}, "zh", "item_name") == "减速器"
