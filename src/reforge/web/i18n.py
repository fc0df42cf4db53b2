"""Dashboard labels in English and Chinese, from the message catalogs.

Every label shown by the templates goes through ``_(key)`` (Jinja2's i18n extension; the
render context's ``gettext`` is :func:`t` in the page language) or, in Python, ``t(key)``.
The texts live in ``reforge/messages/locale/<lang>/LC_MESSAGES/web.po`` (codes as msgids;
``{name}`` placeholders filled with ``str.format``), read with Babel like the library's own
catalog; tests extract every key the templates and the web code use (Babel's extractors)
and check both languages have it. Names of chains and items come from the data (``name`` /
``name_zh``) via ``name_of``.
"""

from __future__ import annotations

from typing import Any

from reforge.messages import DEFAULT_LANG, LANGS, has, plain

__all__ = ["DEFAULT_LANG", "LANGS", "known", "name_of", "t", "t_or"]


def known(key: str) -> bool:
    """True when the catalogs have a label ``key`` (checked in English, the fallback language)."""
    return has(key)


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """The label ``key`` in ``lang`` (``messages.plain``: English when the language lacks it,
    the key itself when no catalog has it), with ``fmt`` filled in by ``str.format``."""
    return plain(key, lang, **fmt)


def t_or(key: str, lang: str, fallback: str) -> str:
    return t(key, lang) if known(key) else fallback


def name_of(obj: dict[str, Any] | None, lang: str, key: str = "name") -> str:
    """``obj[key + '_zh']`` in Chinese (falling back to ``obj[key]``), ``obj[key]`` (or ``key_en``) in English."""
    if not obj:
        return ""
    if lang == "zh":
        return str(obj.get(f"{key}_zh") or obj.get(key) or "")
    return str(obj.get(f"{key}_en") or obj.get(key) or obj.get(f"{key}_zh") or "")
