"""Every dashboard label exists in English and Chinese (``web.po``), and every code the
templates (Jinja2 i18n ``_()``) and the web code (``t()``) use is in both catalogs: found with
Babel's own extractors driven by the repository's ``babel.cfg``, as ``pybabel extract`` would."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from reforge.messages import LOCALE_DIR, catalog
from reforge.web import i18n

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
# keys that are the same in both languages on purpose (acronyms, the language switch shows the other one)
SAME_OK = {"col.auc", "col.ks", "col.pd"}


def _web_po(lang: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "web.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def _extracted(keywords: dict) -> dict[str, set[str]]:
    """Codes found by Babel's extractors per kind of file (templates / python), per babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    out: dict[str, set[str]] = {"templates": set(), "python": set()}
    for fname, _line, msg, _comments, _ctx in extract_from_dir(str(ROOT), method_map, options_map,
                                                               keywords=keywords):
        if not (isinstance(msg, str) and re.fullmatch(r"[a-z_]+(\.[a-z0-9_-]+)+", msg)):
            continue  # a computed code (``t(key)``), checked by the enum-prefix test below
        if fname.endswith(".html"):
            out["templates"].add(msg)
        elif fname.replace("\\", "/").startswith("src/reforge/web/"):  # the dashboard's own t() calls
            out["python"].add(msg)
    return out


def test_every_key_has_both_languages():
    en, zh = _web_po("en"), _web_po("zh")
    assert set(en) == set(zh) and len(en) > 400
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        if key not in SAME_OK and key != "nav.language":
            assert CJK.search(zh[key]), f"{key}: Chinese label {zh[key]!r} has no Chinese characters"
            assert not CJK.search(en[key]) or key.startswith("app."), f"{key}: English label {en[key]!r} has Chinese"
    assert not set(en) & set(_reforge_po()), "a code is defined in both web.po and reforge.po"


def _reforge_po() -> dict[str, str]:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "reforge.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def test_language_switch_names_the_other_language():
    assert i18n.t("nav.language", "en") == "中文"
    assert i18n.t("nav.language", "zh") == "English"


def test_templates_and_web_code_use_only_known_codes():
    found = _extracted({"_": None, "gettext": None, "t": None, "tr": None})
    assert len(found["templates"]) > 150  # the templates' _("...") calls, found by Jinja2's extractor
    assert len(found["python"]) > 10  # t("...") / tr("...") in the page modules
    for lang in ("en", "zh"):
        missing = sorted(c for c in found["templates"] | found["python"] if c not in catalog(lang))
        assert missing == [], f"{lang} lacks {missing}"


def test_templates_use_the_i18n_extension_not_a_bare_t():
    """Templates translate through ``_()`` (Jinja2's i18n extension), not a context helper."""
    bare = []
    for f in (ROOT / "src" / "reforge" / "web" / "templates").rglob("*.html"):
        bare += [f"{f.name}: {m}" for m in re.findall(r"(?<![\w.])t\(\s*['\"][^'\"]+['\"]", f.read_text(encoding="utf-8"))]
    assert bare == []


def test_dynamic_prefixes_cover_the_data_model_enums():
    from reforge.schema.tables import CREDIT_KINDS, DATA_TABLES, DESIGNATION_KINDS, FOUNDATIONS
    for kind in DESIGNATION_KINDS:
        assert i18n.known(f"tier.{kind}"), kind
    for kind in CREDIT_KINDS:
        assert i18n.known(f"ck.{kind}"), kind
    for f in FOUNDATIONS:
        assert i18n.known(f"foundation.{f}"), f
    for t in DATA_TABLES:
        assert i18n.known(f"tbl.{t}"), t
    for s in ("upstream", "midstream", "downstream"):
        assert i18n.known(f"segment.{s}")


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
