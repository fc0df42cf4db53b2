"""JSON that is safe to embed in an HTML page (inside ``<script type="application/json">`` or an attribute).

``json.dumps`` leaves ``</script>``, ``<!--`` and ``&`` as they are, so a name such as
``</script><script>alert(1)</script>`` closes the data block and runs. ``script_json``
writes ``<``, ``>``, ``&``, ``'`` and the line separators U+2028/U+2029 as ``\\uXXXX``
escapes: the text still parses to the same value with ``JSON.parse``, but it can no longer
end the element, open a comment or break out of a quoted attribute. Every JSON written
into a page goes through this function (the templates have no ``| safe``).
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from reforge.api.capabilities import jsonable

_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                          "\u2028": "\\u2028", "\u2029": "\\u2029"})


def escape_json_text(text: str) -> str:
    """``text`` (JSON) with the HTML-significant characters written as ``\\uXXXX`` escapes.

    Valid only where those characters can appear, i.e. inside JSON strings: outside strings
    JSON has no ``<``, ``>``, ``&``, ``'`` or line separators, so the value is unchanged.
    """
    return text.translate(_ESCAPES)


def script_json(obj: Any) -> Markup:
    """``obj`` as JSON text safe inside ``<script type="application/json">`` or an HTML attribute.

    NaN and infinities become ``null`` (``jsonable``); non-ASCII text stays as it is
    (Chinese names stay readable in the page source).
    """
    return Markup(escape_json_text(json.dumps(jsonable(obj), ensure_ascii=False, allow_nan=False)))
