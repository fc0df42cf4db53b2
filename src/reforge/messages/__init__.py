"""Messages as codes: the library says *what* (a code and parameters), the faces say it in
the reader's language.

Catalogs are gettext ``.po`` files per language under ``messages/locale/<lang>/LC_MESSAGES/``:
``reforge.po`` (the library's reasons, warnings, errors, reports; the CLI and API texts) and
``web.po`` (the dashboard's labels, used by the templates through Jinja2's i18n extension); each
``msgid`` is a stable code (``policy.report.title``), each ``msgstr`` the text with ``{name}``
placeholders. A code lives in one file only (a test checks). They are read with Babel at first use
(no compile step). Placeholders take format specs that format by locale:

===============  =========================================================
``{x}``          numbers by locale, text as is, a :class:`Message` rendered
``{x:.3f}``      fixed decimals, grouped (``1,234.500``)
``{x:pct}``      fraction as percent, one decimal (``.2pct`` for two)
``{x:big}``      large amounts: zh 万/亿, en grouped
``{x:int}``      grouped integer
``{x:country}``  ISO code → country name (CLDR via Babel)
``{x:list}``     a list joined the locale's way
===============  =========================================================

``None`` and NaN render as the catalog's ``common.na``.

The language comes from the caller (``--lang``, the dashboard switch, ``Accept-Language``)
or from ``REFORGE_LANG``; see :func:`resolve_lang`.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from reforge.errors import InvalidInput
from reforge.messages import numbers

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "reforge"
DOMAINS = ("reforge", "web")  # the files merged into one catalog per language


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, str]:
    """``{code: text}`` of the language's ``.po`` files (:data:`DOMAINS`; read once; fuzzy
    entries skipped)."""
    from babel.messages.pofile import read_po
    out: dict[str, str] = {}
    for domain in DOMAINS:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as f:
            cat = read_po(f, locale=numbers.BABEL_LOCALE.get(lang, lang), domain=domain)
        out.update({str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy})
    return out


def resolve_lang(lang: str | None = None) -> str:
    """``lang`` (or ``$REFORGE_LANG``, else English) as one of :data:`LANGS`.

    Accepts locale spellings (``zh-CN``, ``zh_Hans``, ``en-GB``); an unknown language given
    explicitly is :class:`~reforge.errors.InvalidInput` (code ``lang.unknown``).
    """
    if lang is None:
        from reforge.settings import get_settings
        lang = get_settings().lang
    raw = lang if lang is not None else DEFAULT_LANG
    base = str(raw).strip().replace("_", "-").split("-")[0].lower()
    if base in LANGS:
        return base
    raise InvalidInput(f"unknown language {raw!r}; use one of {', '.join(LANGS)}",
                       code="lang.unknown", params={"lang": str(raw), "langs": list(LANGS)})


def has(code: str, lang: str = DEFAULT_LANG) -> bool:
    """True when the catalog of ``lang`` has a text for ``code``."""
    return code in catalog(lang)


def template(code: str, lang: str | None = DEFAULT_LANG) -> str:
    """The raw text of ``code`` in ``lang`` (English for a language without a catalog), falling
    back to English, then to the code itself."""
    return catalog(lang if lang in LANGS else DEFAULT_LANG).get(code) or catalog(DEFAULT_LANG).get(code) or code


def plain(code: str, lang: str | None = DEFAULT_LANG, **params: Any) -> str:
    """``template`` filled with ``str.format`` (no locale formatting): dashboard labels and the
    API's error bodies, whose texts were written for ``str.format``."""
    s = template(code, lang)
    return s.format(**params) if params else s


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, spec: str) -> str:
        lang = self.lang
        if isinstance(value, Message):
            return value.render(lang)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return template("common.na", lang)
        if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
            value = value.item()
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if spec == "country":
            return numbers.country_name(str(value), lang)
        if spec == "list":
            return numbers.join_list((self.format_field(v, "") for v in value), lang)
        if number:
            if spec.endswith("pct"):
                return numbers.percent(value, int(spec[1:-3]) if spec.startswith(".") else 1, lang)
            if spec == "big":
                return numbers.big_number(value, lang)
            if spec == "int":
                return numbers.integer(value, lang)
            if spec.startswith(".") and spec.endswith("f"):
                return numbers.decimal(value, int(spec[1:-1]), lang)
            if not spec:
                return (numbers.integer(value, lang) if isinstance(value, int)
                        else numbers.decimal(value, 4, lang).rstrip("0").rstrip(".") or "0")
        if isinstance(value, bool) and not spec:
            return template("common.yes" if value else "common.no", lang)
        return super().format_field(value, spec)


def render(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The text of message ``code`` in ``lang`` with ``params`` filled in by locale.

    A placeholder without a parameter stays as ``{name}`` (never an exception): a face
    must always be able to show a message.
    """
    lg = resolve_lang(lang)
    text = template(code, lg)
    try:
        return _Formatter(lg).vformat(text, (), _Missing(params or {}))
    except (ValueError, IndexError, AttributeError, TypeError):
        return text


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Message(str):
    """A message with a code: a ``str`` (the English text, so existing string handling and JSON
    keep working) that also carries ``code`` and ``params`` for rendering in another language."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, params: Mapping[str, Any] | None = None, text: str | None = None) -> Message:
        p = dict(params or {})
        obj = super().__new__(cls, text if text is not None else render(code, p, DEFAULT_LANG))
        obj.code = code
        obj.params = p
        return obj

    def render(self, lang: str | None = None) -> str:
        """The text in ``lang`` (English: the string itself)."""
        lg = resolve_lang(lang)
        if lg == DEFAULT_LANG:
            return str.__str__(self)
        return render(self.code, self.params, lg)

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "params", "text"}`` (text in English), JSON-ready when the params are."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()},
                "text": str.__str__(self)}


class Localized(Message):
    """A text given in each language by the data itself (e.g. a rule's description in a YAML
    file), usable as a message parameter: it renders as its own text for the language (English
    when that language is missing). Its code is ``text.localized``; params are ``{lang: text}``."""

    CODE = "text.localized"

    def __new__(cls, texts: Mapping[str, str | None]) -> Localized:
        p = {k: str(v) for k, v in texts.items() if v}
        return super().__new__(cls, cls.CODE, p, text=p.get(DEFAULT_LANG) or next(iter(p.values()), ""))

    def render(self, lang: str | None = None) -> str:
        return self.params.get(resolve_lang(lang)) or str.__str__(self)


def _plain(v: Any) -> Any:
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v.item() if hasattr(v, "item") and not isinstance(v, str) else v


def codes_of(items: Any) -> list[dict[str, Any]]:
    """``[{"code", "params"}]`` of a list of messages, JSON-ready, to put beside their texts (a
    plain string gets code None and its text as ``params.text``)."""
    out = []
    for x in items or []:
        if isinstance(x, Message):
            d = x.to_dict()
            out.append({"code": d["code"], "params": d["params"]})
        else:
            out.append({"code": None, "params": {"text": str(x)}})
    return out


def render_coded(item: Mapping[str, Any], lang: str | None = None) -> str:
    """One ``{"code", "params"}`` entry (see :func:`codes_of`) as text in ``lang``; message
    parameters nested as ``{"code", "params", "text"}`` are rendered too."""
    if not item.get("code"):
        return str((item.get("params") or {}).get("text", ""))
    if item["code"] == Localized.CODE:
        return Localized(item.get("params") or {}).render(lang)
    return render(item["code"], {k: _revive(v) for k, v in (item.get("params") or {}).items()}, lang)


def _revive(v: Any) -> Any:
    if isinstance(v, Mapping) and v.get("code") == Localized.CODE:
        return Localized(v.get("params") or {})
    if isinstance(v, Mapping) and "code" in v and "text" in v:
        return Message(v["code"], {k: _revive(x) for k, x in (v.get("params") or {}).items()}, text=v["text"])
    if isinstance(v, list):
        return [_revive(x) for x in v]
    return v


def text_of(value: Any, lang: str | None = None) -> str:
    """``value`` in ``lang``: a :class:`Message` rendered, anything else as ``str``."""
    return value.render(lang) if isinstance(value, Message) else str(value)


def T(lang: str | None = None):  # noqa: N802 - the conventional short name of a translator
    """A translator bound to ``lang``: ``t = T("zh"); t("policy.report.summary", n=3)``."""
    lg = resolve_lang(lang)

    def t(code: str, **params: Any) -> str:
        return render(code, params, lg)

    t.lang = lg  # type: ignore[attr-defined]
    return t


__all__ = ["DEFAULT_LANG", "LANGS", "Message", "T", "catalog", "has", "render", "resolve_lang", "template",
           "text_of"]
